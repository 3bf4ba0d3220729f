"""``rag eval --calibrate``: fit the answer model (sentence ranker and answerability gate) on dev splits.

1. Every dev question is asked with the gate open (every part answered); the observer records each
   part's ranked candidate sentences and gate features.
2. Sentence model: logistic regression of "this sentence holds a gold evidence span" on its features.
3. Questions are asked again with the new ranker; gate model: logistic regression of "this part's
   answer is right" (answerable and holding the gold facts; any answer to an unanswerable is wrong).
4. Thresholds (``_thresholds``): refuse below the p under which at most 5 % of any dev file's answerable
   questions fall; answer without a caution above the threshold of best balanced accuracy.

Only dev items are read. The model is written to ``rag/answer/answer_model.json`` (or ``--model-out``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.answer.base import Part, Turn
from rag.answer.evidence import EvidenceFinder, SentenceHit
from rag.answer.model import GATE_FEATURES, SENTENCE_FEATURES, AnswerModel, Logistic
from rag.answer.refusal import found_something
from rag.evaluation.gold import GoldItem, contains, load_gold
from rag.settings import Settings
from rag.text import match_key


@dataclass
class Observed:
    item: GoldItem
    parts: list[Part]
    answer: str
    refused: bool


def _holds_evidence(sentence: str, evidence: list[str]) -> bool:
    s = match_key(sentence)
    for ev in evidence:
        e = match_key(ev)
        if e and (e in s or (len(s) >= 8 and s in e)):
            return True
    return False


def _observe(pipe, items: list[tuple[GoldItem, list[Turn]]], label: str) -> list[Observed]:
    out = []
    for i, (item, history) in enumerate(items, 1):
        parts: list[Part] = []
        pipe.observer = parts.append
        try:
            r = pipe.ask(item.question, history=history)
        finally:
            pipe.observer = None
        out.append(Observed(item, parts, r.answer, r.refused))
        if i % 50 == 0 or i == len(items):
            print(f"  {label}: {i}/{len(items)}", file=sys.stderr, flush=True)
    return out


def _sentence_rows(observed: list[Observed]) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for ob in observed:
        if not ob.item.answerable:
            continue
        for part in ob.parts:
            ranked: list[SentenceHit] = part.evidence.ranked or part.evidence.sentences
            if not ranked or part.evidence.kind != "sentences" and part.evidence.ranked is None:
                continue
            best = max(s.sem for s in ranked)
            best_lex = max(s.coverage for s in ranked)
            for s in ranked:
                f = EvidenceFinder.sentence_features(s, best, best_lex)
                xs.append([f[n] for n in SENTENCE_FEATURES])
                ys.append(1 if s.hit.chunk.doc_id in ob.item.docs and _holds_evidence(s.text, ob.item.evidence) else 0)
    return np.asarray(xs, dtype=float), np.asarray(ys)


def _part_answerable(ob: Observed, part: Part) -> int:
    """The gate's label: the reports hold this part's answer (for one place of a comparison: that place's
    report is among the gold reports). Whether the quoted sentence is the right one is the ranker's job;
    labelling the gate with it would teach it to refuse answerable questions the ranker gets wrong."""
    item = ob.item
    if not item.answerable:
        return 0
    if len(ob.parts) == 1:
        return 1
    docs = {h.chunk.doc_id for h in part.evidence.hits[:1]}
    return int(bool(docs & set(item.docs)))


def _gate_rows(observed: list[Observed]) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    xs, ys, owners = [], [], []
    for qi, ob in enumerate(observed):
        for part in ob.parts:
            if not part.evidence.sentences or not part.evidence.features:
                continue
            xs.append([part.evidence.features.get(n, 0.0) for n in GATE_FEATURES])
            ys.append(_part_answerable(ob, part))
            owners.append((qi, len(owners)))
    return np.asarray(xs, dtype=float), np.asarray(ys), owners


def _fit(x: np.ndarray, y: np.ndarray, names: tuple[str, ...], c: float) -> Logistic:
    from sklearn.linear_model import LogisticRegression

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    # No class weights: the gate's output is read as a probability (reliability diagram, thresholds).
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit((x - mean) / scale, y)
    return Logistic(list(names), [round(float(v), 5) for v in model.coef_[0]], round(float(model.intercept_[0]), 5),
                    [round(float(v), 5) for v in mean], [round(float(v), 5) for v in scale])


def _question_probs(observed: list[Observed], gate: Logistic) -> list[float]:
    """A question's probability: its best part's (what the flow compares with the thresholds)."""
    out = []
    for ob in observed:
        # Header questions (文号, 签发人) are answered from their line, with no features: p is 1 or 0.
        ps = [gate.prob(p.evidence.features) if p.evidence.features else p.evidence.p_answer for p in ob.parts]
        out.append(max(ps) if ps else 0.0)
    return out


def _held_out_probs(observed: list[Observed], x: np.ndarray, y: np.ndarray, owners: list[tuple[int, int]],
                    c: float, folds: int = 5) -> list[float]:
    """Each question's probability from a gate fitted without it (k-fold by question). Thresholds set on
    the probabilities the gate gives its own training questions sit too high for questions it has not
    seen, which are the ones users ask."""
    fold_of = np.arange(len(observed)) % folds
    row_fold = np.array([fold_of[qi] for qi, _ in owners])
    row_p = np.zeros(len(y))
    for f in range(folds):
        train = row_fold != f
        if train.all() or len(set(y[train].tolist())) < 2:
            continue
        model = _fit(x[train], y[train], GATE_FEATURES, c)
        for r in np.flatnonzero(~train):
            row_p[r] = model.prob(dict(zip(GATE_FEATURES, x[r], strict=True)))
    out = []
    rows_of: dict[int, list[int]] = {}
    for qi, r in owners:
        rows_of.setdefault(qi, []).append(r)
    for qi, ob in enumerate(observed):
        ps = [float(row_p[r]) for r in rows_of.get(qi, [])]
        # Header questions (文号, 签发人) have no features: their p is 1 or 0 (see _question_probs).
        ps += [p.evidence.p_answer for p in ob.parts if not p.evidence.features]
        out.append(max(ps) if ps else 0.0)
    return out


#: What a cautioned answer to a question the reports cannot answer costs, against an uncautioned wrong
#: answer or a refused answerable question (1): the reader is told to check the quoted sentences.
CAUTIONED_COST = 0.5


def _thresholds(observed: list[Observed], probs: list[float], groups: list[str],
                tie: float = 0.005) -> tuple[float, float, dict]:
    """(answer threshold, refusal threshold, stats).

    The answer threshold maximises the balanced accuracy (answerable questions answered, unanswerable
    ones refused), each dev file counting the same (the questions written from the reports' text would
    otherwise drown the ones asked in people's words); it is the middle of the thresholds within ``tie``
    of the best, since with a few dozen unanswerable questions the score is flat over a range and its
    first maximum moves from one refit to the next. Below it, down to the refusal threshold, the closest
    sentences are given with a caution: that threshold minimises the balanced cost of refusing
    answerable questions (1 each) and of cautioned answers to unanswerable ones (``CAUTIONED_COST``).
    """
    answerable = [ob.item.answerable for ob in observed]
    # A question whose evidence shares no word with it is never cautioned, only answered or refused
    # (rag.answer.refusal.found_something): below the answer threshold it counts as refused.
    cautionable = [any(found_something(p.evidence) for p in ob.parts if p.evidence.sentences) for ob in observed]
    grid = [round(float(t), 2) for t in np.linspace(0.02, 0.98, 49)]
    files = []
    for g in sorted(set(groups)):
        rows = [(p, a, e) for p, a, e, gg in zip(probs, answerable, cautionable, groups, strict=True) if gg == g]
        n_a = sum(a for _, a, _ in rows) or 1
        n_u = (len(rows) - sum(a for _, a, _ in rows)) or 1
        files.append((rows, n_a, n_u))

    def balanced(t: float) -> float:
        return float(np.mean([0.5 * (sum(1 for p, a, _ in rows if a and p >= t) / n_a
                                     + sum(1 for p, a, _ in rows if not a and p < t) / n_u)
                              for rows, n_a, n_u in files]))

    scores = [balanced(t) for t in grid]
    best = max(scores)
    answer = float(np.median([t for t, sc in zip(grid, scores, strict=True) if sc >= best - tie]))

    def cost(w: float) -> float:
        # Below the answer threshold: refused when under w or when nothing was found, else cautioned.
        return float(np.mean([0.5 * (sum(1 for p, a, e in rows if a and p < answer and (p < w or not e)) / n_a
                                     + CAUTIONED_COST * sum(1 for p, a, e in rows if not a and e and w <= p < answer)
                                     / n_u)
                              for rows, n_a, n_u in files]))

    costs = {w: cost(w) for w in grid if w <= answer}
    low = min(costs.values())
    # The middle of the near-best range, as for the answer threshold: its lowest end moved from 0.48 to
    # 0.28 between two refits that changed a handful of questions.
    weak = float(np.median([w for w, c in costs.items() if c <= low + tie]))
    return answer, weak, {"balanced_accuracy_mean_over_files": round(best, 4)}


def reliability(probs: list[float], outcomes: list[int], bins: int = 10) -> list[dict[str, Any]]:
    """Predicted against observed correctness, in equal-width bins of p."""
    rows = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        sel = [o for p, o in zip(probs, outcomes, strict=True) if lo <= p < hi or (b == bins - 1 and p == 1.0)]
        ps = [p for p in probs if lo <= p < hi or (b == bins - 1 and p == 1.0)]
        if sel:
            rows.append({"bin": f"{lo:.1f}-{hi:.1f}", "n": len(sel), "predicted": round(float(np.mean(ps)), 3),
                         "observed": round(float(np.mean(sel)), 3)})
    return rows


def calibrate(settings: Settings, gold_paths: list[Path], out: Path | None = None, c: float = 0.5,
              refit_ranker: bool = True) -> dict[str, Any]:
    """``refit_ranker=False`` keeps the current sentence ranker (its ranking decides which sentence is
    quoted, so a refit moves answers as well as the gate) and refits only the gate."""
    from rag.pipeline import Pipeline

    items = [(g, [Turn(role, content) for role, content in g.history])  # type: ignore[arg-type]
             for path in gold_paths for g in load_gold(path, "dev")]
    groups = [str(path) for path in gold_paths for _ in load_gold(path, "dev")]
    if not items:
        raise SystemExit("no dev items to calibrate on")
    open_gate = settings.model_copy(update={"refusal_threshold": 0.0})
    pipe = Pipeline(open_gate)
    pipe.ingest()
    model = pipe.answer_model
    if refit_ranker:
        first = _observe(pipe, items, "ranking")
        xs, ys = _sentence_rows(first)
        sentence = _fit(xs, ys, SENTENCE_FEATURES, c)
        model.sentence = sentence  # the finder holds this object: the second pass ranks with it
    else:
        sentence = model.sentence
    second = _observe(pipe, items, "gate")
    if not refit_ranker:
        xs, ys = _sentence_rows(second)
    gx, gy, owners = _gate_rows(second)
    gate = _fit(gx, gy, GATE_FEATURES, c)
    probs = _question_probs(second, gate)
    answer_t, weak_t, stats = _thresholds(second, _held_out_probs(second, gx, gy, owners, c), groups)
    fitted = AnswerModel(sentence, gate, round(answer_t, 3), round(weak_t, 3),
                         fitted_on=", ".join(f"{p} (dev)" for p in gold_paths))
    target = out or Path(__file__).resolve().parents[1] / "answer" / "answer_model.json"
    fitted.save(target)
    outcomes = [int(all(contains(ob.answer, m) for m in ob.item.must_contain)) if ob.item.answerable else 0
                for ob in second]
    answerable = [int(ob.item.answerable) for ob in second]
    return {
        "n_dev": len(items), "sentence_rows": int(len(ys)), "sentence_positives": int(ys.sum()),
        "gate_rows": int(len(gy)), "gate_positives": int(gy.sum()), **stats,
        "answer_threshold": fitted.answer_threshold, "weak_threshold": fitted.weak_threshold,
        "sentence_model": dict(zip(SENTENCE_FEATURES, sentence.coef, strict=True)),
        "gate_model": dict(zip(GATE_FEATURES, gate.coef, strict=True)),
        "reliability_dev_correct": reliability(probs, outcomes),
        "reliability_dev_answerable": reliability(probs, answerable),
        "written": str(target),
    }
