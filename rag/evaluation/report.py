"""metrics.json, report.md and a PNG chart: the system beside its baselines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rag.evaluation.metrics import METRIC_LABELS

CHART_METRICS = [
    "hit_at_1", "hit_at_5", "mrr_at_10", "citation_correct", "section_accuracy", "answer_accuracy",
    "refusal_rate_unanswerable", "false_refusal_rate",
]


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float) and v <= 1.0:
        return f"{v:.3f}"
    return f"{v}"


def write_chart(metrics: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    systems = list(metrics["systems"])
    x = np.arange(len(CHART_METRICS))
    width = 0.8 / max(len(systems), 1)
    fig, ax = plt.subplots(figsize=(12, 4.8), dpi=110)
    for i, name in enumerate(systems):
        overall = metrics["systems"][name]["overall"]
        vals = [overall.get(m) or 0.0 for m in CHART_METRICS]
        bars = ax.bar(x + (i - (len(systems) - 1) / 2) * width, vals, width, label=name)
        ax.bar_label(bars, labels=[f"{v:.2f}" for v in vals], fontsize=6, padding=1)
    ax.set_xticks(x, [METRIC_LABELS[m] for m in CHART_METRICS], rotation=20, ha="right", fontsize=8)
    ax.set_ylim(0, 1.08)
    ax.set_title(f"Gold set ({metrics['split']} split, n={metrics['n_questions']}): system vs baselines")
    ax.legend(fontsize=8, ncols=len(systems), loc="upper center", bbox_to_anchor=(0.5, -0.3))
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_reliability(bins: list[dict[str, Any]], path: Path, name: str) -> None:
    """Reliability diagram: the gate's predicted probability of answering against the observed share."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5), dpi=110)
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="perfect calibration")
    xs, ys, ns = [b["mean_p"] for b in bins], [b["observed"] for b in bins], [b["n"] for b in bins]
    ax.plot(xs, ys, marker="o", label=name)
    for x, y, n in zip(xs, ys, ns, strict=True):
        ax.annotate(str(n), (x, y), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("predicted p_answer (bin mean)")
    ax.set_ylabel("observed share answerable")
    ax.set_title("Refusal gate reliability (n per bin)")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_report(metrics: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=2), encoding="utf-8")
    write_chart(metrics, out / "metrics.png")
    systems = list(metrics["systems"])
    lines = [
        "# Evaluation report",
        "",
        f"Gold set `{metrics['gold']}`, split **{metrics['split']}** ({metrics['n_questions']} questions), "
        f"embedder `{metrics['embedder']}`, answerer `{metrics['answerer']}`.",
        "",
        "![metrics](metrics.png)",
        "",
        "## Overall",
        "",
        "| metric | " + " | ".join(systems) + " |",
        "|---|" + "---|" * len(systems),
    ]
    for key, label in METRIC_LABELS.items():
        vals = [_fmt(metrics["systems"][s]["overall"].get(key)) for s in systems]
        lines.append(f"| {label} | " + " | ".join(vals) + " |")
    lines += ["", "## Answer accuracy / false refusals by question type, all systems", "",
              "| type | " + " | ".join(f"{s} acc | {s} false ref." for s in systems) + " |",
              "|---|" + "---|---|" * len(systems)]
    for t in metrics["systems"][systems[0]]["by_type"]:
        cells = []
        for s in systems:
            agg = metrics["systems"][s]["by_type"].get(t, {})
            key = "refusal_rate_unanswerable" if t == "unanswerable" else "answer_accuracy"
            cells += [_fmt(agg.get(key)), _fmt(agg.get("false_refusal_rate"))]
        lines.append(f"| {t} | " + " | ".join(cells) + " |")
    lines += ["", "(for `unanswerable` the first column is the refusal rate)"]
    for group in ("by_type", "by_doc"):
        lines += ["", f"## {systems[0]}: {group.replace('_', ' ')}", ""]
        keys = ["n", *METRIC_LABELS]
        lines.append("| group | " + " | ".join(METRIC_LABELS.get(k, k) for k in keys) + " |")
        lines.append("|---|" + "---|" * len(keys))
        for name, agg in metrics["systems"][systems[0]][group].items():
            lines.append(f"| {name} | " + " | ".join(_fmt(agg.get(k)) for k in keys) + " |")
    bins = metrics["systems"][systems[0]].get("reliability")
    if bins:
        write_reliability(bins, out / "reliability.png", systems[0])
        lines += ["", "## Refusal gate reliability", "",
                  "Predicted `gate.p_answer` against the observed share of answerable questions, per bin.", "",
                  "![reliability](reliability.png)", "", "| bin | n | mean p_answer | observed |", "|---|---|---|---|"]
        lines += [f"| {b['lo']:.1f}–{b['hi']:.1f} | {b['n']} | {b['mean_p']:.3f} | {b['observed']:.3f} |" for b in bins]
    if metrics.get("failures"):
        lines += ["", "## Questions the system got wrong (answer accuracy)", ""]
        for f in metrics["failures"][:40]:
            lines.append(f"- `{f['id']}` {f['question']} — expected {f['must_contain']}; got: {f['answer'][:80]}")
    if metrics.get("threshold_check"):
        lines += ["", "## Threshold check", "", "```", metrics["threshold_check"], "```"]
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
