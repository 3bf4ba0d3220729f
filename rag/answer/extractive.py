"""The embedded default answerer: quotes the report sentences that answer the question, each with its
citation. It needs no LLM, cannot invent facts, and keeps numbers and names exactly as written.

The answer's shape follows the question: points of a section for summaries and lists, one line per
place for comparisons (with the largest or the difference worked out from the quoted figures), and
the arithmetic written out for sums and differences.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterator

from rag.answer.base import Draft, Part
from rag.answer.citations import CitationBook
from rag.answer.compare import topic_words
from rag.answer.evidence import (
    SentenceHit,
    coverage,
    lead_with,
    question_terms,
    term_weights,
    typed_match,
    years_in,
)
from rag.answer.injection import NOTE, split_instructions
from rag.answer.intent import Intent, asks_total, read_intent
from rag.answer.lexicon import synonyms
from rag.answer.numbers import (
    COUNTED_KINDS,
    PART_OF,
    RATE,
    SHARE_ASKED,
    STRICT_KINDS,
    Figure,
    addable,
    anchor_words,
    asked_kind,
    asked_unit,
    clause_figures,
    difference,
    figure_for,
    figure_near,
    figures,
    named_figures,
    operands,
    operators,
    same_measure,
    same_unit,
    share_of,
    states_share,
    total,
    unit_kind,
    wanted_kind,
    whole_from_share,
    word_groups,
    worked,
)
from rag.answer.outline import WHOLE_ITEM_CHARS, item_label_end, point_text
from rag.answer.refusal import is_cross_language
from rag.answer.sentences import sentence_spans
from rag.retrieval.tokenize import tokenize

MAX_SENTENCE_CHARS = 160
#: Ranked sentences searched for the two figures an arithmetic question names, beyond the quoted ones.
RUNNERS_UP = 8
#: The start of a place's line whose sentence the gate was unsure of, in a comparison.
WEAK_LINE = "报告中没有找到确切对应的内容，最接近的原文是："
#: A sentence flagged as an instruction among this many best matches is mentioned, not passed over.
FLAG_WITHIN = 3


def _trim(text: str, limit: int = MAX_SENTENCE_CHARS) -> str:
    """Long report sentences are kept whole up to a limit, then cut at a comma with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = max(text.rfind("，", 0, limit), text.rfind("；", 0, limit))
    return text[: cut if cut > limit // 2 else limit] + "……"


#: A question's asking clauses: "哪家律所的哪位律师？一年审了多少份合同？" asks two things.
_ASK = re.compile(r"多少|几[个件家次项名人条场所位份起宗]?|哪|谁|什么|啥|吗|是否|怎么|如何|有没有")


def asks(question: str) -> int:
    """How many clauses of the question ask something."""
    return sum(1 for c in re.split(r"[，,。？?！!；;\s]+", question) if _ASK.search(c))


#: A clause must share this much of its own words with a sentence that answers it.
ASK_COVERAGE = 0.3


def _each_ask_answered(question: str, chosen: list[SentenceHit], sentences: list[SentenceHit]) -> list[SentenceHit]:
    """"是哪个司法所？这一年开了多少场会？": two questions in one. A question the quoted sentences hold no
    answer of the kind for (no office named, no figure) gets the best candidate that holds one and speaks
    of that question's own words (often the sentence just before or after)."""
    questions = [q for q in re.split(r"[？?。！!；;]+", question) if _ASK.search(q)]
    if len(questions) < 2:
        return chosen
    out = list(chosen)
    for q in questions:
        intent = read_intent(q)
        if not (intent.number or intent.name):
            continue
        kind = wanted_kind(q) if intent.number else ""
        weights = term_weights(question_terms(q, []))
        if any(_answers(s, q, intent, kind, weights) for s in out):
            continue
        extra = next((s for s in sentences[:RUNNERS_UP] if s not in out and _answers(s, q, intent, kind, weights)),
                     None)
        if extra is not None:
            out.append(extra)
    return sorted(out, key=lambda s: (s.hit.chunk.doc_id, s.hit.chunk.ordinal, s.start))


def _answers(s: SentenceHit, question: str, intent: Intent, kind: str, weights: dict[str, float]) -> bool:
    """The sentence holds the kind of answer asked and speaks of the question's own words."""
    return typed_match(intent, s.text, kind, question) > 0 and coverage(weights, s.text.lower()) >= ASK_COVERAGE


#: How much further (in the ranker's logits) runners-up may trail for a question asking several things.
MORE_ASKS_MARGIN = 1.0


def select_sentences(sentences: list[SentenceHit], intent: Intent, foreign: bool = False,
                     several: bool = False) -> list[SentenceHit]:
    """The best sentence, plus close runners-up (more of them for list questions, and for a question asking
    ``several`` things, whose second answer is rarely the ranker's first), never overlapping."""
    if not sentences:
        return []
    if foreign:
        # Across languages word matches say nothing and the small model's similarities lie close: quote
        # the few sentences within a hair of the closest one, never the rest of the passage.
        top = max(s.sem for s in sentences)
        close = sorted((s for s in sentences if s.sem >= top - 0.015), key=lambda s: -s.sem)[:3]
        return sorted(close, key=lambda s: (s.hit.chunk.doc_id, s.hit.chunk.ordinal, s.start))
    best = sentences[0]
    limit = 4 if intent.list else 3
    margin = (1.5 if intent.list else 1.0) + (MORE_ASKS_MARGIN if several else 0.0)  # in logits of the sentence model
    chosen = [best]
    if intent.list:
        chosen += _series(best, sentences, limit + 2)
    for s in sentences[1:]:
        if len(chosen) >= limit:
            break
        if s.score < best.score - margin:
            break
        if any(_same_text(s, c) for c in chosen):
            continue
        chosen.append(s)
    # Report order reads better than score order when sentences come from the same chunk.
    return sorted(chosen, key=lambda s: (s.hit.chunk.doc_id, s.hit.chunk.ordinal, s.start))


def _with_body(s: SentenceHit) -> SentenceHit:
    end = item_label_end(s.hit.chunk.text, s.start, s.end)
    return s if end == s.end else dataclasses.replace(s, end=end)


#: A sentence that goes on about the one before without naming its subject ("8 月份，获评泉州市“优秀 148 品牌”"
#: after "打造“桐新同治”148 品牌…"): quoted alone, it says what was won but not what won it.
_ELIDED = re.compile(r"^\s*(?:(?:\d{1,2}\s*月份?|同年|当年|随后|此后|之后|目前|年[初中底末]|[上下]半年)\s*[，,]?\s*)?"
                     r"(?:成功)?(?:获评|荣获|获得|入选|被评为|被列为|被确定为|被授予)")


def _with_subject(s: SentenceHit) -> SentenceHit:
    if not _ELIDED.match(s.text):
        return s
    before = [a for a, b in sentence_spans(s.hit.chunk.text) if b <= s.start]
    return dataclasses.replace(s, start=before[-1]) if before else s


def _without_repeats(chosen: list[SentenceHit]) -> list[SentenceHit]:
    """A bare item label quoted with the sentence after it ("一是安全生产领域。制定年度…") already says that
    sentence: it is not quoted again on its own."""
    out: list[SentenceHit] = []
    for s in chosen:
        if any(c.hit.chunk.id == s.hit.chunk.id and c.start <= s.start and s.end <= c.end for c in out):
            continue
        out = [c for c in out if not (c.hit.chunk.id == s.hit.chunk.id and s.start <= c.start and c.end <= s.end)]
        out.append(s)
    return out


def _series(first: SentenceHit, sentences: list[SentenceHit], limit: int) -> list[SentenceHit]:
    """The clauses that continue a list the best sentence begins ("海丝金融巡回法庭受理…；信用修复中心
    帮助…；知识产权保护法治促进中心…。"): a list question wants all of them, not its first."""
    out: list[SentenceHit] = []
    last = first
    by_start = {(s.hit.chunk.id, s.start): s for s in sentences}
    while len(out) < limit and last.text.rstrip().endswith(("；", ";")):
        text = last.hit.chunk.text
        at = last.end
        while at < len(text) and text[at].isspace():
            at += 1
        nxt = by_start.get((last.hit.chunk.id, at))
        if nxt is None:
            break
        out.append(nxt)
        last = nxt
    return out


def _same_text(a: SentenceHit, b: SentenceHit) -> bool:
    ta, tb = a.text, b.text
    return ta in tb or tb in ta


class ExtractiveAnswerer:
    name = "extractive"
    judges_answerability = False  # the calibrated gate decides before it is called

    def condense(self, question: str, history: list) -> str | None:
        return None  # follow-ups are resolved by rules (rag.answer.conversation)

    def answer(self, question: str, parts: list[Part]) -> Iterator[str | Draft]:
        book = CitationBook()
        lines: list[str] = []
        intent = parts[0].intent if parts else Intent()
        terms = parts[0].evidence.terms if parts else []
        quoted: list[tuple[Part, list[SentenceHit]]] = []
        if len(parts) == 1:
            _lead_with_operands(question, intent, parts[0])
        for part in parts:
            ev = part.evidence
            # Sentences that read like instructions (rag.answer.injection) are never quoted as facts.
            sentences, flagged = split_instructions(ev.sentences)
            if ev.kind == "outline":
                pieces = []
                for i, s in enumerate(sentences, 1):
                    n = book.cite(s.hit, s.text)
                    pieces.append(f"{i}. {_trim(point_text(s.text), WHOLE_ITEM_CHARS + 10).rstrip('。；;，,')}[{n}]")
                head = f"{part.label}：" if part.label else ""
                if len(pieces) == 1:
                    line = head + pieces[0].removeprefix("1. ")
                else:
                    line = f"{head}共{len(pieces)}点：\n" + "\n".join(pieces)
            else:
                chosen = select_sentences(sentences, intent, foreign=is_cross_language(ev),
                                          several=len(parts) == 1 and asks(question) > 1)
                if len(parts) > 1 and intent.number and not intent.list and sentences:
                    # One figure per place: its agreeing pick (rag.answer.compare), not its runners-up.
                    chosen = sentences[:1]
                elif len(parts) == 1 and not is_cross_language(ev):
                    chosen = _each_ask_answered(question, chosen, sentences)
                chosen = _without_repeats([_with_subject(_with_body(s)) for s in chosen])
                pieces = []
                for s in chosen:
                    n = book.cite(s.hit, s.text)
                    pieces.append(f"{_trim(s.text)}[{n}]")
                body = "".join(pieces)
                docs = list(dict.fromkeys(s.hit.chunk.doc_id for s in chosen))
                if part.source and not part.label and len(docs) > 1:
                    # A question naming no place, answered from several reports: each quote under its own
                    # report's name, never all of them under the first one's.
                    body = "\n".join(
                        f"据《{next(s.hit.chunk.title for s in chosen if s.hit.chunk.doc_id == d)}》："
                        + "".join(p for p, s in zip(pieces, chosen, strict=True) if s.hit.chunk.doc_id == d)
                        for d in docs)
                elif part.source and not part.label:
                    body = f"据《{part.source}》：{body}"
                if flagged and (not chosen or any(f is s for f in flagged for s in ev.sentences[:FLAG_WITHIN])):
                    body += NOTE  # one of the best matches was such a sentence: say so rather than stay silent
                if part.label and part.weak and len(parts) > 1:
                    # One place of several that may not state the fact: said on its own line, not only
                    # in the answer's general caution, so its nearest sentence is not read as its figure.
                    body = f"{WEAK_LINE}{body}"
                line = f"{part.label}：{body}" if part.label else body
                if intent.number and chosen and not (part.weak and len(parts) > 1):
                    quoted.append((part, chosen))  # (an unsure place's figure is not compared or added)
            lines.append(line)
            yield line + "\n"
        picked = _place_figures(question, quoted, terms, book) if len(parts) > 1 else []
        summary = _arithmetic(question, intent, picked, parts, book)
        if summary:
            lines.append(summary)
            yield summary + "\n"
        yield Draft(answer="\n".join(lines), citations=book.citations, answerer=self.name)


def _place_figures(question: str, quoted: list[tuple[Part, list[SentenceHit]]], terms: list[str],
                   book: CitationBook) -> list[tuple[Part, Figure | None, int]]:
    """Each place's figure: in its first quoted sentence that has one about the question's words (or the
    reports' words for them), of the kind of unit asked ("多少本" → a count)
    or, when none is asked, of the kind most places' figures have (件 and 起 alike, never % against 件)."""
    asked = asked_kind(question)
    unit = asked_unit(question)
    own = anchor_words(terms)
    # The rare words every place's sentence states name the fact compared when the question's own words
    # do not (免费打官司 for 法律援助案件): the figure right after them is each place's. They come second: a
    # word both sentences share may name another of their figures ("审结108件，败诉10件" against "案件25件，
    # 败诉仅1件" for 官司数量).
    firsts = [chosen[0].text for _, chosen in quoted if chosen]
    anchors = list(own)
    if len(firsts) >= 2:
        common = set.intersection(*(set(topic_words(t)) for t in firsts))
        anchors += [w for w in sorted(common, key=lambda w: (-len(w), w)) if w not in anchors]

    def find(chosen: list[SentenceHit], kind: str) -> tuple[SentenceHit, Figure] | None:
        measure = unit if kind == asked else ""
        for s in sorted(chosen, key=lambda c: -c.score):  # the place's best sentence first
            f = figure_for(s.text, own, kind, measure) or figure_for(s.text, anchors, kind, measure)
            if f is not None:
                return s, f
        return None

    found = [find(chosen, asked) for _, chosen in quoted]
    if asked in ("", "share") and RATE.search(question):
        # "哪边输官司的比例更高": each place's rate, stated (败诉率1.37%) or worked out from the counts its
        # sentence gives (行政诉讼案件25件，败诉仅1件 → 1÷25=4%).
        groups = word_groups(terms)
        # The words right before the rate word say whose rate ("输官司的比例": 输 → 败诉, not 出庭).
        said = _RATE_OF.findall(question)
        groups = [[t, *sorted(synonyms(t))] for t in terms if any(t in x for x in said)] + groups
        rates = [_rate_of(chosen, groups) for _, chosen in quoted]
        if sum(x is not None for x in rates) >= 2:
            found, asked = rates, "share"
    if not asked:
        kinds = Counter(f.kind for x in found if x for f in [x[1]])
        if kinds:
            top, n = kinds.most_common(1)[0]
            if n >= 2:
                found = [x if x and x[1].kind == top else find(chosen, top)
                         for x, (_, chosen) in zip(found, quoted, strict=True)]
    return [(p, x[1], book.cite(x[0].hit, x[0].text)) if x else (p, None, 0)
            for x, (p, _) in zip(found, quoted, strict=True)]


_RATE_OF = re.compile(r"([\u4e00-\u9fff]{1,4}?)的?(?:率|比例|比重|占比)")


def _rate_of(chosen: list[SentenceHit], groups: list[list[str]]) -> tuple[SentenceHit, Figure] | None:
    """A place's rate: the share its sentence states in a clause the question's words name ("败诉率1.37%",
    not the 出庭率100% beside "败诉仅1件"), else worked out from the whole and the part the sentence
    counts, as a figure whose text shows the working ("1件÷25件≈4%")."""
    for s in sorted(chosen, key=lambda c: -c.score):
        stated = named_figures(s.text, groups, kind="share") if states_share(s.text, groups) else []
        if stated:
            return s, stated[0]
        figs = figures(s.text)
        counts = [f for f in figs if f.kind != "share"]
        named = named_figures(s.text, groups, kind=counts[0].kind) if counts else []
        found = _whole_and_part(s.text, counts, named) if named and counts else None
        if found is None:
            continue
        whole, part = found
        value = round(part.magnitude / whole.magnitude * 100, 2)
        same = [f for f in figs if f.kind == "share" and abs(f.value - value) < 0.1]
        if same:
            return s, same[0]  # the sentence states it ("成功调解1821件，成功率99.8%")
        return s, Figure(value, "%", f"{part.text}÷{whole.text}≈{_fmt_rate(value)}%", part.start)
    return None


def _fmt_rate(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _arithmetic(question: str, intent: Intent, picked: list[tuple[Part, Figure | None, int]],
                parts: list[Part], book: CitationBook) -> str:
    """A sum, difference or largest value over the quoted figures, with the inputs and the working."""
    labelled = [(p.label, f, n) for p, f, n in picked if f is not None]
    if len(parts) > 1 and len(labelled) >= 2 and same_unit([f for _, f, _ in labelled]):
        figs = [f for _, f, _ in labelled]
        inputs = "，".join(f"{label}{f.text}[{n}]" for label, f, n in labelled)
        less = intent.least or (intent.fewer and not intent.most)
        if intent.superlative or (intent.rank and not intent.sum):
            pick = max if not less else min
            label, f, _ = pick(labelled, key=lambda x: x[1].magnitude)
            rates = figs[0].kind == "share"  # a rate is higher or lower, not more or less
            word = ("最低" if rates else "最少") if less else ("最高" if rates else "最多")
            if not intent.superlative and len(labelled) == 2:
                hi, lo = sorted(labelled, key=lambda x: -x[1].magnitude)
                first, more = (lo, "更低" if rates else "更少") if less else (hi, "更高" if rates else "更多")
                return f"比较：{inputs}；{first[0]}{more}，{difference(hi[1], lo[1])}。"
            return f"比较：{inputs}；其中{label}{word}（{f.text}）。"
        if intent.sum:
            return f"合计：{inputs}；{total(figs)}。" if addable(figs) else ""
        if intent.diff and len(labelled) == 2:
            hi, lo = sorted(labelled, key=lambda x: -x[1].magnitude)
            return f"计算：{inputs}；{hi[0]}更多，{difference(figs[0], figs[1])}。"
        return ""
    if len(parts) == 1 and intent.previous_year and (found := _earlier_from_change(question, intent, parts[0], book)):
        return found
    if len(parts) == 1 and intent.number and (found := _average(question, intent, parts[0], book)):
        return found  # "平均每起立案罚了多少钱": an average, whatever else the question's words suggest
    share = _share_within_sentence(intent, parts[0], book) if len(parts) == 1 and PART_OF.search(question) else ""
    if share:
        # "一共调了多少起纠纷？邻里矛盾占几成？": the share of the part in the total, not total + part.
        return share
    if len(parts) == 1 and (intent.diff or intent.sum):
        # A sentence holding both things the question names comes first, then one sentence for each; only
        # then two figures of one sentence that the question's words do not tell apart.
        return (_within_sentence(question, intent, parts[0], book, named_only=True)
                or _across_sentences(question, intent, parts[0], book)
                or _within_sentence(question, intent, parts[0], book)
                or _whole_of_share(question, intent, parts[0], book))
    if len(parts) == 1 and SHARE_ASKED.search(question) and not PART_OF.search(question):
        return _share_within_sentence(intent, parts[0], book)  # (a part's share was worked out above)
    if len(parts) == 1 and intent.number:
        return _whole_of_share(question, intent, parts[0], book, asked=_asking_clause(question))
    return ""


#: "平均一场多少人次", "每次有多少人参加": a total divided by how many times.
_AVERAGE = re.compile(r"平均|摊下来|摊到|人均|每一?[场次期个回批所家处户名位]")
_EACH = re.compile(r"每一?([所家处户名位])")
#: Measure words that count the same things: "每所" is answered by 11家 (驾培机构).
_SAME_MEASURE = {"所": "所家个", "家": "家所个", "处": "处个", "户": "户家", "名": "名人位", "位": "位名人"}


def _average(question: str, intent: Intent, part: Part, book: CitationBook) -> str:
    """"累计开展普法宣传162次、14400人次" asked "平均一次多少人": the total in the unit asked over the count
    stated just before it (14400÷162≈88.9人次)."""
    unit = asked_unit(question) or ("钱" if wanted_kind(question) == "money" else "")  # "罚的钱，平均每起罚了多少"
    if not _AVERAGE.search(question) or not unit:
        return ""

    def asked(f: Figure) -> bool:
        if unit == "钱":
            return f.kind == "money"
        # (753名 answers "几个人": a count of people in another measure word.)
        same = f.unit.lstrip("余").startswith(unit) or (unit_kind(unit) == "people" and f.kind == "people")
        return same and f.kind in COUNTED_KINDS

    each = _SAME_MEASURE[m.group(1)] if (m := _EACH.search(question)) else ""
    for s in select_sentences(part.evidence.sentences, intent)[:RUNNERS_UP]:
        figs = figures(s.text)
        for i, f in enumerate(figs):
            if i and asked(f):
                # What it is shared among: the figure in the measure word of "每所/每家" when the sentence has
                # one ("11家驾培机构、548部教学车辆、740名教练员" → 740÷11), else the one just before it.
                named = [g for g in figs[:i] if each and g.unit.lstrip("余")[:1] in each]
                per = named[0] if len(named) == 1 else figs[i - 1]
                # (A total smaller than what it is shared among is another figure: 3个金牌调解室 over 753名.)
                if per.unit != f.unit and per.kind in COUNTED_KINDS and 0 < per.magnitude <= f.magnitude:
                    value = f.magnitude / per.magnitude if f.kind != "money" else f.value / per.magnitude
                    # Two decimals below ten (3.55名 per 调解组织), one above (88.9人次 per 活动).
                    ratio = f"{value:.{2 if value < 10 else 1}f}".rstrip("0").rstrip(".")
                    n = book.cite(s.hit, s.text)
                    return f"计算：{f.shown()}÷{per.shown()}≈{ratio}{f.unit.lstrip('余')}（数字引自[{n}]）。"
    return ""


def _asking_clause(question: str) -> str:
    """The clause of a question that asks a count ("能倒推一下审结了大约多少件吗")."""
    return next((c for c in re.split(r"[，,。；;？?！!]", question) if re.search(r"多少|几", c)), "")


def _whole_of_share(question: str, intent: Intent, part: Part, book: CitationBook, asked: str | None = None) -> str:
    """"一共审结了多少件" when the report gives one count and its share of that whole ("撤回28件，占审结
    的42.42%" → 28÷42.42%≈66件); without 一共, when the asking clause names the whole (``asked``)."""
    if not intent.sum and not asked:
        return ""
    unit = asked_unit(question)
    for s in select_sentences(part.evidence.sentences, intent):
        working = whole_from_share(s.text, unit, asked)
        if working:
            return f"计算：{working}（数字引自[{book.cite(s.hit, s.text)}]）。"
    return ""


def _share_within_sentence(intent: Intent, part: Part, book: CitationBook) -> str:
    """A share the report does not state, from a whole and its part in one quoted sentence ("调处纠纷136
    宗，其中…邻里纠纷106宗" → 106÷136≈77.9%): the part is the figure the question names, the whole the
    largest of its kind. A sentence stating a share answers itself and is left alone."""
    named_by = word_groups(part.evidence.terms)
    for s in select_sentences(part.evidence.sentences, intent):
        figs = figures(s.text)
        if states_share(s.text, named_by):
            return ""  # the sentence states the share asked (a 出庭率100% beside 败诉仅1件 is another one)
        named = named_figures(s.text, named_by)
        if not named:
            continue
        found = _whole_and_part(s.text, figs, named)
        if found is None:
            continue
        whole, share = found
        n = book.cite(s.hit, s.text)
        return f"计算：{share_of(share, whole)}（数字引自[{n}]）。"
    return ""


def _whole_and_part(sentence: str, figs: list[Figure], named: list[Figure]) -> tuple[Figure, Figure] | None:
    """The whole and the part a share is asked of. A total said before "其中" is the whole of the figures
    after it ("共录入141件，其中行政检查92起，行政处罚49起": 49 of 141, not of 92); else two figures the
    question names in one unit are part and whole ("52宗提出申请，13宗已转入正式审批", beside 73个项目);
    else the largest figure of the named one's unit is the whole."""
    at = sentence.find("其中")
    if at > 0:
        before = [f for f in figs if f.start < at and f.kind == named[0].kind]
        after = [f for f in named if f.start > at and f.kind == named[0].kind]
        if before and after and before[-1].magnitude > after[0].magnitude:
            return before[-1], after[0]
    by_unit: dict[str, list[Figure]] = {}
    for f in named:
        by_unit.setdefault(f.unit, []).append(f)
    pair = next((fs for fs in by_unit.values() if len(fs) >= 2), None)
    same = pair or [f for f in figs if f.kind == named[0].kind and f.unit == named[0].unit]
    whole = max(same, key=lambda f: f.magnitude)
    parts_named = [f for f in named if f != whole and f in same]
    if not parts_named or whole.magnitude <= 0:
        return None
    return whole, parts_named[0]


def _within_sentence(question: str, intent: Intent, part: Part, book: CitationBook, named_only: bool = False) -> str:
    """Both (or all) figures in one quoted sentence ("排查1825件，成功调解1821件" → 1825−1821=4件), of the
    unit the question counts in when it names one ("多几起" picks 92起 and 49起 over 131家次), combined
    as the question says when it spells out the steps ("新收的加上结转的，再减掉办结的" → 269+18−240)."""
    ops = operators(question)
    stepwise = len(ops) >= 2 and "−" in ops and "+" in ops
    unit = asked_unit(question)
    anchors = anchor_words(part.evidence.terms)
    named_by = word_groups(part.evidence.terms)
    want = len(ops) + 1 if ops else 2
    listed = _listed(question)
    if set(ops) == {"+"} and listed > want:
        ops, want = ["+"] * (listed - 1), listed  # "市里、镇里、村里加起来": three addends
    by_operands = _by_operands(question, intent)
    phrases = operands(question)
    strict = wanted_kind(question)
    candidates = select_sentences(part.evidence.sentences, intent)
    if _REMAINING.search(question) and not ops:
        # "还有多少件没办完": the sentence stating a caseload's flow (新收…结转…办结) first.
        candidates.sort(key=lambda c: not _case_flow(c.text, [f for f in figures(c.text) if f.kind == "count"]))
    for s in candidates:
        figs = figures(s.text)
        if not figs or intent.previous_year and not stepwise and not _names_earlier_period(s):
            # "比上一年多了多少" needs the earlier value stated; two figures of one year are two different
            # things (专利授权1924件, 每万人发明专利拥有量21.77件), never a year-on-year change.
            continue
        same = [f for f in figs if f.unit.lstrip("余") == unit] if unit else []
        if len(same) < 2:
            # The kind asked: its measure word, a rate (败诉率比上一年降了多少 → the two percentages), or
            # that of the figure right after the question's words; else the sentence's first figure's.
            near = figure_near(s.text, anchors)
            kind = (asked_kind(question) if unit else "share" if RATE.search(question)
                    # "罚的钱加起来": the money, not the 686起 beside it; "多少号人": people, not 24个站
                    else strict if strict in STRICT_KINDS or strict == "people"
                    else near.kind if near is not None else figs[0].kind)
            same = [f for f in figs if f.kind == kind]
        if len(same) < 2:
            continue
        # The figures the question names ("劳动纠纷和婚姻家庭纠纷加起来"), in the sentence's order, rather
        # than every figure of the kind (调处纠纷136宗 is their total, not a third addend).
        named = _operand_figures(question, s.text, same[0].kind) if by_operands else []
        if unit and not all(_in_unit(f, unit) for f in named):
            named = []  # "多了多少条": 目录127个 is not one of the two things counted in 条
        if named_only and len(named) != 2 and len(phrases) == 2:
            continue  # ("个人办件和法人办件哪个多": not the two 33698本 of another sentence)
        if len(named) != 2:
            named = named_figures(s.text, named_by, same[0].kind)[:want]
        if len(named) == want:
            same = sorted(named, key=lambda f: f.start)
        n = book.cite(s.hit, s.text)
        if ops and len(same) >= len(ops) + 1:
            working = worked(same[: len(ops) + 1], ops)  # "加上…再减掉…": the question's own steps
            if intent.sum and ops[0] == "+" and "−" in ops:
                working = f"{total(same[:2])}；{working}"  # "一共多少，还剩几件": the total asked too
        elif intent.sum:
            if not addable(same) or (len(named) != want and len({f.unit.lstrip("余") for f in same}) > 1):
                continue  # "42个单位194项责任": figures of one sentence the question does not name are not addends
            if len(named) != want and not phrases and listed < 2 and not intent.diff:
                continue  # "找上级评理的案子一共办了多少件": a total the report states, not two figures added
            if len(named) != want and len(phrases) == 2 and len(same) > 2:
                continue  # two things named but not found among more figures: never all of them (total and parts)
            working = total(same)
        elif _REMAINING.search(question) and (flow := _case_flow(s.text, same, with_total=intent.sum or asks_total(question))):
            working = flow  # "还剩多少没办完": 新收269 + 结转18 − 办结240
        else:
            working = difference(same[0], same[1])
        return f"计算：{working}（数字引自[{n}]）。"
    return ""


#: What is left to do: "还剩多少没办完", "还有几件未办结".
_REMAINING = re.compile(r"还剩|剩下|剩余|没办完|没办结|未办结|未结|没结|还有[^，。？?]{0,10}[没未]")
#: A figure of work finished: "共办结240件", "审结108件".
_DONE = re.compile(r"(?:办结|审结|结案|办理完毕|化解|调处成功|已办)[^，,；;。]{0,4}$")


def _case_flow(sentence: str, same: list[Figure], with_total: bool = False) -> str:
    """What is left of a caseload stated as its inflows and what was finished ("新收269件，上期结转18件，
    共办结240件" → 269+18−240=47件): every figure before the finished one comes in, that one goes out."""
    done = [f for f in same if _DONE.search(sentence[max(0, f.start - 12): f.start])]
    if not done:
        return ""
    before = [f for f in same if f.start < done[0].start]
    if len(before) < 2:
        return ""
    flow = worked([*before, done[0]], ["+"] * (len(before) - 1) + ["−"])
    # "手上总共多少件，还剩几件没结": the caseload asked as well (269+18=287件).
    return f"{total(before)}；{flow}" if with_total else flow


#: Things a question lists before adding them up: "市里、镇里、村里加起来".
_LISTED = re.compile(r"[^，,。？?]*?((?:[^、，,。？?]{1,8}、)+[^、，,。？?]{1,8}?)(?:加起来|加在一起|合起来|一共|总共|合计)")


#: Things counted before adding them up: "这三级加起来", "三者一共", "这四类合计".
_COUNTED = re.compile(r"([两三四五六七八九])(?:个|级|类|项|样|种|家|者|块|部分)[^，,。？?]{0,3}?(?:加起来|加在一起|合起来|一共|总共|合计)")
_CN_DIGIT = {"两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _listed(question: str) -> int:
    m = _LISTED.search(question)
    if m:
        return m.group(1).count("、") + 1
    m = _COUNTED.search(question)
    return _CN_DIGIT[m.group(1)] if m else 0


def _across_sentences(question: str, intent: Intent, part: Part, book: CitationBook) -> str:
    """The two things a question combines, stated in two sentences of one report ("个人办件汇聚328736件",
    "法人办件汇聚75231件" → 328736+75231): each operand's figure from the best sentence naming it, in
    the same unit, each cited."""
    if not _by_operands(question, intent):
        return ""
    phrases = operands(question)
    if len(phrases) != 2:
        return ""
    sents = part.evidence.sentences[:RUNNERS_UP]
    said = [{w for w in tokenize(p) if len(w) > 1 and not w.isdigit()} for p in phrases]
    strict = wanted_kind(question)
    strict = strict if strict in STRICT_KINDS else ""
    unit = asked_unit(question)
    # Each operand's candidates: sentences naming one figure by its words, those saying more of them
    # first ("以市政府名义…规范性文件" is 出台规范性文件12件, not 废止…规范性文件22件), then by rank.
    ranked: list[list[tuple[int, int, SentenceHit, Figure]]] = []
    for own, other in (said, said[::-1]):
        words = [w for w in own if w not in other]  # 个人办件 vs 法人办件: 个人 tells them apart
        groups = word_groups(words)
        # A figure in the measure word asked ("多了多少条": 357万条, not 目录127个) before one saying more words.
        found = [(_in_asked(f, unit) if unit else True, n, -i, s, f) for i, s in enumerate(sents)
                 for n, f in _asked_first(clause_figures(s.text, groups, strict)
                                          or _only_of_kind(s.text, groups, strict), unit)[:1]]
        ranked.append([x[1:] for x in sorted(found, key=lambda x: x[:3], reverse=True)[:3]])
    pairs = [(a[0] + b[0], a[1] + b[1], a, b) for a in ranked[0] for b in ranked[1] if a[2] is not b[2]]
    if not pairs:
        return ""
    _, _, a, b = max(pairs, key=lambda x: x[:2])
    picked = [(a[2], a[3]), (b[2], b[3])]
    if not same_unit([f for _, f in picked]) and not all(
            (u := f.unit.lstrip("余")) and u[0] in p for (_, f), p in zip(picked, phrases, strict=True)):
        return ""  # (unless the question names each measure: "调用的次数比生成的本数多多少")
    figs = [f for _, f in picked]
    cites = [book.cite(s.hit, s.text) for s, _ in picked]
    inputs = "，".join(f"{f.text}[{n}]" for f, n in zip(figs, cites, strict=True))
    if intent.sum:
        return f"计算：{inputs}；{total(figs)}。" if addable(figs) else ""
    return f"计算：{inputs}；{difference(figs[0], figs[1])}。"


def _in_asked(f: Figure, unit: str) -> bool:
    """A figure in the measure word asked ("多了多少条": 357万条), or in one used interchangeably with it
    ("多几件" of 行政检查92起)."""
    return bool(unit) and (f.unit.lstrip("余").endswith(unit) or same_measure(f.unit.lstrip("余")[-1:], unit))


def _in_unit(f: Figure, unit: str) -> bool:
    """A figure in the measure word asked, or in one of the same kind where they mean the same (人/名);
    counts are not interchangeable (目录127个 against 数据357万条)."""
    return _in_asked(f, unit) or (f.kind == unit_kind(unit) and f.kind != "count")


def _asked_first(found: list[tuple[int, Figure]], unit: str) -> list[tuple[int, Figure]]:
    """A clause's figures with those in the measure word asked first (stable otherwise)."""
    return sorted(found, key=lambda x: not _in_asked(x[1], unit)) if unit else found


def _only_of_kind(sentence: str, groups: list[list[str]], kind: str) -> list[tuple[int, Figure]]:
    """A sentence's only figure of a kind no reader confuses (money), when the sentence names the operand
    anywhere ("县应急局围绕安全生产领域执法，…罚款金额476.389万元": 应急局 is in another clause)."""
    if not kind:
        return []
    said = sum(any(w in sentence for w in words) for words in groups)
    figs = [f for f in figures(sentence) if f.kind == kind]
    return [(said, figs[0])] if said and len(figs) == 1 else []


def _lead_with_operands(question: str, intent: Intent, part: Part) -> None:
    """Put first the sentence that holds both things an arithmetic question names ("录进平台的案子里，检查
    的比罚款的多几起" → "其中行政检查92起，行政处罚49起"), if the ranker placed it among the runners-up:
    it is the one to quote and to work on."""
    if not (intent.diff or intent.sum) or not _by_operands(question, intent):
        return
    sents = part.evidence.sentences
    for s in sents[:RUNNERS_UP]:
        found = _operand_figures(question, s.text, "")
        if len(found) == 2 and same_unit(found):  # (检查131家次 and 处罚51起 are not comparable)
            lead_with(sents, [s])
            return
    # Else two sentences of one passage that hold one each ("个人办件汇聚328736件…；" "法人办件汇聚75231件…").
    phrases = operands(question)
    holders = []
    for i, phrase in enumerate(phrases):
        for s in sents[:RUNNERS_UP]:
            f = _phrase_figure(phrase, phrases[1 - i], s.text, "", distinct=True)
            if f is not None:
                holders.append((s, f))
                break
    (a, fa), (b, fb) = holders if len(holders) == 2 else ((None, None), (None, None))
    if a is not None and a is not b and a.hit.chunk.id == b.hit.chunk.id and fa.unit == fb.unit:
        lead_with(sents, [a, b])  # (two sentences of one passage, counting in one measure word)


def _by_operands(question: str, intent: Intent) -> bool:
    """Whether the question's two operands pick its figures: not for steps spelled out (加上…再减掉…, by
    their order) nor for a change over time ("比上一年降了多少" names one thing at two times)."""
    return len(operators(question)) <= 1 and not intent.previous_year


def _operand_figures(question: str, sentence: str, kind: str) -> list[Figure]:
    """One figure per phrase the question combines ("检查类" → 行政检查11692件, "处罚类" → 900件)."""
    out: list[Figure] = []
    phrases = operands(question)
    for i, phrase in enumerate(phrases):
        found = _phrase_figure(phrase, phrases[1 - i] if len(phrases) == 2 else "", sentence, kind)
        if found is None or found in out:
            return []
        out.append(found)
    return out


def _phrase_figure(phrase: str, other: str, sentence: str, kind: str, distinct: bool = False) -> Figure | None:
    """The figure of the sentence one operand phrase names (``distinct``: by its own words only)."""
    words = [w for w in tokenize(phrase) if len(w) > 1 and not w.isdigit()]
    head = _shared_head(phrase, other) if other else []
    groups = word_groups(words)
    if distinct:
        # Across sentences, a word both phrases say ("个人办件和企业办件": 办件) tells neither figure.
        groups = [g for g in groups if not any(w in other for w in g[:1])]
    if head and (kept := [w for w in words if w not in head]):
        # The word just before "的案子" tells this operand from the other ("…平台上检查的案子" → 检查),
        # the words before it set the scene (平台 names the total): nearest first, not rarest.
        groups = [[w, *sorted(synonyms(w))] for w in reversed(kept)]
    found = named_figures(sentence, groups, kind)
    return found[0] if found else None


def _shared_head(phrase: str, other: str) -> list[str]:
    """The noun both operands count, said once ("检查的案子比处罚的[案子]多"): it names neither figure, and
    in the sentence it names the total (办理案件12596件) rather than either part."""
    if not other.endswith("的") or "的" not in phrase.rstrip("的"):
        return []
    return [w for w in tokenize(phrase.rstrip("的").rsplit("的", 1)[1]) if len(w) > 1]


_EARLIER = re.compile(r"去年|上年|上一年|前一年|同期|上期")
#: A figure and its change on the year before: "信访事项1425件，较去年同期下降41.5%".
_CHANGE_RATE = re.compile(r"(?:较|比|同比)(?:去年|上年|上一年|前一年)?(?:同期)?(下降|减少|降低|增长|增加|上升|提高)了?\s*(\d+(?:\.\d+)?)\s*[%％]")


def _earlier_from_change(question: str, intent: Intent, part: Part, book: CitationBook) -> str:
    """The year before's value when the report gives only this year's figure and its change ("1425件，较去年
    同期下降41.5%" → 1425÷(1−41.5%)≈2436件), and the difference when that is asked (≈1011件). The
    report's own rate is quoted, and the result is marked as worked out from it."""
    if not intent.number or RATE.search(_CHANGE_RATE.sub("", question)):
        return ""
    named_by = word_groups(part.evidence.terms)
    for s in select_sentences(part.evidence.sentences, intent):
        m = _CHANGE_RATE.search(s.text)
        if m is None:
            continue
        before = [f for f in figures(s.text[: m.start()]) if f.kind != "share"]
        named = named_figures(s.text[: m.start()], named_by)
        if not before or not named or named[0].start != before[-1].start:
            continue  # the rate is about the figure the question names (not 专利拥有量 for 专利授权)
        f = before[-1]
        rate = float(m.group(2)) / 100
        down = m.group(1) in ("下降", "减少", "降低")
        if down and rate >= 1:
            continue
        earlier = f.value / (1 - rate if down else 1 + rate)
        unit = f.unit.lstrip("余")
        sign = "−" if down else "+"
        n = book.cite(s.hit, s.text)
        # As precise as the figure itself: 21.77件 a year before 6.65% growth was ≈20.41, not ≈20.
        places = f.places
        work = f"{f.shown()}÷(1{sign}{m.group(2)}%)≈{earlier:.{places}f}{unit}"
        if intent.diff:
            gap = abs(earlier - f.value)
            work += f"，{'少' if down else '多'}了约{gap:.{places}f}{unit}"
        return f"计算：上一年约为{work}（数字引自[{n}]，由报告所给的变化率推算）。"
    return ""


def _names_earlier_period(s: SentenceHit) -> bool:
    years = years_in(s.text)
    current = s.hit.chunk.year or max(years, default=0)
    return bool(_EARLIER.search(s.text)) or any(y < current for y in years)


__all__ = ["ExtractiveAnswerer", "select_sentences"]
