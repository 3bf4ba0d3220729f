"""One question through the whole pipeline: check it, resolve follow-ups, read what it asks, scope it
to documents, retrieve (per place for comparisons), rank evidence sentences, decide answer / caution /
refusal with the calibrated model, and answer with citations.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable, Iterator
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np

from rag.answer import lexicon
from rag.answer.base import Draft, Part, Turn
from rag.answer.citations import MARKER
from rag.answer.compare import expansion, harmonize, place_test
from rag.answer.conversation import Resolved, resolve_follow_up
from rag.answer.evidence import (
    YEARS,
    Evidence,
    SentenceHit,
    coverage,
    lead_with,
    question_terms,
    rejudge,
    score_answerability,
    term_weights,
    years_in,
)
from rag.answer.gaps import failed_report_notice
from rag.answer.intent import Intent, read_intent
from rag.answer.metadata import Field, asked_field, find_field_lines
from rag.answer.model import AnswerModel
from rag.answer.numbers import figures
from rag.answer.outline import SURE as OUTLINE_SURE
from rag.answer.outline import outline_evidence
from rag.answer.parts import PLANS, asked_part
from rag.answer.refusal import (
    ANSWER,
    REFUSAL_PREFIX,
    REFUSE,
    WEAK,
    WEAK_NOTICE,
    decide,
    is_cross_language,
    refusal_text,
)
from rag.retrieval.scope import LISTING, Scope, aliases
from rag.retrieval.tokenize import full_years, normalize_query, to_simplified
from rag.schema import AnswerResult, ScoredChunk

if TYPE_CHECKING:
    from rag.answer.sentences import SentenceVectors
    from rag.pipeline import Pipeline


CROSS_LANGUAGE_NOTICE = "问题不是用中文提出的：以下按多语言语义相似度摘录报告原文，请核对所引原文。"
#: "五个地方里哪个…", "哪个地方…最多": a comparison over every report when no place is named.
_EVERY_PLACE = re.compile(r"哪个地方|哪些地方|几个地方|五个地方|各地|哪个县|哪个区|哪个镇|哪个市|哪里.{0,6}最|各个?地方|这几[个份]|"
                          r"每一?个(地方|县|区|镇)|所有(的)?(地方|县市|报告)|这些地方|各个?县市|几个县市|[这那]?[两三四五六几][份个篇]报告|[各每][份个篇]报告")


class QuestionError(ValueError):
    """A question that cannot be asked as given; the message is shown to the user (Chinese)."""


_MEANINGFUL = re.compile(r"[\w\u4e00-\u9fff]")


def check_question(question: str, max_chars: int) -> str:
    if not isinstance(question, str):
        raise QuestionError("问题必须是文字。")
    # Control characters (but not newlines) are dropped; they carry no meaning and break display. So are
    # lone surrogates (from JSON "\ud800" or undecodable command-line bytes): they cannot be encoded.
    cleaned = "".join(ch for ch in question if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise QuestionError("问题不能为空，请输入您想了解的内容。")
    if len(cleaned) > max_chars:
        raise QuestionError(f"问题太长（{len(cleaned)}字），请精简到{max_chars}字以内。")
    if not _MEANINGFUL.search(cleaned):
        raise QuestionError("没有识别到有效的问题内容，请用文字描述您的问题。")
    return cleaned


#: "我是做生意的，…", "我在石狮开厂的，…", "作为一名退休教师，…": who is asking, not what is asked.
_SELF_INTRODUCTION = re.compile(r"^(?:我|咱)们?(?:是|在)[^，,。？?！!]{1,16}[，,]\s*|^作为[^，,。？?！!]{1,12}[，,]\s*")


def without_self_introduction(question: str, places_in: Callable[[str], list[str]]) -> str:
    """The question without the asker's introduction of themselves, whose words ("做生意") would be read as
    its topic; a place it names stays (「我在石狮开厂的，想知道政府…」 is about 石狮)."""
    m = _SELF_INTRODUCTION.match(question)
    if m is None or len(question) - m.end() < 6:
        return question
    return "".join(places_in(m.group(0))) + question[m.end():]


def _place_words(scope: Scope, named: list[str]) -> list[str]:
    """Place names are never a question's topic: the scope's, and a place named only to qualify another
    ("安溪虎邱那个镇": 安溪 is not what 虎邱's report is asked about)."""
    words = []
    for p in [*scope.places, *named]:
        words.extend(aliases(p))
    return list(dict.fromkeys(words + list(scope.unknown_places)))


def _unit(vec: list[float]) -> np.ndarray:
    v = np.asarray(vec, dtype=np.float32)
    return v / (float(np.linalg.norm(v)) or 1.0)


def answer_flow(pipe: Pipeline, question: str, history: list[Turn], doc_ids: list[str] | None,
                k: int) -> Iterator[str | AnswerResult]:
    t0 = time.perf_counter()
    settings = pipe.settings
    question = check_question(question, settings.max_question_chars)
    retriever = pipe.retriever
    # Traditional characters are folded to simplified, as the retriever does for its query, so the
    # question's words also match the report text in place names and evidence.
    # 咋 is how a citizen types 怎么 (咋搞, 咋样, 咋办): read as the question word it is, never a topic.
    typed = full_years(to_simplified(question)).replace("咋", "怎么")
    if retriever.resolver is not None:
        typed = without_self_introduction(typed, retriever.resolver.places_in)
    # A covered place typed as its homophone (虎丘镇 for 虎邱镇) is read as that place, and shown; so it is in
    # the conversation's earlier questions, whose place a follow-up keeps.
    fix = retriever.resolver.correct_homophones if retriever.resolver is not None else (lambda text: text)
    asked = fix(typed)
    history = [Turn(t.role, fix(full_years(to_simplified(t.content))) if t.role == "user" else to_simplified(t.content))
               for t in history]
    resolved = resolve_follow_up(asked, history, retriever.resolver)
    if history:
        condensed = pipe.answerer.condense(asked, history)
        if condensed:
            resolved = Resolved(to_simplified(condensed), to_simplified(condensed), True)
    standalone = resolved.standalone
    intent = read_intent(standalone)
    scope = retriever.scope_for(standalone)
    model = pipe.answer_model
    finder = pipe.evidence_finder
    lexical = pipe.lexical
    named = retriever.resolver.places_in(standalone) if retriever.resolver is not None else []
    drop = _place_words(scope, named) + ["报告", "年度"]
    weights = term_weights(question_terms(standalone, drop))
    # A follow-up's meaning includes the previous topic ("他们一共翻了多少本？" is about 执法案卷): the
    # search text carries it, for retrieval and for ranking sentences alike.
    q_vec = _unit(retriever.embed_query(normalize_query(resolved.search)))
    field = asked_field(standalone)
    told = next((t.content for t in reversed(history) if t.role == "assistant"), "")
    if told.lstrip().startswith(REFUSAL_PREFIX):
        told = ""  # a refusal told nothing: its words (报告, 找到, 内容) are not the topic's
    # A follow-up is about what was just answered, and the answer was in the reports' words ("出庭应诉率100%"
    # before "输了的比例呢"): its words join the lexical search.
    follow = bool(history) and (resolved.search != asked or standalone != asked)
    resolver = retriever.resolver
    is_place = place_test(resolver.known_aliases) if resolver is not None else None
    told_words = _lent_words(told, is_place, rarest=True) if follow and told and not resolved.new_topic else ""
    own = term_weights([t for t in question_terms(asked, drop) if not _ASKING.search(t)]) if told else {}
    if own and coverage(own, told.lower()) >= TOLD_HOLDS:
        # The last answer already holds what the follow-up asks in its own words ("跟哪些县？" after an
        # answer naming 永春、大田; "输了几件？" after "25件，败诉仅1件"): the sentence it quoted is the
        # answer again, not old news.
        told = ""

    def missed_years(ev: Evidence) -> list[int]:
        return _missed_years(scope, ev, plans=ev.kind == "outline" and asked_part(standalone)[0] == PLANS,
                             year_before=intent.previous_year)

    def make_part(label: str, hits: list[ScoredChunk], docs: list[str] | None) -> Part:
        if field is not None and docs and len(docs) == 1:
            ev = metadata_evidence(field, hits, lexical.chunks_of(docs))
            ev.p_answer = 1.0 if ev.sentences else 0.0
            return Part(label, standalone, ev, intent)
        # What was just said is old news for a follow-up about one place, but it is the very material of
        # one that sets places side by side ("这两个差了多少？") or a figure against the year before
        # ("那比上一年少了多少？": the change is stated next to the figure just given).
        fresh = label or intent.previous_year or intent.diff
        ev = finder.find(resolved.search, q_vec, hits, intent, drop, told="" if fresh else told)
        _year_first(ev, scope.years)
        ev.features["outline_match"] = 0.0
        if _wants_points(intent) and ev.sentences:
            top_doc = ev.sentences[0].hit.chunk.doc_id
            # A list question ("在哪些领域加大了执法") is answered by a section only when one matches it
            # surely; a summary question ("明年打算干啥") always reads its part of the report.
            outline = outline_evidence(standalone, ev, lexical.chunks_of([top_doc]), weights, q_vec,
                                       pipe.sentence_vectors, need_match=not intent.summary,
                                       vocabulary=lexical.uses)
            if outline is not None:
                outline.ranked = ev.sentences
                ev = outline
        missed_of_part = missed_years(ev)
        # "安溪2023年…比德化2024年…": each place of a comparison answers for one of the years named.
        missed = bool(missed_of_part) and not (label and len(missed_of_part) < len(scope.years))
        if label and missed and place_years:
            # "德化去年和安溪23年各办了多少": 2023 is 安溪's year; 德化 is asked of its own report.
            missed = bool(set(missed_of_part) & place_years.get(label, set()))
        place_miss = bool(scope.unknown_places) and not label
        score_answerability(ev, model, year_miss=missed, place_miss=place_miss)
        if ev.kind == "outline" and missed:
            # A part of a report is about the report's year (its plans, the year after): listing it does
            # not answer a question about another year ("石狮2023年存在哪些问题").
            ev.p_answer = 0.0
        elif ev.kind == "outline" and ev.features.get("outline_match", 0.0) >= OUTLINE_SURE and not missed \
                and not place_miss:
            # The report's own section answers a summary question by construction (its points are
            # listed, each cited); the sentence-level signals the gate reads say little about a list.
            ev.p_answer = max(ev.p_answer, model.answer_threshold)
        return Part(label, standalone, ev, intent)

    def observe(part: Part) -> Part:
        if pipe.observer is not None:
            pipe.observer(part)
        return part

    groups, labels = _groups(scope, intent, standalone, doc_ids, pipe)
    place_years = _years_by_place(standalone, scope.places) if len(scope.places) > 1 and scope.years else {}
    # The reports' words for the question's everyday ones (讨工资 → 欠薪) join the lexical search.
    extra = expansion(resolved.search, question_terms(standalone, drop))
    if len(groups) > 1:
        # Cross-report question: each place gets its own retrieval and its own answer part.
        def place_part(group: list[str], label: str, more: str = "") -> Part:
            sub = retriever.retrieve(resolved.search, k=max(k, 10), doc_ids=group, scope=Scope(doc_ids=group),
                                     expansion=f"{extra} {told_words} {more}".strip())
            return make_part(label, sub.chunks, group)

        parts = [place_part(g, label) for g, label in zip(groups, labels, strict=True)]
        _agree_across_places(parts, is_place, model, pipe.sentence_vectors)
        anchor, feedback = _anchor_words(parts, weights, is_place, model)
        if feedback:
            # The surest place's sentence says the fact in the reports' words: the unsure places search
            # with those words too (pseudo-relevance feedback), then all places are read together again.
            for i, (group, label) in enumerate(zip(groups, labels, strict=True)):
                if parts[i] is not anchor and parts[i].evidence.p_answer < model.answer_threshold:
                    parts[i] = place_part(group, label, feedback)
            _agree_across_places(parts, is_place, model, pipe.sentence_vectors)
        for p in parts:
            observe(p)
        retrieved = _interleave([_evidence_first(p.evidence) for p in parts])
    else:
        main = retriever.retrieve(resolved.search, k=max(k, 10), doc_ids=doc_ids, scope=scope,
                                  expansion=f"{extra} {told_words}".strip())
        single = doc_ids if doc_ids and len(doc_ids) == 1 else scope.doc_ids
        parts = [observe(make_part("", main.chunks, single))]
        retrieved = _evidence_first(parts[0].evidence)

    outright = bool(scope.unknown_places) and not scope.places and not doc_ids
    # One line per place: the gate reads each place's sentence with how well it agrees with the other
    # places' (rag.answer.compare); a place it refuses is said to be missing.
    gated = [REFUSE if outright else decide(p.evidence, scope, settings, model) for p in parts]
    for p, d in zip(parts, gated, strict=True):
        p.gate = d
    if pipe.answerer.judges_answerability:
        # An LLM reads the passages and says itself when they do not hold the answer.
        decisions = [REFUSE if outright or not p.evidence.hits else ANSWER for p in parts]
    else:
        decisions = gated
        for p, d in zip(parts, gated, strict=True):
            p.weak = d == WEAK
    answerable = [p for p, d in zip(parts, decisions, strict=True) if d != REFUSE]
    # A question naming no place, or one whose place stands for several reports ("安溪县里哪个镇…": the
    # county's and its towns'), names the report it was answered from.
    several = not scope.places or any(len(g) > 1 for g in scope.groups)
    if several and not doc_ids and len(parts) == 1 and answerable:
        top = answerable[0].evidence.sentences[0].hit.chunk if answerable[0].evidence.sentences else None
        if top is not None:
            answerable[0].source = pipe.document(top.doc_id).get("title") or top.title
    best = max(parts, key=lambda p: p.evidence.p_answer)
    result = AnswerResult(
        question=question,
        answer="",
        refused=False,
        retrieved=retrieved[: max(k, 10)],
        rewritten_question=standalone if (standalone != asked and resolved.natural)
        or (asked != typed and standalone == asked) else "",
        gate={
            "p_answer": round(best.evidence.p_answer, 4),
            "decision": {ANSWER: 1.0, WEAK: 0.5, REFUSE: 0.0}[max(decisions, key=[REFUSE, WEAK, ANSWER].index)],
            **{k_: round(float(v), 4) for k_, v in best.evidence.features.items()},
            "unknown_place": float(bool(scope.unknown_places)),
        },
    )
    # A place whose report failed to ingest is named as such, not "not covered" (rag.answer.gaps). The
    # failure record (a file another process may rewrite) is read only when some place is not covered.
    unknown = retriever.resolver.unknown_places(standalone) if retriever.resolver is not None else []
    gap = failed_report_notice(unknown, pipe.failures()) if unknown else ""
    if not answerable:
        result.refused = True
        result.answer = gap or refusal_text(scope, year_miss=missed_years(best.evidence))
        result.answerer = "refusal"
        yield result.answer
    else:
        draft: Draft | None = None
        for event in pipe.answerer.answer(standalone, answerable):
            if isinstance(event, Draft):
                draft = event
            else:
                yield event
        assert draft is not None
        missing = [p.label for p in parts if p not in answerable and p.label]
        missing += [u for u in scope.unknown_places if scope.places]
        text = draft.answer
        if missing and draft.answerer != "llm":
            note = "\n".join(f"{m}：{REFUSAL_PREFIX}相关内容。" for m in missing)
            text = f"{text}\n{note}"
            yield note
        result.answer = text
        result.citations = draft.citations
        notices = [draft.notice]
        if any(is_cross_language(p.evidence) for p in answerable):
            notices.append(CROSS_LANGUAGE_NOTICE)
        if any(p.weak for p in answerable) and draft.answerer != "llm":
            notices.append(WEAK_NOTICE)
        result.notice = " ".join(n for n in notices if n)
        if gap:
            result.notice = f"{gap}\n{result.notice}".strip()
        result.unsupported = draft.unsupported
        result.answerer = draft.answerer
        result.refused = draft.refused
    result.latency_ms = (time.perf_counter() - t0) * 1000
    yield result


def _agree_across_places(parts: list[Part], is_place: Callable[[str], bool] | None, model: AnswerModel,
                         vectors: SentenceVectors | None = None) -> None:
    """Each place's sentence chosen in agreement with the others' (rag.answer.compare); the gate then
    judges the sentence that will be quoted, not the ranker's top."""
    tops = [p.evidence.sentences[0] if p.evidence.sentences else None for p in parts]
    supports = harmonize(parts, is_place, vectors)
    for p, top, support in zip(parts, tops, supports, strict=True):
        if not p.evidence.sentences or p.evidence.kind == "outline":
            continue  # (an outline is judged by its section match)
        # A place's sentence that states what another place's states is more likely the fact asked for.
        p.evidence.features.update(support=support, compare_part=1.0)
        rejudge(p.evidence, p.question, p.intent, model, moved=p.evidence.sentences[0] is not top)


_TITLE = re.compile(r"《[^》]*》")
#: Report words the surest place's sentence lends to the others' searches.
FEEDBACK_WORDS = 5
_CLAUSE = re.compile(r"[^，,；;。：:！？]+")
#: A figure with its measure word ("40余条", "24.2万"): the number is each place's own.
_FIGURE_TEXT = re.compile(r"[\d.]+\s*[余多]?[万亿千百]?[个件起条份家人次项宗元户所名期场%％]*")


def _anchor_words(parts: list[Part], weights: dict[str, float], is_place: Callable[[str], bool] | None,
                  model: AnswerModel) -> tuple[Part | None, str]:
    """The words of the surest place's answering clause (the one holding most of the question, a figure
    when a count is asked), when that place is answered without doubt."""
    sure = [p for p in parts if p.evidence.sentences and p.evidence.kind != "outline"
            and p.evidence.p_answer >= model.answer_threshold]
    if not sure or len(parts) < 2:
        return None, ""
    anchor = max(sure, key=lambda p: p.evidence.p_answer)
    clauses = _CLAUSE.findall(anchor.evidence.sentences[0].text)
    if anchor.intent.number:
        clauses = [c for c in clauses if figures(c)] or clauses
    if not clauses:
        return anchor, ""
    return anchor, _lent_words(max(clauses, key=lambda c: coverage(weights, c)), is_place)


#: Common report words (开展 5.6, 工作 4.1) lend nothing to a search.
FEEDBACK_MIN_IDF = 6.0


def _lent_words(text: str, is_place: Callable[[str], bool] | None, rarest: bool = False) -> str:
    """A report text's words worth adding to another search: no figures, places or common words;
    ``rarest``: the rarest first (a long text), else in the text's order (one clause)."""
    words = [w for w in question_terms(_FIGURE_TEXT.sub(" ", MARKER.sub("", text)), [])
             if len(w) > 1 and not (is_place and is_place(w)) and lexicon.idf(w) >= FEEDBACK_MIN_IDF
             and not any(ch.isdigit() for ch in w)]
    if rarest:
        words.sort(key=lambda w: -lexicon.idf(w))
    return " ".join(words[:FEEDBACK_WORDS])


def _wants_points(intent: Intent) -> bool:
    """Summaries, and lists of things (not of figures, not one name, not one line per place)."""
    if intent.number:
        return False
    if intent.summary:
        return not intent.name or intent.list
    return intent.list and not intent.compare


def _groups(scope: Scope, intent: Intent, question: str, doc_ids: list[str] | None,
            pipe: Pipeline) -> tuple[list[list[str]], list[str]]:
    """Document groups answered separately: one per named place, or one per report for "哪个地方最…"."""
    if doc_ids:
        return [doc_ids], [""]
    if len(scope.groups) > 1:
        return scope.groups, scope.places
    if not scope.places and intent.compare and _EVERY_PLACE.search(question) and _asks_each_place(intent, question):
        # Only then is the whole catalog needed (a copy per question would grow with the corpus).
        docs = scope.doc_ids or sorted(d["doc_id"] for d in pipe.documents())
        if 1 < len(docs) <= 12:
            return [[d] for d in docs], [_place_label(pipe.document(d), d) for d in docs]
    return [scope.doc_ids] if scope.doc_ids else [None], [""]  # type: ignore[list-item]


#: "哪个地方搞了…", "哪个县…": one place is asked for, found by searching every report at once.
_WHICH_ONE = re.compile(r"(哪个|哪一个)(地方|县|区|镇|市)")
_EACH = re.compile(r"各|分别|每|都")


def _asks_each_place(intent: Intent, question: str) -> bool:
    """A line per report only when each place's figure, rank or items are asked; "哪个地方搞了入学一件事"
    asks which report says something, and the report that does is named in a normal answer."""
    if intent.number or intent.superlative or intent.rank or _EACH.search(question):
        return True
    return not _WHICH_ONE.search(question)


def _place_label(doc: dict, doc_id: str) -> str:
    return doc.get("place") or (doc.get("places") or [doc_id])[-1]


#: Share of a follow-up's own words (synonyms count) the last answer must hold to be quoted again.
TOLD_HOLDS = 0.5
#: Question words, which say what kind of answer is wanted, not what it is about (几件, 多少, 哪些).
_ASKING = re.compile(r"^[几多哪谁啥]|多少|什么|怎么")


#: A sentence stating a change on the year before ("较去年同期下降41.5%") speaks of that year too.
_YEAR_BEFORE = re.compile(r"去年|上年|上一年|前一年|同期")


#: How far (in the sentence ranker's logits) a sentence naming the asked year may trail the best one that
#: does not and still be quoted first.
YEAR_MARGIN = 3.0


def _years_by_place(question: str, places: list[str]) -> dict[str, set[int]]:
    """The years a question names for each of several places: a year belongs to the place named last
    before it ("德化去年和安溪2023年" → 安溪: {2023}, 德化: none); one before every place is every place's.
    A place absent from the result has no year of its own and is asked of its own report."""
    at = sorted((m.start(), p) for p in places for m in re.finditer(re.escape(p), question))
    out: dict[str, set[int]] = {}
    for m in YEARS.finditer(question):
        before = [p for pos, p in at if pos < m.start()]
        for p in before[-1:] or places:
            out.setdefault(p, set()).add(int(m.group(1)))
    # "石狮和安溪2024年": places listed together before a year share it ("德化去年和安溪2023年" do not).
    for (pos, p), (nxt, q) in reversed(list(pairwise(at))):
        if p not in out and q in out and _LISTED_WITH.fullmatch(question[pos + len(p):nxt]):
            out[p] = set(out[q])
    return out


#: What joins places listed together ("石狮、鲤城和德化2024年"): they share the year said after them.
_LISTED_WITH = re.compile(rf"\s*(?:{LISTING}|同|，|,)?\s*")


def _year_first(ev: Evidence, years: list[int]) -> None:
    """"德化2025年在普法上要完成什么": the best sentence (2024's work on 普法) is about another year than the
    one asked; a close runner-up whose text or section names it (三、2025年工作思路 > …收官验收) answers."""
    if not years or not ev.sentences:
        return
    top = ev.sentences[0]
    if set(years) <= _named_years(top) | {top.hit.chunk.year}:
        return  # (a report's sentences are about its own year)
    for s in ev.sentences[1:8]:
        if s.score < top.score - YEAR_MARGIN:
            break
        if set(years) <= _named_years(s):
            lead_with(ev.sentences, [s])
            return


def _named_years(s: SentenceHit) -> set[int]:
    return years_in(_TITLE.sub("", s.text)) | years_in(s.hit.chunk.section)


def _missed_years(scope: Scope, ev: Evidence, plans: bool = False, year_before: bool = False) -> list[int]:
    """Years the question asks about that neither the best evidence's report nor its sentences cover.
    ``plans``: the answer is the report's plans part, which is about the year after the report's."""
    if not scope.years or not ev.sentences or ev.sentences[0].hit.chunk.year is None:
        return []  # a report with no year in its metadata cannot tell
    covered: set[int] = set()
    for s in ev.sentences[:3]:
        c = s.hit.chunk
        if c.year:
            covered |= {c.year, c.year + 1} if plans else {c.year}
    # The quoted sentence, or its section (三、2025年工作思路), may name the year; a runner-up's "相比2022年"
    # says nothing of the quoted figure. A year inside a document's title (《…行动方案（2024-2025年）》)
    # says nothing about that year.
    top = ev.sentences[0]
    covered |= years_in(_TITLE.sub("", top.text)) | years_in(top.hit.chunk.section)
    if year_before and top.hit.chunk.year and _YEAR_BEFORE.search(top.text):
        covered.add(top.hit.chunk.year - 1)  # "倒推2023年大概多少" from "1425件，较去年同期下降41.5%"
    return [y for y in scope.years if y not in covered]


def metadata_evidence(field: Field, hits: list[ScoredChunk], doc_chunks) -> Evidence:
    """Evidence for a question about the document itself: its header or signature line, or nothing."""
    lines = find_field_lines(field, doc_chunks)
    if not lines:
        return Evidence(hits=hits, sentences=[], terms=[field.name])
    sentences, top = [], []
    for chunk, line in lines:
        hit = next((h for h in hits if h.chunk.id == chunk.id), None) or ScoredChunk(chunk, score=1.0, dense=1.0)
        start = chunk.text.find(line)
        sentences.append(SentenceHit(hit, 0, start, start + len(line), coverage=1.0, score=2.0, sem=1.0))
        top.append(hit)
    rest = [h for h in hits if all(h.chunk.id != t.chunk.id for t in top)]
    return Evidence(hits=top + rest, sentences=sentences, terms=[field.name], chunk_coverage=1.0)


def _evidence_first(ev: Evidence) -> list[ScoredChunk]:
    """The chunks an outline answer quotes, in order, or the chunks of the ranked sentences by their best
    sentence (the sentence model reranks the retrieved chunks it reads), then the rest of the list."""
    seen: dict[str, ScoredChunk] = {}
    for s in ev.sentences if ev.kind == "outline" else ev.sentences[:3]:
        seen.setdefault(s.hit.chunk.id, s.hit)
    return list(seen.values()) + [h for h in ev.hits if h.chunk.id not in seen]


def _interleave(lists: list[list[ScoredChunk]]) -> list[ScoredChunk]:
    out: list[ScoredChunk] = []
    for i in range(max((len(x) for x in lists), default=0)):
        for lst in lists:
            if i < len(lst):
                out.append(lst[i])
    return out


__all__ = ["answer_flow", "check_question", "QuestionError"]
