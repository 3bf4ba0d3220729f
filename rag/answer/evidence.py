"""Sentence-level evidence: which sentences of the retrieved chunks answer the question, and how surely.

Every candidate sentence gets a few signals — the multilingual model's similarity to the question
(precomputed sentence vectors), the share of the question's words or their synonyms it holds under its
headings, whether it holds the kind of answer asked for, its chunk's retrieval rank — and the learned
sentence model (``rag.answer.model``) ranks them. The same signals, summarised for the best sentences,
feed the answerability model. Word weights come from jieba's general idf table, never from the corpus,
so a decision does not drift as reports are added.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from rag.answer import lexicon
from rag.answer.intent import Intent
from rag.answer.model import AnswerModel
from rag.answer.numbers import figure_near, figures, kind_fit, unit_kind, wanted_kind
from rag.answer.sentences import SentenceVectors, sentence_spans
from rag.retrieval.tokenize import tokenize
from rag.schema import ScoredChunk
from rag.text import CJK_RE, CJK_RUN_RE

_DIGIT = re.compile(r"\d")
_NAMEISH = re.compile(r"[《“「]|律师事务所|公司|中心|委员会|〔|签发|办公室|[局所院站队]")
#: The kind of body a name question asks for: "哪家律师事务所", "哪个部门".
_ASKED_BODY = re.compile(r"哪[家个所一]?(律师事务所|律所|公司|企业|单位|部门|机构|学校|医院|银行|协会|法院)")
_YEAR_TOKEN = re.compile(r"^(20\d{2})(年|年度)?$")
_HEADING_ONLY = re.compile(r"^[（(]?[一二三四五六七八九十\d]+[)）、.．是]")
_LATIN = re.compile(r"[A-Za-z]")
#: A word of English (four letters or more): "legal", "cases"; not "App", "i", "AI".
_ENGLISH_WORD = re.compile(r"[A-Za-z]{4,}")
_ACRONYM = re.compile(r"(?<![A-Za-z])[A-Z]{2,6}(?![A-Za-z])")
_FOLLOW_WORDS = {"那", "那么", "呢", "还有", "又", "分别", "各", "各自", "各个", "一共", "总共", "及其", "她", "他",
                 "它", "该", "这个", "那个", "年", "年度", "上一年", "前一年", "去年", "今年", "当年", "就是", "也就是", "多了", "少了", "最", "更", "比",
                 # asking to compare ("对比一下", "比较"): how to answer, not what about (相比 is in many sentences)
                 "对比", "比较", "相比", "对照", "比一比", "比一下"}
#: A year named in full ("2023年"), as the scope reads it once short years are written out.
YEARS = re.compile(r"(20\d{2})\s*年")
#: A word made a quantity by its last character (生成量, 调用数, 办结率): the rest names what is measured.
_MEASURE_SUFFIX = re.compile(r"..[量数率额]$")
#: Measure words the segmenter glues to the next word ("起纠纷", "件案子").
_MEASURE_LEAD = frozenset("起件个名次项宗家户条份位批场篇")
#: Function characters the segmenter glues to the verb after them when the pair is no word (上录, 各录).
_FUNCTION_LEAD = frozenset("上各都也再又才就在把给被让")
#: "几头", "几块", "几招": a question word counting points or measures, never a figure of the reports.
_POINTS_ASKED = re.compile(r"^几[头块样招点]$")
_QUOTED = re.compile(r"[“\"「『‘]([^”\"」』’]+)[”\"」』’]")


@dataclass
class SentenceHit:
    hit: ScoredChunk
    rank: int  # rank of its chunk in the retrieved list
    start: int  # span inside the chunk text
    end: int
    coverage: float  # idf-weighted share of question terms found in the sentence (with its headings)
    score: float  # the sentence model's logit; higher is better
    sem: float = 0.0  # cosine similarity to the question (multilingual model)
    typed: float = 1.0  # holds the kind of answer asked for (a number for 多少, a name for 哪家)
    told: float = 0.0  # share of it the conversation's last answer already said (a follow-up wants news)
    ctx: float = 0.0  # coverage the sentence before it adds (it often names the topic this one counts)

    @property
    def text(self) -> str:
        return self.hit.chunk.text[self.start : self.end]


def lead_with(sentences: list[SentenceHit], first: list[SentenceHit]) -> None:
    """Quote these sentences first, in this order: their scores go just above the current lead's, for
    the quoted order and the runners-up chosen after it follow the score (two already leading are raised
    together, so the second is quoted beside the first)."""
    if len(first) == 1 and sentences and sentences[0] is first[0]:
        return
    top = sentences[0].score
    for i, s in enumerate(reversed(first), 1):
        sentences.remove(s)
        s.score = top + 1e-6 * i
        sentences.insert(0, s)


@dataclass
class Evidence:
    hits: list[ScoredChunk]
    sentences: list[SentenceHit] = field(default_factory=list)  # best first
    terms: list[str] = field(default_factory=list)
    chunk_coverage: float = 0.0  # share of question terms found anywhere in the top chunks
    kind: str = "sentences"  # "outline": points of a section, in report order
    foreign: float = 0.0  # share of the question's term weight in another script (English words)
    features: dict[str, float] = field(default_factory=dict)  # the answerability model's inputs
    p_answer: float = 0.0  # the answerability model's probability that the answer is right
    ranked: list[SentenceHit] | None = None  # the ranked sentences an outline replaced (for calibration)

    @property
    def coverage(self) -> float:
        return max((s.coverage for s in self.sentences[:5]), default=0.0)

    @property
    def dense(self) -> float:
        return max((h.dense for h in self.hits[:5] if h.dense is not None), default=1.0 if self.sentences else 0.0)


def question_terms(question: str, drop: list[str]) -> list[str]:
    """Content words of a question, without place names, years and follow-up particles."""
    return list(_question_terms(question, tuple(drop)))


@functools.lru_cache(maxsize=2048)
def _question_terms(question: str, drop: tuple[str, ...]) -> tuple[str, ...]:
    text = question
    for d in sorted(drop, key=len, reverse=True):
        if d:
            text = text.replace(d, " ")
    out = []
    for t in tokenize(text, search_mode=False):
        if len(t) >= 3 and t[0] in _MEASURE_LEAD and t[1:] in lexicon.idf_table():
            t = t[1:]  # "多少起纠纷" segmented as 多少 | 起纠纷: the word asked about is 纠纷
        elif len(t) == 2 and t[0] in _FUNCTION_LEAD and t not in lexicon.idf_table():
            t = t[1:]  # "平台上录了", "各录了": segmented 上录, 各录; the verb asked about is 录
        # A number of three digits or more names something (148品牌, 12345热线); a smaller one is a count.
        if _YEAR_TOKEN.match(t) or t in _FOLLOW_WORDS or t in out or (t.isdigit() and len(t) < 3):
            continue
        if _POINTS_ASKED.match(t):
            continue  # "从哪几头下手", "哪几块": which points, asked in a question word, no topic
        out.append(t)
    # A quoted name ("“景区枫桥”是哪个地方的经验") is asked as a whole: a sentence with only 枫桥 is another.
    out += [q for q in _QUOTED.findall(text) if 2 <= len(q) <= 16 and q not in out]
    # A citizen's phrase the segmenter split (讲法律 → 讲 法律) is a word of the question as written.
    out += [w for w in lexicon.phrases_in(text) if w not in out]
    return tuple(out)


def foreign_share(weights: dict[str, float], question: str) -> float:
    """Share of the question's term weight in another script (English words). Upper-case acronyms (GDP,
    AI) are part of Chinese usage: 德化县去年GDP是多少 is a Chinese question, and so is one whose only Latin
    words are short loanwords or brands (App, i石狮); "鲤城区 legal aid 案件数量" is not."""
    if not _ENGLISH_WORD.search(question):
        return 0.0  # a Chinese question using a short loanword or brand (「i 石狮」App 里有多少功能)
    acronyms = {a.lower() for a in _ACRONYM.findall(question)}
    total = sum(weights.values()) or 1.0
    return sum(w for t, w in weights.items()
               if _LATIN.search(t) and not CJK_RE.search(t) and t not in acronyms) / total


def term_weights(terms: list[str]) -> dict[str, float]:
    # Single characters say little on their own ("率", "县"); words carry the question.
    return {t: min(lexicon.idf(t), 14.0) * (1.0 if len(t) > 1 else 0.3) for t in terms}


def term_hit(term: str, text: str, use_synonyms: bool = True) -> float:
    if term in text:
        return 1.0
    others, stem, grams = _forms(term, use_synonyms)
    if others and any(s in text for s in others):
        return 0.9
    if stem and stem in text:
        return 0.9  # 生成量 asks for how much was 生成: the sentence says 生成…33698本
    if grams:
        return 0.5 * sum(g in text for g in grams) / len(grams)
    return 0.0


@functools.lru_cache(maxsize=20_000)
def _forms(term: str, use_synonyms: bool) -> tuple[frozenset[str], str, tuple[str, ...]]:
    """A term's synonyms, measured stem (生成量 → 生成) and character pairs, worked out once: a question's
    few terms are matched against every candidate sentence."""
    others = lexicon.synonyms(term) if use_synonyms else frozenset()
    if len(term) < 3:
        return others, "", ()
    stem = term[:-1] if _MEASURE_SUFFIX.search(term) else ""
    return others, stem, tuple(term[i : i + 2] for i in range(len(term) - 1))


def coverage(weights: dict[str, float], text: str, use_synonyms: bool = True) -> float:
    total = sum(weights.values())
    if not total:
        return 0.0
    return sum(w * term_hit(t, text, use_synonyms) for t, w in weights.items()) / total


_NUMBERED = re.compile(r"^([（(][一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+、|\d{1,2}[.．、])")


def is_heading(sentence: str, path: list[str]) -> bool:
    bare = sentence.rstrip("。；;： ")
    return any(bare == h.rstrip("。；;： ") for h in path) or (bool(_NUMBERED.match(sentence)) and len(sentence) < 24)


#: A question about when: the answer is a date or at least a year or month.
_ASKS_WHEN = re.compile(r"哪一?年|什么时候|啥时候|何时|几月|哪一?天|哪个月|什么时间|几号|日期|when", re.I)
_DATED = re.compile(r"\d{3,4}\s*年|\d{1,2}\s*月|\d{1,2}\s*日|[一二三四五六七八九十]+月|[元正]月|年初|年底|年末|上半年|下半年|"
                    r"今年|去年|目前|至今|世纪|年代")
#: A count in Chinese numerals ("分为五个等级", "十四条措施"): a number as much as 14条 is.
_CN_COUNT = re.compile(r"[一二两三四五六七八九十百千]+[个件项条名人家次场所位份批类种级等]")


def typed_match(intent: Intent, sentence: str, kind: str = "", question: str = "") -> float:
    """+1 when the sentence holds the kind of answer asked for (any sentence does when no kind is asked),
    −1 when it cannot. ``kind``: the kind of figure a number question wants (a share for "调成的比例",
    money for "花了多少钱"), or of body a name question wants ("哪家律师事务所"); a sentence with figures
    or names of other kinds only is half a match (0), and no match at all for a kind nobody confuses
    (``numbers.kind_fit``). A question about when wants a date."""
    if intent.number and question and asks_how_often(question) and _FREQUENCY.search(sentence):
        return 1.0  # "例会多久开一次": 每半月召开一次, a frequency with no figure
    if intent.number:
        if not _DIGIT.search(sentence):
            # "仅一名全日制…毕业人员" answers "有几位": a count in Chinese numerals, of the kind asked.
            cn = _CN_COUNT.findall(sentence)
            return 1.0 if cn and (not kind or any(unit_kind(m[-1]) == kind for m in cn)) else -1.0
        return kind_fit(question, kind, sentence)
    if intent.name:
        if question and _ASKS_NAME.search(question):
            # "哪位律师", "局长叫什么": a person's name answers, an office or a document title does not.
            return 1.0 if has_person(sentence, known=question) else -1.0
        if not _NAMEISH.search(sentence):
            return -1.0
        return 1.0 if not kind or any(w in sentence for w in (kind, *lexicon.synonyms(kind))) else 0.0
    if _ASKS_WHEN.search(question):
        return 1.0 if _DATED.search(sentence) else -1.0
    if intent.list and not intent.summary:
        # "分哪几块", "整治了哪几类问题": a sentence listing several things (甲、乙、丙) holds such an answer.
        return 1.0 if _ENUMERATION.search(sentence) else 0.5
    return 1.0


#: "多久开一次", "几个月一回": how often, answered by a frequency ("每半月召开一次", "每季度", "定期").
_HOW_OFTEN = re.compile(r"(?:多久|多长时间|几天|几个月|几周|多少天)[^，。？?]{0,5}[一1][次回趟]|多频繁|多经常|频率|频次")
_FREQUENCY = re.compile(r"每(?:[一二三四五六七八九十两半\d]+个?)?(?:天|日|周|星期|月|旬|季度?|年)|定期")


def asks_how_often(question: str) -> bool:
    return bool(_HOW_OFTEN.search(question))


#: Three or more items in a row: "靠前服务、包容监管、审慎执法、强化监督".
_ENUMERATION = re.compile(r"[^、，。；]{2,16}、[^、，。；]{2,16}、[^、，。；]{2,16}")


def told_share(sentence: str, told: str) -> float:
    """Share of a sentence's figures (or, with none, of its character pairs) found in ``told``."""
    if not told:
        return 0.0
    told = told.replace(" ", "")
    figs = [f.text.replace(" ", "") for f in figures(sentence)]
    if figs:
        return sum(f in told for f in figs) / len(figs)
    grams = {r[i : i + 2] for r in CJK_RUN_RE.findall(sentence) for i in range(len(r) - 1)}
    return sum(g in told for g in grams) / len(grams) if grams else 0.0


def years_in(text: str) -> set[int]:
    return {int(y) for y in YEARS.findall(text)}


@functools.lru_cache(maxsize=20_000)  # the same chunks are read question after question
def _readable_spans(text: str, section: str, path: tuple[str, ...]) -> tuple[tuple[int, int, bool], ...]:
    """A chunk's sentence spans, each with whether it is no candidate answer: in the front matter, a line
    that is no sentence (title, 文号, addressee and signature lines state no fact); anywhere, a heading
    (the context of its sentences, read with them, not an answer)."""
    front = section in ("导言", "落款")
    return tuple((s, e, (front and text[e - 1] not in "。；！？!?;") or is_heading(text[s:e], list(path)))
                 for s, e in sentence_spans(text))


class EvidenceFinder:
    """Ranks the sentences of retrieved chunks and summarises them for the answerability model."""

    def __init__(self, vectors: SentenceVectors, model: AnswerModel, max_chunks: int = 6,
                 use_synonyms: bool = True, vocabulary: Callable[[str], bool] | None = None) -> None:
        """``vocabulary``: whether the reports use a word at all (the lexical index's vocabulary)."""
        self.vectors = vectors
        self.model = model
        self.max_chunks = max_chunks
        self.use_synonyms = use_synonyms
        self.vocabulary = vocabulary

    def find(self, question: str, q_vec: np.ndarray, hits: list[ScoredChunk], intent: Intent,
             drop: list[str], told: str = "") -> Evidence:
        """``told``: the conversation's last answer. A follow-up ("群众满意率呢？", "输了几件？") asks for
        something that answer did not say, though its search text carries the previous topic and so
        draws the sentence already quoted."""
        terms = question_terms(question, drop)
        weights = term_weights(terms)
        foreign = foreign_share(weights, question)
        body = _ASKED_BODY.search(question) if intent.name else None
        kind = wanted_kind(question) if intent.number else body.group(1) if body else ""
        cands: list[SentenceHit] = []
        total = sum(weights.values()) or 1.0
        syn = self.use_synonyms
        for rank, hit in enumerate(hits[: self.max_chunks]):
            text = hit.chunk.text
            folded = text.lower()
            # A sentence is read under its headings: "下一步工作计划 > …推广“闽执法”平台" answers a
            # question about next year's plans though the sentence itself does not say "next year".
            under = {t: term_hit(t, hit.chunk.section.lower(), syn) for t in weights}
            # A term (or its synonyms and character pairs) missing from the whole chunk is missing from
            # each of its sentences: only the chunk's own terms are looked for sentence by sentence.
            inside = [t for t in weights if term_hit(t, folded, syn)]
            before: dict[str, float] = {}
            for s, e, skip in _readable_spans(text, hit.chunk.section, tuple(hit.chunk.section_path)):
                own = dict(under)
                for t in inside:
                    own[t] = max(own[t], term_hit(t, folded[s:e], syn))
                previous, before = before, own
                if skip:
                    continue
                cov = sum(w * own[t] for t, w in weights.items()) / total
                # ... and after the sentence before it, which often names the topic its figure counts
                # ("推广应用…执法平台…。2024年全镇共录入141件"): what that adds is the ranker's ``ctx``.
                ctx = sum(w * max(own[t], previous.get(t, 0.0)) for t, w in weights.items()) / total - cov
                cands.append(SentenceHit(hit, rank, s, e, coverage=cov, score=0.0,
                                         typed=typed_match(intent, text[s:e], kind, question),
                                         told=told_share(text[s:e], told), ctx=ctx))
        if not cands:
            return Evidence(hits=hits, terms=terms, foreign=foreign)
        vecs = self.vectors.get([c.text for c in cands])
        sims = vecs @ q_vec
        best_sem = float(sims.max())
        best_lex = max(c.coverage for c in cands)
        for c, sim in zip(cands, sims, strict=True):
            c.sem = float(sim)
        scores = self.model.sentence.logits([self.sentence_features(c, best_sem, best_lex) for c in cands])
        for c, score in zip(cands, scores, strict=True):
            c.score = score
        # A follow-up is never answered by repeating what the last answer said in full; such a sentence
        # stays a candidate (the gate still reads it) but is not quoted first.
        # (One that also holds the kind of answer the last answer lacked, "每半月召开一次" beside the 9080件
        # just told for "例会多久开一次", is news.)
        told_typed = typed_match(intent, told, kind, question) if told else 1.0
        cands.sort(key=lambda c: (c.told >= 1.0 and c.typed <= told_typed, -c.score))
        context = " ".join(f"{h.chunk.title} {h.chunk.section} {h.chunk.text}" for h in hits[:3]).lower()
        chunk_cov = coverage(weights, context, self.use_synonyms)
        ev = Evidence(hits=hits, sentences=cands, terms=terms, chunk_coverage=chunk_cov, foreign=foreign)
        ev.features = self.gate_features(ev, weights, float(np.mean(sims)))
        ev.features["miss_known"] = self.missing_known(weights, context)
        ev.features.update(answer_kind_features(question, intent, cands[:3], weights))
        return ev

    def missing_known(self, weights: dict[str, float], context: str) -> float:
        """Share of the question's term weight that the evidence lacks although the reports use the word
        elsewhere. A citizen's own word (讨工资, 下到村里) is missing from every report, and its absence
        says little; a report's word missing here (政策解读 asked of a report that never gives one) is
        the mark of a near miss."""
        total = sum(weights.values())
        if not total or self.vocabulary is None:
            return 0.0
        return sum(w for t, w in weights.items()
                   if term_hit(t, context, self.use_synonyms) < 0.5 and self._known(t)) / total

    def _known(self, term: str) -> bool:
        """A report's word, or a citizen's word whose report words the reports use (免费打官司 → 法律援助):
        its absence here says the evidence is about something else."""
        vocabulary = self.vocabulary
        assert vocabulary is not None
        return bool(vocabulary(term) or lexicon.report_word(term)
                    or any(len(w) > 1 and vocabulary(w) for w in lexicon.everyday(term)))

    @staticmethod
    def sentence_features(c: SentenceHit, best_sem: float, best_lex: float = 1.0) -> dict[str, float]:
        """``best_sem``/``best_lex``: the best candidate's similarity and word coverage. Relative to them,
        a word that only some candidates hold (生成 among sentences that all say 电子证照) counts."""
        text = c.text
        return {
            "sem": c.sem, "sem_rel": c.sem - best_sem, "lex": c.coverage, "lex_rel": c.coverage - best_lex,
            "typed": c.typed,
            "prior": 1.0 / (1 + c.rank), "dense": c.hit.dense or 0.0,
            "heading": 1.0 if _HEADING_ONLY.match(text) and len(text) < 30 else 0.0,
            "short": 1.0 if len(text) < 20 else 0.0,
            "told": c.told, "ctx": c.ctx,
        }

    @staticmethod
    def gate_features(ev: Evidence, weights: dict[str, float], mean_sem: float) -> dict[str, float]:
        focus = _focus(weights)
        h0 = ev.hits[0] if ev.hits else None
        return {
            **_top_features(ev.sentences[0], focus, mean_sem),
            "lex_max": ev.coverage,
            "chunk_cov": ev.chunk_coverage,
            "dense1": max((h.dense or 0.0) for h in ev.hits[:3]) if ev.hits else 0.0,
            "agree": 1.0 if h0 is not None and h0.dense is not None and h0.lexical is not None else 0.0,
            "year_miss": 0.0,
            "place_miss": 0.0,
            "n_terms": math.log1p(len(weights)),
            "foreign": ev.foreign,
        }


def _focus(weights: dict[str, float]) -> str:
    """The question's rarest word: what it is about."""
    return max(weights, key=weights.get) if weights else ""


def _top_features(top: SentenceHit, focus: str, mean_sem: float) -> dict[str, float]:
    """The gate's inputs that describe the sentence to be quoted."""
    return {
        "sem1": top.sem, "sem_rel": top.sem - mean_sem, "lex1": top.coverage, "typed": top.typed,
        "focus_sent": term_hit(focus, f"{top.hit.chunk.section} {top.text}".lower()) if focus else 1.0,
    }


_ASKS_WHO = re.compile(r"谁|who", re.I)
#: A person asked for by name or by role ("负责人是谁", "局长是谁"): an office does not answer it.
#: (叫什么/名字 ask a person's name only of a person: "那位律师叫什么", not "那个平台叫啥", "叫什么窗口".)
_PERSON_NOUN = r"(?:律师|负责人|主任|书记|组长|[长员姐哥人他她])"
_ASKS_NAME = re.compile(rf"{_PERSON_NOUN}[^，。？?、]{{0,8}}(?:叫(?:什么|啥)(?![\u4e00-\u9fff])|叫(?:什么|啥)名字|名字(?![起来命]))"
                        r"|真名|全名|哪位|姓名|姓什么|(负责人|[长任记师员理])是?谁")
_ASKS_PERSON = re.compile(f"{_ASKS_WHO.pattern}|{_ASKS_NAME.pattern}", re.I)


def answer_kind_features(question: str, intent: Intent, top: list[SentenceHit],
                         weights: dict[str, float]) -> dict[str, float]:
    """Does the best evidence hold the answer's kind *about the question's topic*: a figure right after
    its rarest words (法律援助…1332件), a person's name when a person is asked for. Near-miss questions
    ("石狮办了多少法律援助案件" where 石狮 gives no count) find the topic but not the figure."""
    out = {"topic_figure": 1.0, "person": 1.0}
    keys = sorted(weights, key=weights.get, reverse=True)[:2]
    if intent.number and asks_how_often(question):
        out["topic_figure"] = float(any(_FREQUENCY.search(s.text) for s in top))
    elif intent.number:
        terms = [t for k in keys for t in (k, *lexicon.synonyms(k))]
        kind = wanted_kind(question)  # "追回了多少钱": a count of cases after the words is not it
        out["topic_figure"] = float(any(figure_near(s.text, terms, kind, anchored=True) is not None for s in top))
    if intent.name and _ASKS_PERSON.search(question):  # not 谁…多 (a comparison of figures)
        # "谁牵头" / "谁计划发布…" is answered by an office as well (北京市经济和信息化局); a name is not.
        body = _ASKS_WHO.search(question) and not _ASKS_NAME.search(question)
        out["person"] = float(any(has_person(s.text, known=question) or (body and _NAMEISH.search(s.text))
                                  for s in top))
    return out


#: Words the tagger reads as a person's name that end like an office or a body (司法厅, 公安局).
_BODY_SUFFIX = re.compile(r"[厅局院委办所处室部科庭队站组会署]$")
#: Common surnames (the national ranking's first hundred and more, with Fujian's own): jieba's tagger
#: also reads 法援, 惠民 and 法律援助 as names; a person's name starts with a surname.
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟"
    "姜崔谭陆范汪廖石金韦贾夏付傅方邹熊白孟秦邱丘侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常汤康易乔"
    "赖文施洪辛柯庄颜涂卓连游詹骆翁温童阮欧谷岳倪殷包甘尤梅聂章凌单毕邢宁华祝葛鲍郁盛霍蓝官纪")
_COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "司徒", "东方", "慕容", "令狐")


def _name_shaped(word: str) -> bool:
    if word.startswith(_COMPOUND_SURNAMES):
        return 3 <= len(word) <= 4
    return 2 <= len(word) <= 3 and word[0] in _SURNAMES


def has_person(text: str, known: str = "") -> bool:
    """Whether the text names a person the question does not: "凤姐工作室" does not tell who 凤姐 is; nor
    do a place (石狮) or an office (司法厅), which the tagger also reads as a name."""
    return any(w not in known for w in _person_names(text))


@functools.lru_cache(maxsize=20_000)  # a report sentence is tagged once, whatever the question
def _person_names(text: str) -> tuple[str, ...]:
    """The words of the text the tagger reads as a person's name that are shaped like one and are no
    place or office."""
    import jieba.posseg

    from rag.retrieval.gazetteer import county_stems, division_names

    places, stems = division_names(), county_stems()
    return tuple(w for w, flag in jieba.posseg.lcut(text)
                 if flag == "nr" and _name_shaped(w) and w not in places and w not in stems
                 and not _BODY_SUFFIX.search(w))


def _gaps(f: dict[str, float]) -> dict[str, float]:
    """How much more of the question the best sentences (``lex_max``) and the top chunks (``chunk_cov``)
    hold than the quoted sentence: the mark of a sentence ranked wrongly. The gate reads these
    differences rather than the three coverages, which move together and so were fitted with opposite
    weights that answered a question nothing matched (all three low)."""
    f["lex_gap"] = f.get("lex_max", 0.0) - f.get("lex1", 0.0)
    f["cov_gap"] = f.get("chunk_cov", 0.0) - f.get("lex_max", 0.0)
    return f


def score_answerability(ev: Evidence, model: AnswerModel, year_miss: bool, place_miss: bool) -> float:
    if not ev.sentences:
        ev.p_answer = 0.0
        return 0.0
    ev.features["year_miss"] = float(year_miss)
    ev.features["place_miss"] = float(place_miss)
    ev.p_answer = model.gate.prob(_gaps(ev.features))
    return ev.p_answer


def rejudge(ev: Evidence, question: str, intent: Intent, model: AnswerModel, moved: bool = True) -> float:
    """The gate's probability again after a comparison read the places together. ``moved``: another
    sentence was put first (a comparison's agreeing pick), so the inputs that describe the quoted
    sentence are updated too; the rest (retrieval, chunk coverage) stands."""
    f = ev.features
    if moved:
        top = ev.sentences[0]
        mean_sem = f.get("sem1", top.sem) - f.get("sem_rel", 0.0)
        weights = term_weights(ev.terms)
        f.update(_top_features(top, _focus(weights), mean_sem))
        f.update(answer_kind_features(question, intent, ev.sentences[:3], weights))
    ev.p_answer = model.gate.prob(_gaps(f))
    return ev.p_answer
