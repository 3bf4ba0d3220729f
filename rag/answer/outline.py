"""Summaries and lists from the report's own structure: the points of the section a question is about.

"石狮市承认了哪些不足？" is answered by the 存在问题 section's points — its sub-headings, or the 一是…二是…
items of its paragraph — each cited, all of them, in report order. A list answer that stops at the first
item is wrong, and a summary written by a model can drop or invent points; the report's own outline
cannot.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from rag.answer import lexicon
from rag.answer.evidence import Evidence, SentenceHit, is_heading, lead_with, term_hit
from rag.answer.intent import EFFORT
from rag.answer.parts import PLANS, PROBLEMS, WORK, asked_part, heading_parts
from rag.answer.sentences import SentenceVectors, sentence_spans
from rag.retrieval.tokenize import _jieba, tokenize
from rag.schema import Chunk, ScoredChunk

MAX_POINTS = 8
#: An enumerated item this short is one point as a whole ("四是积极构建社会诚信体系…修复1015家企业信用。").
WHOLE_ITEM_CHARS = 200
#: An enumerated item inside a paragraph: 一是… / （一）… / 1. … / 第一，…
_ITEM = re.compile(r"(?:(?<=[。；：:\n，,*])|^)\s*(?:[一二三四五六七八九十]+是|[（(][一二三四五六七八九十]+[)）]|\d{1,2}[.、．]|第[一二三四五六七八九十]+[，、])")
#: An enumerated item whose first sentence is a phrase (no comma) this short is a label, like a heading;
#: its next sentence, which says what is meant, is kept with it.
_LABEL_CHARS = 30
#: A sentence that introduces its list after a colon: "主要表现在以下方面：A，B，C。"
_LISTING = re.compile(r"(?:以下|如下|表现为|表现在|主要有|包括|分别是|分别为)[^，。：:]{0,6}[:：]")
#: Generic words of summary questions: they say "a list is wanted", not which section.
_GENERIC = {"干活", "做事", "办事", "主要", "哪些", "什么", "情况", "工作", "方面", "总结", "概括", "介绍", "做", "干", "搞", "啥", "想", "怎么",
            "怎么样", "如何", "重点", "这块", "几件", "哪几件", "事", "事情", "一下", "说说", "讲讲", "都", "有", "哪",
            "报告", "里", "自己", "说", "承认", "提到", "政府", "上", "着", "了", "的", "在", "是", "把", "被", "给",
            "也", "还", "就", "又", "吗", "呢", "吧", "啊", "人", "些", "个", "这", "那", "他们", "我们", "这份",
            "那份", "份", "内容", "简单", "简要", "概述", "梳理", "讲", "下",
            # asking for a list ("你给列一列", "罗列一下")
            "列", "一列", "列一列", "列出", "列举", "罗列", "归纳", "盘点", "这方面", "这一块",
            # when, as a citizen says it ("平时都做了啥准备"): the report's year, not a section
            "平时", "平常", "平日", "日常", "现在", "如今", "眼下",
            # where, as said in a chat ("安溪那边", "县里"): the report's place, not a section
            "那边", "这边", "那里", "这里", "那儿", "这儿", "县里", "镇上", "镇里", "市里", "区里",
            # a report owning up to its shortcomings ("自己坦白了哪些问题")
            "坦白", "交代", "检讨", "反思", "自曝",
            # where work starts ("从哪几个方面下手", "在哪使劲"): how, not which section
            "从", "是从", *EFFORT.split("|")}
_QUOTED_NAME = re.compile(r"“[^”]*”")
#: What a heading one level deeper must earn over its parent to be the section a question is about.
_DEPTH_COST = 0.25
#: The subject of a whole 法治政府建设 report in the words people use for it.
_SUBJECT = {"依法办事", "依法行政", "法治政府", "法治建设", "依法治理", "法治", "依法治县", "依法治市", "依法治区", "依法治镇"}
#: Front matter and signature: never a section a question is about.
_FRONT = ("导言", "落款")
#: A section must match the question at least this well to be its answer (words, meaning); the part a
#: question asks for (plans, shortcomings) counts as that match by itself.
SURE = 0.45
#: How much better than SURE a section inside the asked-for part must match to be chosen over the part.
_CLEARLY = 0.1
#: A report's own item marker at the start of a point ("1." "（二）" "一是"): the answer numbers its points.
_MARKER = re.compile(r"^\s*(?:[（(][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+[、是]|\d{1,2}[.、．]|第[一二三四五六七八九十]+[，、,])\s*")


def point_text(text: str) -> str:
    """A point as the answer lists it: without the report's own number, which the answer's replaces."""
    bare = re.sub(r"\s*\n\s*", "", _MARKER.sub("", text, count=1).replace("**", ""))  # one line per point
    return bare if len(bare) >= 2 else text


def _items_in_text(text: str, items: bool) -> list[tuple[int, int]]:
    """Spans of the enumerated items of a text (``items``: its section enumerates them), else of its
    sentences, a listing sentence ("主要表现在以下方面：A，B，C。") giving its listed points."""
    if items:
        starts = [m.start() for m in _ITEM.finditer(text)]
        spans = []
        for i, s in enumerate(starts):
            while s < len(text) and text[s].isspace():
                s += 1
            e = starts[i + 1] if i + 1 < len(starts) else len(text)
            # An item is its first sentence: "一是X有待提高。" (the rest explains it); a bare label
            # ("一是落实普法责任。") keeps its next sentence, which says what was done.
            sents = sentence_spans(text[s:e])
            if not sents:
                spans.append((s, e))
                continue
            end = sents[0][1]
            if _is_label(text[s : s + end]) and len(sents) > 1:
                end = sents[1][1]
            if sents[-1][1] <= WHOLE_ITEM_CHARS:
                end = sents[-1][1]  # a short item is quoted whole: what was done and what it achieved
            spans.append((s, s + end))
        return spans
    spans = []
    for s, e in sentence_spans(text):
        m = _LISTING.search(text, s, e)
        parts = list(re.finditer(r"[^，,；;。]+", text[m.end() : e])) if m else []
        if m and len(parts) >= 2:
            spans.extend((m.end() + p.start(), m.end() + p.end()) for p in parts)
        else:
            spans.append((s, e))
    return spans


def _is_label(sentence: str) -> bool:
    return len(sentence) < _LABEL_CHARS and not re.search(r"[，,；;]", sentence)


def item_label_end(text: str, start: int, end: int) -> int:
    """Where a quoted sentence should end: an item's bare label ("四是发布政策解读。") says what was done,
    not how much or where; its next sentence, which does, is quoted with it."""
    sentence = text[start:end]
    if _MARKER.match(sentence) and _is_label(sentence.strip()):
        return _with_first_sentence(text, start, end)
    return end


def _with_first_sentence(text: str, start: int, end: int) -> int:
    """The end of a sub-heading's point: its first body sentence too ("持续强化宣传教育。坚持宣传教育不
    放松，营造浓厚法治氛围。"), which says what the heading's few words mean."""
    rest = sentence_spans(text[end:])
    body = [(s, e) for s, e in rest if text[end + s : end + e].strip()]
    return end + body[0][1] if body else end


def heading_paths(chunks: list[Chunk]) -> list[str]:
    """Every section path of these chunks as one line ("七、下一步工作计划 （三）加强法治宣传教育…"),
    the text whose vector says what a section is about (made at ingest with the sentence vectors)."""
    out: dict[str, None] = {}
    for c in chunks:
        for d in range(1, len(c.section_path) + 1):
            if c.section_path[0] not in ("导言", "落款"):
                out.setdefault(" ".join(c.section_path[:d]), None)
    return list(out)


def _heading_match(topic: dict[str, float], path: tuple[str, ...]) -> float:
    """How well a heading path holds the topic words: in the heading itself fully, in its parents' headings
    half (they are its context; else every sub-section of "强化行政权力制约监督" would match "监督")."""
    total = sum(topic.values())
    if not total:
        return 0.0
    own, parents = path[-1].lower(), " ".join(path[:-1]).lower()
    return sum(w * max(term_hit(t, own), 0.5 * term_hit(t, parents)) for t, w in topic.items()) / total


#: Words of a question that never name a section: question words, times ("这一年", "今年"; the year is
#: the report's), and verbs of doing ("干出", "做得", "干点啥").
_QUESTION_WORD = re.compile(r"[哪几啥谁年]|什么|怎么|怎样|如何|为了|多少|^[干做搞办弄抓][出得了过好点些]?$")


def _narrowest(best: tuple, scored: list[tuple], topic: dict[str, float]) -> tuple:
    """The one sub-section whose own heading holds the topic as well as the best section's own heading
    does: the section matched through it ("强化行政权力制约监督" for 盯着, of which only "自觉接受各方监督"
    is about who watches)."""
    k = best[2]
    own = _heading_match(topic, k[-1:]) if k else 0.0
    if own <= 0:
        return best
    children = [x for x in scored if len(x[2]) == len(k) + 1 and x[2][: len(k)] == k]
    # (A word inside a quoted name, "深入开展“营商环境创优年”行动", names a campaign, not the sub-section's subject.)
    holding = [x for x in children if _heading_match(topic, (_QUOTED_NAME.sub("", x[2][-1]),)) >= own]
    # (and as close in meaning to the question, but for the cost of its depth)
    return holding[0] if len(holding) == 1 and holding[0][0] + _DEPTH_COST >= best[0] else best


#: What every plan and every shortcoming is about ("往后准备怎么改进", "哪些短板没补上"): doing better, which
#: names no section of the part.
_BETTER = {"改进", "改善", "改正", "改", "提升", "提高", "加强", "完善", "补", "补上", "补齐", "弥补", "补足", "整改"}


def _names_section(word: str, part: str | None) -> bool:
    if word in _GENERIC or _QUESTION_WORD.search(word):
        return False
    if lexicon.pos(word) == "r":
        return False  # a pronoun ("自个儿说还有哪些短板")
    # (nor, in the plans or shortcomings, doing better or a fragment of not having done it: "没补上")
    return not (part in (PLANS, PROBLEMS) and (word in _BETTER or (word[0] in "没未" and lexicon.pos(word) is None)))


def _topic(weights: dict[str, float], title: str, part_words: list[str], part: str | None = None) -> dict[str, float]:
    """The question's words that say which section: not its generic words, not the report's title words
    (法治政府建设 is in every heading's context), not the words that named the part (明年, 不足)."""
    return {t: w for t, w in weights.items()
            if _names_section(t, part) and t not in title and not any(t in p or p in t for p in part_words)}


#: Words this common (jieba idf: 觉得 4.8, 法律 5.6, 要求 4.6) do not narrow a part to a topic; 普法 (9.5) does.
TOPIC_MIN_IDF = 6.0


def _specific(topic: dict[str, float], chunks: list[Chunk], tops: list[str],
              vocabulary: Callable[[str], bool] | None = None) -> dict[str, float]:
    """The topic words that narrow a question about a whole part (its shortcomings, its plans) to a
    subject: not common words, not words the report uses in at least half of its parts (依法, 法治:
    the subject of the whole report; 县政府, the body that wrote it), and only things: a noun (航天), or a word the reports use. A chat
    word the reports never use and that names nothing ("说说看", "盘算", a fragment like "我列") says how
    the question is asked, not what about."""
    texts = [" ".join(c.text for c in chunks if c.section_path[0] == t).lower() for t in tops]
    return {w: v for w, v in topic.items() if lexicon.idf(w) >= TOPIC_MIN_IDF and len(w) > 1
            and (_nominal(w) or vocabulary is None or vocabulary(w) or lexicon.report_word(w)) and not lexicon.names_body(w)
            and sum(term_hit(w, x) >= 0.9 for x in texts) * 2 < len(texts)}


def _verb(word: str) -> bool:
    tag = lexicon.pos(word) or ""
    return tag.startswith("v") and tag != "vn"


def _nominal(word: str) -> bool:
    tag = lexicon.pos(word) or ""
    return tag.startswith("n") or tag in ("vn", "j", "eng")


def outline_evidence(question: str, ev: Evidence, doc_chunks: list[Chunk], weights: dict[str, float],
                     q_vec: np.ndarray | None = None, vectors: SentenceVectors | None = None,
                     need_match: bool = False, vocabulary: Callable[[str], bool] | None = None) -> Evidence | None:
    """The points of the section the question is about, at the heading level the question names.

    The section is looked for inside the part the question asks about (its plans, its shortcomings, its
    work), by the question's topic words (synonyms included) and meaning against each heading path; with
    no topic, the part itself is the answer. ``need_match``: only a section that matches surely (a list
    question that may be about one fact) is returned, else None and the best sentences answer.
    ``vocabulary``: whether the reports use a word at all (the lexical index's vocabulary).
    """
    if not ev.sentences:
        return None
    top = ev.sentences[0].hit
    doc_id = top.chunk.doc_id
    chunks = sorted((c for c in doc_chunks if c.doc_id == doc_id and c.section_path
                     and c.section_path[0] not in _FRONT), key=lambda c: c.ordinal)
    if not chunks:
        return None
    tops = list(dict.fromkeys(c.section_path[0] for c in chunks))
    part, part_words = asked_part(question)
    title = top.chunk.title.lower()
    topic = _topic(weights, title, part_words, part)
    if part is not None:
        # "接下来怎么抓依法办事，定了哪几条打算": the report's own subject, said as a citizen says it, narrows
        # its plans (or shortcomings) to nothing: they are all about it.
        topic = {t: w for t, w in topic.items() if t not in _SUBJECT}
    if part is None and not topic and not need_match:
        part = WORK  # "总结一下鲤城的报告": a summary that names nothing is one of the work done
    in_part = tops
    if part is not None:
        kinds = heading_parts(tops, vectors)
        in_part = [t for t in tops if kinds[t] == part]
        if not in_part:
            if part != WORK:
                return None  # a report without a plans (or problems) part does not answer by its outline
            in_part = tops
    path = top.chunk.section_path
    # Every section of the report (for a stable centring of the similarities) and those in the part.
    prefixes = list(dict.fromkeys(tuple(c.section_path[:d]) for c in chunks for d in range(1, len(c.section_path) + 1)))
    sems = np.zeros(len(prefixes), dtype=np.float32)
    if q_vec is not None and vectors is not None:
        sems = vectors.get([" ".join(k) for k in prefixes]) @ q_vec
        sems = sems - float(sems.mean())
    scored = []
    for k, sem in zip(prefixes, sems, strict=True):
        if k[0] not in in_part:
            continue
        own = 0.15 if list(k) == path[: len(k)] else 0.0
        # A heading is about its own words; its parents' words are context and count half (else every
        # sub-section of "强化行政权力制约监督" would match "监督" as well as the one about it).
        lex = _heading_match(topic, k)
        # A deeper heading must earn its place: 0.25 per level below the first.
        scored.append((lex + own + 5.0 * float(sem) - _DEPTH_COST * (len(k) - 1), -len(k), k))
    best = max(scored) if scored else (0.0, 0, ())
    best = _narrowest(best, scored, topic)
    labelled = None
    if part in (None, WORK) and _ASKS_AREA_ITEMS.search(question):
        near = {tuple(x.hit.chunk.section_path) for x in ev.sentences[:3]}
        labelled = _labelled_areas(topic, chunks, in_part, near)
    # The part as a whole ("下一步" → 七、下一步工作计划; "取得了哪些成绩" → the work sections) when the
    # question names a part and no section inside it matches its topic clearly.
    whole = part is not None and not labelled and (not topic or (part != WORK and best[0] < SURE + _CLEARLY))
    prefix: tuple[str, ...]
    if whole:
        prefix = (in_part[0],) if len(in_part) == 1 else ()
        # Sure only when the part speaks of the topic at all ("明年在航天上有什么打算" is not answered by
        # next year's plans for 法治).
        text = " ".join(c.text for c in chunks if c.section_path[0] in in_part).lower()
        specific = _specific(topic, chunks, tops, vocabulary)
        speaks = not specific or _part_coverage(specific, text) >= 0.5
        inside = [s for s in ev.sentences if _in_part(s, in_part)]
        areas = [x for x in inside if _AREA_LIST.search(x.text)] if _ASKS_AREAS.search(question) else []
        if areas:
            inside = areas  # "明年重点盯哪几块": the sentence listing "社会治理、古城文旅、民生保障等重点领域"
        if inside and (areas or _asks_things(question, part_words)):
            # "下一步请哪些人来上课", "想借哪些平台普法": the things one plan names ("法律专家、资深法官等",
            # "抖音、快手等平台"): the part's best sentence answers, not the part's points.
            lead_with(ev.sentences, inside[:1])
            return None
        item = _focused_item(topic, top, chunks, in_part) if part != WORK else None
        if item:
            # "明年普法打算怎么搞": one item of the plans is about 普法 and the others are not; its
            # sentences answer, each a point, not the headings of every plan.
            features = {**ev.features, "outline_match": SURE}
            return Evidence(hits=ev.hits, sentences=item[:MAX_POINTS], terms=ev.terms, chunk_coverage=1.0,
                            kind="outline", foreign=ev.foreign, features=features, p_answer=ev.p_answer)
        outside = (not path or path[0] not in in_part) and not speaks
        if specific and (need_match or outside) and not _AREA.search(question) and _narrow(
                specific, ev.sentences[0].text, [c.text for c in chunks if c.section_path[0] in in_part]):
            # "下一步想找哪些人进讲师团" (a list of one plan's things) and "红黄蓝预警主要盯哪些毛病" (a subject
            # outside the shortcomings): the sentence about it answers, not the part's list of points.
            return None
        match = SURE if speaks else min(best[0], SURE - 0.01)
    elif labelled:
        match, prefix = SURE, labelled
    elif best[0] >= SURE:
        match, prefix = best[0], best[2]
    elif not path or path[0] in _FRONT or (need_match and not _MARKER.match(ev.sentences[0].text)):
        # A list question whose best sentence is one of its section's items ("一是出台…十四条措施")
        # is answered by all of them; one whose best sentence is not needs a section that matches.
        return None
    else:
        if path[0] not in in_part:
            # The best sentence lies outside the part asked ("具体做了哪些事" answered from next year's plans):
            # the best one inside the part says which of its sections, if any does.
            inside = next((x for x in ev.sentences if _in_part(x, in_part)), None)
            if inside is None:
                return None
            lead_with(ev.sentences, [inside])
            top, path = inside.hit, inside.hit.chunk.section_path
        match, prefix = best[0], tuple(path)
    points = _points(top, chunks, list(prefix), in_part)
    if len(points) < (1 if match >= SURE else 2):
        return None  # a sure section may hold one point (安溪's 下一步 is one sentence)
    features = {**ev.features, "outline_match": min(match, 1.5)}
    return Evidence(hits=ev.hits, sentences=points[:MAX_POINTS], terms=ev.terms, chunk_coverage=1.0,
                    kind="outline", foreign=ev.foreign, features=features, p_answer=ev.p_answer)


def _in_part(s: SentenceHit, in_part: list[str]) -> bool:
    path = s.hit.chunk.section_path
    return bool(path) and path[0] in in_part


#: A question that calls its subject an area ("依法行政这块有什么计划") wants the part's points on it.
_AREA = re.compile(r"这块|这一块|这方面|方面|领域")
#: "哪些人", "哪几家单位", "什么平台": a list of things of one kind. Not the part's own points ("哪些工作",
#: "哪几块", "什么打算").
_WHICH_THINGS = re.compile(r"(?:哪些|哪几[个位类种家样]?|哪[类种位家样]|什么|啥)([\u4e00-\u9fff]{1,5})")
#: Measure words that count a part's points ("哪几条", "哪几处", "哪些").
_POINT_MEASURES = "件条项个点样块些处"
_PART_NOUNS = re.compile(rf"^[{_POINT_MEASURES}大]?(?:工作|事|措施|举措|做法|方面|问题|不足|短板|毛病|缺点|差距|环节|打算|计划|安排|"
                         r"重点|任务|内容|亮点|成绩|成效|招|办法|块|头|领域|地方|变化|新|动作|名堂|思路|目标|想法|方向|部署)")


#: Areas asked for ("重点盯哪几块", "关注哪些领域") and a sentence listing them ("A、B、C等重点领域").
#: ("从哪几个方面发力/下手" asks for the plans' or the work's points, not the areas they name.)
_ASKS_AREAS = re.compile(rf"(?:哪些|哪几)[个大]?(?:块|领域|方面)(?![^，。？?]{{0,2}}(?:{EFFORT}|推进|抓))")
_AREA_LIST = re.compile(r"、[^，。；;]{1,12}等[^，。；;]{0,4}(?:领域|方面)")


#: "在哪些领域加大了执法", "盯着哪几个行当查": areas asked for, which a section may enumerate as its items'
#: labels ("一是安全生产领域。…二是物业管理领域。…").
_ASKS_AREA_ITEMS = re.compile(r"(?:哪些|哪几)[个大类种]?(?:领域|方面|行当|行业|块|类)")
_AREA_LABEL = re.compile(r"(?:领域|方面|行业)$")


def _labelled_areas(topic: dict[str, float], chunks: list[Chunk], in_part: list[str],
                    near: set[tuple[str, ...]]) -> tuple[str, ...] | None:
    """The section whose enumerated items are labelled as areas (at least two) and which holds one of the
    best sentences (``near``: their section paths); the best-matching of several."""
    found: dict[tuple[str, ...], int] = {}
    for c in chunks:
        if c.section_path[0] not in in_part:
            continue
        starts = [m.end() for m in _ITEM.finditer(c.text)]
        for i, st in enumerate(starts):
            first = sentence_spans(c.text[st : starts[i + 1] if i + 1 < len(starts) else len(c.text)])
            label = c.text[st + first[0][0] : st + first[0][1]].strip().rstrip("。；;：:") if first else ""
            if _is_label(label) and _AREA_LABEL.search(label):
                key = tuple(c.section_path)
                found[key] = found.get(key, 0) + 1
    sections = [k for k, n in found.items() if n >= 2 and k in near]
    if not sections:
        return None
    return max(sections, key=lambda k: (_heading_match(topic, k), -len(k)))


#: "哪些没弄好的地方": what was not done well, the shortcomings themselves.
_UNDONE = re.compile(r"(哪些|哪几[个样]?|什么|啥)[没未][^，。？?的]{1,4}的")


def _asks_things(question: str, part_words: list[str] = ()) -> bool:
    m = _WHICH_THINGS.search(_UNDONE.sub(r"\1", question))
    if m is None:
        return False
    # "哪几样", "哪几条大的思路": the part's own points, counted by a measure word, maybe called big or main.
    noun = re.sub(rf"^([{_POINT_MEASURES}]?)(?:大|主要|重点|具体|关键)的?", r"\1", m.group(1))
    if re.fullmatch(rf"[{_POINT_MEASURES}]", noun):
        return False
    for w in part_words:  # "哪些薄弱的地方", "哪些问题和不足": the part itself, as its own words say
        if noun.startswith(w):
            noun = noun[len(w):].lstrip("的和与及、跟或") or "问题"
    # "有什么盘算" asks what is planned, as 打算 does: a verb (of thinking, of doing) names no thing.
    return not _PART_NOUNS.match(noun) and not _verb(_jieba().lcut(noun)[0])


#: A subject a part speaks of in at most this many of its paragraphs is a detail of it, not a theme.
_DETAIL_CHUNKS = 1


def _narrow(specific: dict[str, float], best: str, part_texts: list[str]) -> bool:
    """Whether the question's rare subject is one detail the best sentence states (讲师团 in one plan, 红黄蓝
    预警 in one piece of work while the question said 毛病), rather than a theme of the part the question
    names: then that sentence answers, not the part's list of points."""
    if _part_coverage(specific, best.lower()) < 0.5:
        return False
    rarest = max(specific, key=lambda w: (lexicon.idf(w), w))
    return sum(term_hit(rarest, t.lower()) >= 0.9 for t in part_texts) <= _DETAIL_CHUNKS


def _part_coverage(topic: dict[str, float], text: str) -> float:
    """How much of the question's topic a part speaks of. A long word counts when a word inside it does:
    a citizen's 依法办事 is the report's 依法 (行政); 航天 has no such part and stays missing."""
    total = sum(topic.values()) or 1.0
    hit = 0.0
    for t, w in topic.items():
        inner = [s for s in tokenize(t) if len(s) >= 2 and s != t] if len(t) >= 3 else []
        hit += w * max(term_hit(t, text), float(any(s in text for s in inner)))
    return hit / total


def _points(top: ScoredChunk, chunks: list[Chunk], prefix: list[str], tops: list[str]) -> list[SentenceHit]:
    """A section's points: its sub-headings, or else the enumerated items (or sentences) of its text.
    An empty prefix stands for the given first-level sections together."""
    points: list[SentenceHit] = []
    depth = len(prefix)
    children: dict[str, Chunk] = {}
    section = [c for c in chunks if c.section_path[:depth] == prefix and (depth or c.section_path[0] in tops)]
    for c in section:
        if len(c.section_path) > depth:
            children.setdefault(c.section_path[depth], c)
    if len(children) >= 2:
        for child, c in children.items():
            start = c.text.find(child)
            if start >= 0:
                # A heading names the work; its first body sentence says what it holds (持续强化宣传教育 →
                # 坚持宣传教育不放松…), which is what a reader of a summary wants to see.
                end = _with_first_sentence(c.text, start, start + len(child))
                points.append(_point(top, c, start, end, len(points)))
        return points
    items = sum(len(_ITEM.findall(c.text)) for c in section) >= 2
    seen: set[str] = set()
    for c in section:
        for s, e in _items_in_text(c.text, items):
            body = c.text[s:e].strip()
            # The section's own headings are not its points (an item that is a deeper heading is).
            own = body.rstrip("。；;：: ") in {h.rstrip("。；;：: ") for h in prefix}
            if len(body) < 4 or body in seen or own or (not items and is_heading(body, c.section_path)):
                continue
            seen.add(body)
            points.append(_point(top, c, s, e, len(points)))
    return points


#: An item of a part answers a question on its own when it holds at least this share of the question's
#: topic (synonyms included) and this much more than any other item of the part.
ITEM_FOCUS = 0.5
ITEM_MARGIN = 0.3


def _focused_item(topic: dict[str, float], top: ScoredChunk, chunks: list[Chunk],
                  in_part: list[str]) -> list[SentenceHit]:
    """The sentences of the one item of a part (a sub-section, or an 一是… item of its paragraph) that
    the question's topic is about, or [] when the topic is spread over the part or absent from it."""
    # 法治, 盯着 name no item; nor does a single character (定 in "定了哪几条", 制定 in every item)
    topic = {t: w for t, w in topic.items() if lexicon.idf(t) >= TOPIC_MIN_IDF and len(t) > 1}
    if not topic or len(in_part) != 1:
        return []
    section = [c for c in chunks if c.section_path[:1] == [in_part[0]]]
    items: dict[object, list[tuple[Chunk, int, int]]] = {}
    for c in section:
        if len(c.section_path) > 1:
            items.setdefault(c.section_path[1], []).append((c, 0, len(c.text)))
        else:
            starts = [m.start() for m in _ITEM.finditer(c.text)]
            for i, st in enumerate(starts):
                items.setdefault((c.id, i), []).append((c, st, starts[i + 1] if i + 1 < len(starts) else len(c.text)))
    if len(items) < 3:
        return []
    total = sum(topic.values()) or 1.0

    def cover(spans: list[tuple[Chunk, int, int]]) -> float:
        text = " ".join(f"{c.section_path[-1]} {c.text[s:e]}" for c, s, e in spans).lower()
        return sum(w * term_hit(t, text) for t, w in topic.items()) / total

    ranked = sorted(((cover(v), k) for k, v in items.items()), key=lambda x: -x[0])
    if ranked[0][0] < ITEM_FOCUS or ranked[0][0] - ranked[1][0] < ITEM_MARGIN:
        return []
    points: list[SentenceHit] = []
    for c, st, en in items[ranked[0][1]]:
        head = c.section_path[0]  # the part's own heading line ("七、下一步工作计划") opens its first item's chunk
        if c.text[st:en].lstrip().startswith(head):
            st = c.text.index(head, st) + len(head)
        spans = [(st + s, st + e) for s, e in sentence_spans(c.text[st:en])]
        if len(spans) > 1 and _is_label(c.text[spans[0][0]:spans[0][1]].strip()):
            # The item's label ("行政执法队伍力量有所薄弱。") is one point with the sentence saying what it means.
            spans[:2] = [(spans[0][0], spans[1][1])]
        for s, e in spans:
            if len(c.text[s:e].strip()) >= 4:
                points.append(_point(top, c, s, e, len(points)))
    return points


def _point(top: ScoredChunk, chunk: Chunk, start: int, end: int, i: int) -> SentenceHit:
    hit = ScoredChunk(chunk, score=top.score, dense=top.dense, lexical=top.lexical)
    return SentenceHit(hit, i, start, end, coverage=1.0, score=2.0 - i / 100)
