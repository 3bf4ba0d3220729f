"""Quality on public Chinese QA corpora of other kinds than the shipped 法治政府 reports (issue 14).

    python -m bench.external                  # both corpora, all questions (first run ingests: minutes)
    python -m bench.external --quick          # ~50 questions per corpus, same indexes
    python -m bench.external --corpus crud --crud-repo /path/to/CRUD_RAG   # a git dir or a checkout

Two corpora, each built once into ``bench/out/external/<corpus>/`` (data as .txt files, questions,
the product's index) and reused by later runs, so a re-run after changing the answering code only asks:

* ``crud``: CRUD-RAG (IAAR-Shanghai/CRUD_RAG, Apache-2.0), Chinese news. Questions and short answers
  come from its QuestAnswer2Docs and QuestAnswer3Docs question-evaluation files
  (``src/quest_eval/*_quest_gt_save.json``); **QuestAnswer1Doc is never read** (held out). Those files
  carry no article ids, so each question's supporting articles are found in the 80000_docs news pool:
  an article supports a question when it holds the answer verbatim and ≥60 % of the question's
  content words. Questions with no support, or with more than 3 supporting articles in the pool
  (generic questions), are dropped. The corpus is the supporting articles, articles on the same
  events found by the item's key facts (hard distractors) and random pool articles, ~500 in all.
  Unanswerable questions are real questions of the same files whose every supporting pool article
  is left out of the corpus, and whose answer occurs in no corpus article.
* ``cmrc``: CMRC 2018 dev set (ymcui/cmrc2018, CC BY-SA 4.0), Wikipedia paragraphs. One question
  per paragraph for 150 paragraphs, 50 more paragraphs as distractors. Unanswerable questions are
  questions of paragraphs left out of the corpus whose answers occur in no corpus document.

Both the product (``Pipeline.ask`` with its default settings: extractive answerer, refusal gate) and a
plain BM25 baseline (bm25s + jieba over the same files split by LangChain's recursive splitter,
400/60; no refusal; the answer is the top chunk's two sentences sharing most question words) answer
the same questions in the same process. Metrics:

* ``hit@5``: a top-5 chunk comes from a supporting document and holds the gold answer;
* ``answer_acc``: not refused and the answer holds the gold answer (any of CMRC's annotations);
* ``refused_answerable``: refusals on answerable questions; ``refused_unanswerable`` the reverse.

Every answerable question of the product also gets one failure category (see ``categorise``), and
refusals the places the scope resolver read in the question, so the lead can see why it failed.
Rows go to ``bench/out/external/<corpus>/rows-<label>.jsonl``, the summary to
``bench/out/external/summary-<label>.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.common import OUT, clean_env, machine, pct, write_json
from rag.text import match_key

EXT = OUT / "external"
CRUD_REPO = Path("/work/.mirror/IAAR-Shanghai+CRUD_RAG/repo")
CMRC_REPO = Path("/work/.mirror/ymcui+cmrc2018/repo")
CRUD_FILES = ["src/quest_eval/QuestAnswer2Docs_quest_gt_save.json", "src/quest_eval/QuestAnswer3Docs_quest_gt_save.json"]
SEED = 14
QUESTION_WORDS = {"什么", "哪些", "哪个", "哪家", "哪里", "哪种", "哪位", "哪一", "多少", "怎么", "怎样", "如何",
                  "为什么", "是否", "何时", "几个", "哪年", "哪天", "谁", "主要", "分别", "进行", "可以", "通过",
                  "一个", "这个", "他们", "我们", "已经", "目前", "什么样"}
SENT_RE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")


# -- reading the source data (a bare git dir or a checkout) ----------------------------------------------
def read_source(repo: Path, path: str) -> bytes:
    if (repo / path).is_file():
        return (repo / path).read_bytes()
    proc = subprocess.run(["git", "-C", str(repo), "show", f"HEAD:{path}"], capture_output=True)
    if proc.returncode:
        raise FileNotFoundError(f"{path} not in {repo}: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout


def list_source(repo: Path, folder: str) -> list[str]:
    if (repo / folder).is_dir():
        return sorted(str(p.relative_to(repo)) for p in (repo / folder).iterdir() if p.is_file())
    proc = subprocess.run(["git", "-C", str(repo), "ls-tree", "-r", "--name-only", "HEAD", folder],
                          capture_output=True, text=True, check=True)
    return proc.stdout.split()


def content_words(text: str) -> list[str]:
    from rag.retrieval.tokenize import _jieba

    words = []
    for w in _jieba().lcut(text):
        w = w.strip()
        if len(w) >= 2 and w not in QUESTION_WORDS and re.search(r"[\w\u4e00-\u9fff]", w) and w not in words:
            words.append(w)
    return words


def coverage(question_words: list[str], doc: str) -> float:
    if not question_words:
        return 0.0
    return sum(w in doc for w in question_words) / len(question_words)


# -- corpus 1: CRUD-RAG news --------------------------------------------------------------------------------
class NewsPool:
    """The 80000_docs news pool (one article a line), with fast "which articles hold this string"."""

    def __init__(self, repo: Path) -> None:
        import bisect

        self._bisect = bisect
        self.docs: list[str] = []
        self.missing: list[str] = []
        for name in list_source(repo, "data/80000_docs"):
            if "hallu" in name:  # the hallucination task's modified articles: not news as published
                continue
            try:
                raw = read_source(repo, name)
            except FileNotFoundError:
                self.missing.append(name)
                continue
            self.docs += [ln.strip() for ln in raw.decode("utf-8", "replace").split("\n") if ln.strip()]
        self.big = "\x00".join(self.docs)
        self.starts, o = [], 0
        for d in self.docs:
            self.starts.append(o)
            o += len(d) + 1

    def holding(self, needle: str, limit: int = 200) -> set[int]:
        out: set[int] = set()
        i = self.big.find(needle)
        while i != -1 and len(out) < limit:
            j = self._bisect.bisect_right(self.starts, i) - 1
            out.add(j)
            i = self.big.find(needle, self.starts[j] + len(self.docs[j]))  # next article
        return out


def build_crud(repo: Path, out: Path, n_answerable: int = 150, n_unanswerable: int = 20,
               n_docs: int = 500) -> dict[str, Any]:
    rng = random.Random(SEED)
    pool = NewsPool(repo)
    items = []
    for f in CRUD_FILES:
        data = json.loads(read_source(repo, f))
        items += [(f.split("/")[-1].split("_")[0], k, v) for k, v in data.items()]
    rng.shuffle(items)

    def candidates(item) -> list[dict[str, Any]]:
        src, key, it = item
        found = []
        for i, (q, a) in enumerate(zip(it["question"], it["answers"], strict=False)):
            a = a.strip()
            if a == "无法推断" or not 2 <= len(a) <= 25 or a in q:
                continue
            holders = pool.holding(a)
            if len(holders) >= 200:  # too common to tell which articles support it
                continue
            qw = content_words(q)
            if len(qw) < 2:
                continue
            support = sorted(j for j in holders if coverage(qw, pool.docs[j]) >= 0.6)
            if 1 <= len(support) <= 3:
                found.append({"id": f"{src}:{key}:{i}", "question": q, "answers": [a], "support_pool": support,
                              "holders": sorted(holders), "source": src})
        return found

    answerable, unanswerable, related = [], [], set()
    used_support: set[int] = set()
    banned: set[int] = set()  # every pool article that holds an unanswerable question's answer
    for n_item, item in enumerate(items):
        if len(answerable) >= n_answerable and len(unanswerable) >= n_unanswerable:
            break
        found = candidates(item)
        if not found:
            continue
        rng.shuffle(found)
        # Every 8th usable item gives an unanswerable question (while they are needed), the others up
        # to two answerable ones; an item's articles never serve both.
        if len(unanswerable) < n_unanswerable and (n_item % 8 == 7 or len(answerable) >= n_answerable):
            q = found[0]
            if not set(q["holders"]) & used_support:
                unanswerable.append(q)
                banned.update(q["holders"])
            continue
        took = False
        for q in found[:2]:
            if len(answerable) < n_answerable and not set(q["support_pool"]) & banned:
                answerable.append(q)
                used_support.update(q["support_pool"])
                took = True
        if not took:
            continue
        # Articles on the same events (matching the item's key facts): realistic distractors.
        counts = Counter(j for ki in item[2]["key_info"] if len(ki) >= 4 for j in pool.holding(ki, 30))
        related.update(j for j, c in counts.most_common(4) if c >= 2)

    chosen = set(used_support)
    if chosen & banned:  # cannot happen by construction; checked so the unanswerables stay honest
        raise RuntimeError("an unanswerable question's article is needed by an answerable one")
    chosen.update(sorted(j for j in related if j not in banned)[: max(0, n_docs // 5)])
    order = list(range(len(pool.docs)))
    rng.shuffle(order)
    for j in order:
        if len(chosen) >= n_docs:
            break
        if j not in banned:
            chosen.add(j)
    docs = {f"news{j:05d}": pool.docs[j] for j in sorted(chosen)}
    questions = []
    for q in answerable:
        questions.append({"id": q["id"], "question": q["question"], "answers": q["answers"], "answerable": True,
                          "support": [f"news{j:05d}" for j in q["support_pool"]], "source": q["source"]})
    for q in unanswerable:
        if any(match_key(q["answers"][0]) in match_key(t) for t in docs.values()):
            continue
        questions.append({"id": q["id"], "question": q["question"], "answers": q["answers"], "answerable": False,
                          "support": [], "source": q["source"],
                          "why_unanswerable": f"its {len(q['support_pool'])} supporting pool article(s) left out"})
    info = {"pool_articles": len(pool.docs), "pool_parts_missing": pool.missing, "related_distractors": len(related)}
    return write_corpus(out, docs, questions, info)


# -- corpus 2: CMRC 2018 (Wikipedia reading comprehension) --------------------------------------------------
def build_cmrc(repo: Path, out: Path, n_answerable: int = 150, n_distractors: int = 50,
               n_unanswerable: int = 20) -> dict[str, Any]:
    rng = random.Random(SEED)
    data = json.loads(read_source(repo, "squad-style-data/cmrc2018_dev.json"))["data"]
    paras = []
    for art in data:
        for p in art["paragraphs"]:
            if p["qas"]:
                paras.append((art.get("title", ""), p))
    rng.shuffle(paras)
    with_q = paras[:n_answerable]
    distract = paras[n_answerable:n_answerable + n_distractors]
    held = paras[n_answerable + n_distractors:]
    docs = {}
    for title, p in with_q + distract:
        docs[f"cmrc_{p['id']}"] = f"{title}\n{p['context']}" if title else p["context"]
    keys = {k: match_key(t) for k, t in docs.items()}
    questions = []
    for title, p in with_q:
        qa = rng.choice(p["qas"])
        answers = sorted({a["text"].strip() for a in qa["answers"] if a["text"].strip()})
        questions.append({"id": qa["id"], "question": qa["question"], "answers": answers, "answerable": True,
                          "support": [f"cmrc_{p['id']}"], "title": title})
    n_un = 0
    for title, p in held:
        if n_un >= n_unanswerable:
            break
        qa = rng.choice(p["qas"])
        answers = sorted({a["text"].strip() for a in qa["answers"] if a["text"].strip()})
        if any(match_key(a) in k for a in answers for k in keys.values()):
            continue  # the answer string is somewhere in the corpus: not honestly unanswerable
        questions.append({"id": qa["id"], "question": qa["question"], "answers": answers, "answerable": False,
                          "support": [], "title": title, "why_unanswerable": "its paragraph is left out"})
        n_un += 1
    return write_corpus(out, docs, questions, {"paragraphs": len(paras)})


def write_corpus(out: Path, docs: dict[str, str], questions: list[dict], info: dict) -> dict[str, Any]:
    data = out / "data"
    data.mkdir(parents=True, exist_ok=True)
    for name, text in docs.items():
        (data / f"{name}.txt").write_text(text + "\n", encoding="utf-8")
    with (out / "questions.jsonl").open("w", encoding="utf-8") as f:
        for q in questions:
            f.write(json.dumps(q, ensure_ascii=False) + "\n")
    meta = {"docs": len(docs), "chars": sum(len(t) for t in docs.values()),
            "answerable": sum(q["answerable"] for q in questions),
            "unanswerable": sum(not q["answerable"] for q in questions), **info}
    write_json(out / "corpus.json", meta)
    return meta


def ensure_corpus(name: str, args) -> tuple[Path, list[dict], dict]:
    out = EXT / name
    if not (out / "corpus.json").exists() or args.rebuild_corpus:
        print(f"[{name}] building the corpus from the source data …", flush=True)
        t0 = time.perf_counter()
        meta = build_crud(args.crud_repo, out) if name == "crud" else build_cmrc(args.cmrc_repo, out)
        print(f"[{name}] {meta} in {time.perf_counter() - t0:.0f} s", flush=True)
    meta = json.loads((out / "corpus.json").read_text(encoding="utf-8"))
    questions = [json.loads(ln) for ln in (out / "questions.jsonl").read_text(encoding="utf-8").splitlines() if ln]
    return out, questions, meta


# -- the plain BM25 baseline --------------------------------------------------------------------------------
class PlainBM25:
    """bm25s + jieba over LangChain recursive chunks (400/60) of the same files; no refusal."""

    def __init__(self, data_dir: Path) -> None:
        import bm25s
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        from rag.retrieval.tokenize import _jieba

        self.jieba = _jieba()
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=400, chunk_overlap=60, separators=["\n\n", "\n", "。", "！", "？", "；", "，", ""],
            keep_separator="end",
        )
        self.chunks: list[tuple[str, str]] = []
        for path in sorted(data_dir.glob("*.txt")):
            for piece in splitter.split_text(path.read_text(encoding="utf-8")):
                self.chunks.append((path.stem, piece))
        self.retriever = bm25s.BM25()
        self.retriever.index([self.tokens(t) for _, t in self.chunks], show_progress=False)

    def tokens(self, text: str) -> list[str]:
        return [w for w in self.jieba.lcut_for_search(text.lower()) if w.strip() and re.search(r"\w", w)] or ["_"]

    def ask(self, question: str) -> dict[str, Any]:
        t0 = time.perf_counter()
        ids, _ = self.retriever.retrieve([self.tokens(question)], k=min(10, len(self.chunks)), show_progress=False)
        hits = [self.chunks[int(i)] for i in ids[0]]
        qw = set(self.tokens(question))
        sents = [s.strip() for s in SENT_RE.findall(hits[0][1]) if s.strip()] if hits else []
        best = sorted(range(len(sents)), key=lambda i: -len(qw & set(self.tokens(sents[i]))))[:2]
        answer = "".join(sents[i] for i in sorted(best))
        return {"answer": answer, "refused": False, "retrieved": [{"doc": d, "text": t} for d, t in hits],
                "latency_ms": (time.perf_counter() - t0) * 1000}


# -- scoring ------------------------------------------------------------------------------------------------
def holds(text: str, answers: list[str]) -> bool:
    key = match_key(text)
    return any(match_key(a) in key for a in answers)


def hit_rank(q: dict, retrieved: list[dict], depth: int = 10) -> int | None:
    for i, r in enumerate(retrieved[:depth]):
        if r["doc"] in q["support"] and holds(r["text"], q["answers"]):
            return i + 1
    return None


def score(q: dict, res: dict) -> dict[str, Any]:
    row = {"id": q["id"], "answerable": q["answerable"], "refused": bool(res["refused"]),
           "latency_ms": round(res["latency_ms"], 1), "answer_chars": len(res.get("answer") or "")}
    if q["answerable"]:
        row["rank"] = hit_rank(q, res["retrieved"])
        row["correct"] = (not row["refused"]) and holds(res.get("answer") or "", q["answers"])
    return row


def aggregate(rows: list[dict]) -> dict[str, Any]:
    ans = [r for r in rows if r["answerable"]]
    un = [r for r in rows if not r["answerable"]]

    def mean(xs):
        return round(sum(xs) / len(xs), 3) if xs else None

    return {
        "n_answerable": len(ans), "n_unanswerable": len(un),
        "hit@1": mean([r["rank"] == 1 for r in ans]),
        "hit@5": mean([bool(r["rank"]) and r["rank"] <= 5 for r in ans]),
        "answer_acc": mean([r["correct"] for r in ans]),
        "refused_answerable": mean([r["refused"] for r in ans]),
        "refused_unanswerable": mean([r["refused"] for r in un]),
        "answer_chars_mean": round(sum(r["answer_chars"] for r in ans) / len(ans), 1) if ans else None,
        "p50_ms": round(pct([r["latency_ms"] for r in rows], 50), 1),
    }


def categorise(row: dict, diag: dict) -> str:
    """One failure category per question (None when it went right), for the lead's fixes."""
    if not row["answerable"]:
        return "" if row["refused"] else "answered_unanswerable"
    if row["correct"]:
        return ""
    found = bool(row["rank"]) and row["rank"] <= 5
    if row["refused"]:
        if diag.get("unknown_places"):
            return "refused_unknown_place"
        if diag.get("scope_docs") is not None and not diag.get("scope_hits_support"):
            return "refused_scope_wrong_docs"
        return "refused_found_at_top5" if found else "refused_not_found"
    if diag.get("scope_docs") is not None and not diag.get("scope_hits_support"):
        return "answered_scope_wrong_docs"
    return "answered_wrong_sentence" if found else "answered_not_found"


def diagnose(pipe, q: dict) -> dict[str, Any]:
    """What the scope resolver read in the question (read only; tolerant of a changed API)."""
    try:
        scope = pipe.retriever.scope_for(q["question"])
    except Exception as e:  # noqa: BLE001 - a diagnostic must never stop the benchmark
        return {"scope_error": repr(e)}
    docs = getattr(scope, "doc_ids", None)
    return {
        "places": list(getattr(scope, "places", []) or []),
        "unknown_places": list(getattr(scope, "unknown_places", []) or []),
        "scope_docs": None if not docs else len(docs),
        "scope_hits_support": None if not docs else bool(set(docs) & set(q["support"])),
    }


# -- running --------------------------------------------------------------------------------------------------
def run_corpus(name: str, args) -> dict[str, Any]:
    from rag.pipeline import Pipeline
    from rag.settings import Settings

    out, questions, meta = ensure_corpus(name, args)
    if args.quick:
        rng = random.Random(SEED)
        ans = [q for q in questions if q["answerable"]]
        un = [q for q in questions if not q["answerable"]]
        questions = rng.sample(ans, min(45, len(ans))) + un[:5]
    # Asked in a fixed shuffled order, so the rows of an interrupted run are a fair sample of both kinds.
    questions = sorted(questions, key=lambda q: hashlib.sha256(q["id"].encode()).hexdigest())
    pipe = Pipeline(Settings(_env_file=None, data_dir=out / "data", index_dir=out / "index"))
    t0 = time.perf_counter()
    report = pipe.ingest(progress=None)
    ingest_s = time.perf_counter() - t0
    print(f"[{name}] index ready in {ingest_s:.0f} s: {report.summary()}", flush=True)
    bm25 = PlainBM25(out / "data")

    rows_path = out / f"rows-{args.label}.jsonl"
    done: dict[str, dict] = {}
    if args.resume and rows_path.exists():
        done = {r["id"]: r for r in map(json.loads, rows_path.read_text(encoding="utf-8").splitlines())}
    rows = []
    with rows_path.open("w", encoding="utf-8") as f:
        for i, q in enumerate(questions):
            if q["id"] in done:
                row = done[q["id"]]
            else:
                res = pipe.ask(q["question"]).to_dict()
                sys_row = score(q, res)
                diag = diagnose(pipe, q)
                sys_row["category"] = categorise(sys_row, diag)
                base = score(q, bm25.ask(q["question"]))
                row = {"id": q["id"], "question": q["question"], "answers": q["answers"],
                       "answerable": q["answerable"], "system": sys_row, "bm25": base, "diag": diag,
                       "answer": res["answer"][:300], "gate": res.get("gate", {}),
                       "top_docs": [r["doc"] for r in res["retrieved"][:5]], "support": q["support"]}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            f.flush()
            rows.append(row)
            if (i + 1) % 25 == 0:
                print(f"[{name}] {i + 1}/{len(questions)} asked", flush=True)
    return summarise(name, rows, meta, args, ingest_s=round(ingest_s, 1), bm25_chunks=len(bm25.chunks))


def summarise(name: str, rows: list[dict], meta: dict, args, **extra) -> dict[str, Any]:
    cats = Counter(r["system"]["category"] for r in rows if r["system"]["category"])
    examples: dict[str, list] = {}
    for r in rows:
        c = r["system"]["category"]
        if c and len(examples.setdefault(c, [])) < 5:
            examples[c].append({"q": r["question"], "gold": r["answers"][:2], "answer": r["answer"][:120],
                                "unknown_places": r["diag"].get("unknown_places"), "rank": r["system"].get("rank")})
    return {
        "corpus": name, "meta": meta, "quick": args.quick, **extra,
        "system": aggregate([r["system"] for r in rows]), "bm25": aggregate([r["bm25"] for r in rows]),
        "failure_categories": dict(cats.most_common()), "examples": examples,
    }


def from_rows(name: str, args) -> dict[str, Any]:
    """The summary of rows already written (an interrupted run, or a re-read without asking)."""
    out = EXT / name
    meta = json.loads((out / "corpus.json").read_text(encoding="utf-8"))
    rows = [json.loads(ln) for ln in (out / f"rows-{args.label}.jsonl").read_text(encoding="utf-8").splitlines() if ln]
    return summarise(name, rows, meta, args, from_rows=True)


def table(summary: dict) -> str:
    lines = ["| corpus | system | n ans / unans | hit@5 | answer acc | refused (answerable) | "
             "refused (unanswerable) | answer chars | p50 ms |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for c in summary["corpora"]:
        for who in ("system", "bm25"):
            m = c[who]
            lines.append(f"| {c['corpus']} | {'product (extractive)' if who == 'system' else 'plain BM25'} | "
                         f"{m['n_answerable']} / {m['n_unanswerable']} | {m['hit@5']} | {m['answer_acc']} | "
                         f"{m['refused_answerable']} | {m['refused_unanswerable']} | {m['answer_chars_mean']} | "
                         f"{m['p50_ms']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", choices=["crud", "cmrc", "all"], default="all")
    ap.add_argument("--crud-repo", type=Path, default=CRUD_REPO, help="CRUD_RAG: a git dir or a checkout")
    ap.add_argument("--cmrc-repo", type=Path, default=CMRC_REPO, help="cmrc2018: a git dir or a checkout")
    ap.add_argument("--quick", action="store_true", help="~50 questions per corpus (45 answerable, 5 not)")
    ap.add_argument("--label", default="", help="names the rows and summary files (default: quick/full)")
    ap.add_argument("--resume", action="store_true", help="keep rows of an interrupted run with this label")
    ap.add_argument("--from-rows", action="store_true", help="only summarise the rows files of this label")
    ap.add_argument("--rebuild-corpus", action="store_true", help="rebuild data and questions (then re-ingests)")
    args = ap.parse_args(argv)
    args.label = args.label or ("quick" if args.quick else "full")
    clean_env()
    names = ["crud", "cmrc"] if args.corpus == "all" else [args.corpus]
    summary = {"machine": machine(), "label": args.label, "corpora": [(from_rows if args.from_rows else run_corpus)(n, args) for n in names]}
    if not args.from_rows:
        write_json(EXT / f"summary-{args.label}.json", summary)
    print(json.dumps({"machine": summary["machine"]}, ensure_ascii=False))
    print(table(summary))
    for c in summary["corpora"]:
        print(f"\n[{c['corpus']}] failure categories: {c['failure_categories']}")
        for cat, exs in c["examples"].items():
            print(f"  {cat}:")
            for e in exs:
                print(f"    - {e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
