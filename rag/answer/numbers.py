"""Figures in report sentences, and arithmetic over them shown with its cited inputs.

A computed number is never stated alone: the answer quotes every input with its citation and writes
the sum as it was done ("269+18−240=47"), so the reader can check it against the sources.

Reports count the same thing with different measure words (石狮 "录入案件16180起", 鲤城 "办理案件12596件";
"政策解读72条" against "73份"), so figures are compared by the *kind* of their unit — things counted,
people, organisations, events, shares, money, time — never across kinds (a percentage is not a count).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from rag.text import CJK_RE

_FIGURE = re.compile(
    # An ordinal (排名第3, 第四期) is a position, not a figure.
    # "580多万元", "8万余人次": 多/余 before the scale is part of the figure.
    # "115万余元": 余/多 after the scale too.
    r"(?<![\d.第])(\d+(?:\.\d+)?)\s*(?:[多余](?=万|亿|千))?(万亿|亿元|万元|亿|万|千)?(?:(?<=[万亿千])[多余](?=元|人|件|户|次|家))?\s*"
    # (场次, 家次, 户次 before 场, 家, 户: "2088户次" counts visits, not households)
    r"(%|％|个百分点|个工作日|个小时|个月|场次|家次|户次|件|起|个|人次|人|名|次|家|项|场|份|条|元|户|所|宗|批|篇|期|天|小时|万人次|平方米|公里|"
    # ("5200多人", "1500多个": 多 as 余)
    r"余(?:件|人|次|名|家|份|条|场|起|项)|多(?:件|人|次|名|家|份|条|场|起|项|个|户|所|篇|位|宗)|卷|本|册|部|位|支|类|座|周|分钟|年)?"
)
_SCALE = {"万": 1e4, "万元": 1e4, "亿": 1e8, "亿元": 1e8, "千": 1e3, "万亿": 1e12}
#: Measure words grouped by what they count; figures of one group can be compared and added.
_KINDS = {
    "count": "件起宗个份条篇项批期卷本册部类座张台辆套",
    "people": "人名位",
    "org": "家户所支",
    "event": "次场回趟遍轮",
}
_KIND_WORDS = {"%": "share", "％": "share", "个百分点": "points", "元": "money", "天": "time", "小时": "time",
               "个工作日": "time", "个小时": "time", "个月": "time", "周": "time", "分钟": "time", "年": "time",
               "人次": "visits", "万人次": "visits", "场次": "event", "家次": "visits", "户次": "visits",
               "平方米": "area", "公里": "length"}
#: The measure word a question asks in ("多几起", "多少份", "几个人"), for choosing among a sentence's figures.
_ASKED_UNIT = re.compile(r"(?:多少|几|多)\s*(个百分点|百分点|钱|人次|件|起|宗|份|条|篇|项|卷|本|张|台|辆|套|家|户|人|名|位|次|场|回|趟|遍|轮|个|元|天|"
                         r"公里|平方米|个小时|个工作日|小时|所|座|批|期)")
#: Operators a question states in words, in order: "新收的加上结转的，再减掉办结的".
_OPERATOR = re.compile(r"加上|再加|加起来|加在一起|减掉|减去|再减|扣除|扣掉|去掉|除去|除开|除了|刨去|刨掉|"
                       # "新收的加上结转的，还有多少没办完": what is left takes away what was done.
                       r"还有[^，。？?；;]{0,6}[没未]|还剩|剩下|剩余")
_LEFT = re.compile(r"还有|还剩|剩")
#: A clause setting something aside before a sum ("除去行政检查，处罚和强制加起来多少"): not a subtraction.
_EXCLUDED = re.compile(r"(?:除去|除了|除开|刨掉|刨去)[^，,。？?]{1,12}?(?:以外|之外|那部分|部分)?[，,]")
_SUMMED = re.compile(r"加起来|加在一起|合起来|一共|总共|合计")


@dataclass(frozen=True)
class Figure:
    value: float
    unit: str
    text: str  # as written, e.g. "1332件"
    start: int  # offset in the sentence
    scale: str = ""  # "万" in "24.2万"

    def shown(self) -> str:
        return _fmt(self.value, self.places)

    @property
    def places(self) -> int:
        """Decimal places as written (476.389万 keeps three)."""
        m = re.search(r"\.(\d+)", self.text)
        return len(m.group(1)) if m else 0

    @property
    def magnitude(self) -> float:
        """The value with its 万/亿 applied, for comparing 24.2万 with 1015."""
        return self.value * _SCALE.get(self.scale, 1.0)

    @property
    def kind(self) -> str:
        return unit_kind(self.unit)


def unit_kind(unit: str) -> str:
    """What a measure word counts: "count" for 件/起/份, "people" for 人/名, "share" for %…"""
    u = unit
    for scale in ("万亿", "亿元", "万元", "亿", "万", "千"):
        if u.startswith(scale) and u != scale:
            u = u[len(scale):]
            break
    u = u.removeprefix("余")
    if u in _KIND_WORDS:
        return _KIND_WORDS[u]
    if u in ("", "万", "亿", "千", "万亿"):
        return "count"  # "24.2万失信主体": a bare scaled number counts things
    if u in ("万元", "亿元"):
        return "money"
    for kind, chars in _KINDS.items():
        if len(u) == 1 and u in chars:
            return kind
    return u


def figures(sentence: str) -> list[Figure]:
    """Figures with a unit; bare numbers (years, item numbers, 12345 hotlines) are left out."""
    return list(_figures(sentence))


@functools.lru_cache(maxsize=50_000)
def _figures(sentence: str) -> tuple[Figure, ...]:
    # (cached: the same report sentences are read for figures many times a question, and across questions)
    out: list[Figure] = []
    for m in _FIGURE.finditer(sentence):
        num, scale, unit = m.group(1), m.group(2) or "", m.group(3) or ""
        if unit.startswith("多"):
            unit = "余" + unit[1:]  # "5200多人" reads as "5200余人" does
        if not unit and not scale:
            # "排查矛盾纠纷3353起，办结化解3323，…": a bare whole number closing its clause counts what the
            # figure before it counts. Years and item numbers do not close a clause after a counted figure.
            if out and "." not in num and not re.fullmatch(r"(19|20)\d{2}", num) and out[-1].kind == "count" \
                    and re.match(r"\s*[，,；;。]", sentence[m.end(1):]):
                out.append(Figure(float(num), out[-1].unit, num, m.start()))
            continue
        if scale in ("万", "亿") and unit == "元":
            scale, unit = scale + "元", ""  # "115万余元" counts as 115万元 does
        if unit == "年" and re.fullmatch(r"(19|20)\d{2}", num):
            continue  # a year, not a duration (最高10年)
        if unit == "" and scale:
            unit = scale
        value = float(num)
        if re.fullmatch(r"20\d{2}", num) and not unit:
            continue
        scale_word = scale if scale in ("万", "亿", "千", "万亿") else ""
        out.append(Figure(value, (scale + unit) if scale and unit != scale else unit, m.group(0).strip(),
                          m.start(), scale_word))
    return tuple(out)


#: Cases counted by their noun ("录了多少案件", "几个案子"): counted in 件 (起 and 宗 alike), never in 个 or 次.
_CASES_ASKED = re.compile(r"(?:多少|几)个?(?:案件|案子|宗案)")


#: Things other than cases that are counted in 件 too: documents, proposals, certificates.
_COUNTED_IN_JIAN = re.compile(r"文件|发文|材料|提案|建议|意见|证|卷|书|函|清单|事项|件事")


@functools.lru_cache(maxsize=1024)  # read for every candidate sentence of a question
def asks_cases(question: str) -> bool:
    """Cases are counted: "多少案件", "几个案子", "多少起", "几宗", or 件 of anything but documents
    ("红头文件各出了几件" counts documents: 50篇 answers it)."""
    unit = asked_unit(question)
    return bool(_CASES_ASKED.search(question)) or unit in ("起", "宗") or (
        unit == "件" and not _COUNTED_IN_JIAN.search(question))


def asked_unit(question: str) -> str:
    """The measure word the question counts in ("多几起" → 起), or ""."""
    if _CASES_ASKED.search(question):
        return "件"
    m = _ASKED_UNIT.search(question)
    if m and m.group(1) == "个" and asks_people(question):
        return "人"  # "几个人", "几个律师": people are counted (38名, 5位); 个 is only their classifier
    return m.group(1) if m else ""


def asked_kind(question: str) -> str:
    """The kind of figure the question wants ("多几起" → count; "高了几个百分点" → shares), or ""."""
    unit = asked_unit(question)
    if not unit:
        return ""
    if unit == "钱":
        return "money"
    kind = unit_kind(unit)
    return "share" if kind == "points" or unit == "百分点" else kind


#: A question about a share: "败诉率", "调成的比例", "占比多少".
RATE = re.compile(r"率|比例|比重|占比|百分")


#: What a question names when it asks a quantity without a measure word: "请律师一年要花多少" (money),
#: "多久判完" (time), "修了多少公里" (length). 免费 and 没钱 (poor) are not money.
_NOUN_KINDS = (
    # (not money naming a kind of case: "工钱劳动那类的又多少", "讨工钱的官司有几件")
    ("money", re.compile(r"(?<![免不没])(?:钱|费用|经费|资金|金额|顾问费|口额|产值|营收|预算|投资额)"
                         r"(?![^，。？?]{0,5}(?:那类|这类|一类|类的|纠纷|案|官司|争议|的事))|多少元")),
    ("time", re.compile(r"多久|多长时间|几天|多少天|几个月|多少个?小时|几个?小时|多少个?钟头|几个?钟头|时限|时长")),
    ("length", re.compile(r"公里|里程")),
    ("area", re.compile(r"面积|平方米|亩")),
)


#: People a question may count by their role (each reader adds its own further words).
_PEOPLE_NOUNS = "律师|法官|干部|志愿者|义工"
_PEOPLE_ASKED = re.compile(rf"(?:多少|几)号人|(?:多少|几)个(?:人(?!次)|[\u4e00-\u9fff]{{0,4}}?(?:{_PEOPLE_NOUNS}|员)(?!事务所|队|团|站|室|所|会|中心))")


#: "志愿者…多几个": 几个 with nothing after it counts the people the question is about.
_BARE_COUNT = re.compile(r"(?:多少|几)个(?![\u4e00-\u9fff])")
_PERSON_NOUN = re.compile(rf"{_PEOPLE_NOUNS}|人员|明白人|调解员|监督员|工作者|人才|人[多少数](?!次)|[种类号]人|的人(?!次)")


def asks_people(question: str) -> bool:
    """"几个人", "多少个人" (not 人次), "几个律师", "志愿者…多几个": people are counted, and 个 is only
    their classifier."""
    return bool(_PEOPLE_ASKED.search(question)) or bool(_BARE_COUNT.search(question) and _PERSON_NOUN.search(question))


def wanted_kind(question: str) -> str:
    """The kind of figure a number question wants: a share when it asks a rate, else its measure word's,
    else the kind its words name (money for 花了多少钱, time for 多久)."""
    if RATE.search(question):
        return "share"
    by_ge = asked_unit(question) == "个"  # 个 counts anything: 几个明白人
    kind = "" if by_ge else asked_kind(question)
    if kind:
        return kind
    if asks_people(question):
        return "people"  # "查了几个人": people, whatever else is named (花钱用权 is not money asked)
    # ("花钱请了几个律师": things counted in 个 are never money.)
    return next((k for k, pat in _NOUN_KINDS if pat.search(question) and not (by_ge and k == "money")), "")


#: Kinds a reader cannot take one for another: a count of cases does not say what it cost.
STRICT_KINDS = frozenset({"share", "money", "time", "length", "area"})
#: What "多少" asks for when no measure word or noun says otherwise: things, people or times counted.
COUNTED_KINDS = frozenset({"count", "people", "org", "event", "visits"})
#: A change may be asked in figures or in per cent ("比去年增长了多少").
_CHANGE = re.compile(r"增长|增加|下降|减少|提高|提升|降低|上升|变化|同比|环比")


#: Kinds of figure that answer a question asking another one as well: people counted per visit (人次)
#: answer "几个人"; times (次, 场) and visits answer each other.
_ALSO_FITS = {"people": frozenset({"visits"}), "event": frozenset({"visits"}), "visits": frozenset({"people", "event"})}


def kind_fit(question: str, kind: str, sentence: str) -> float:
    """How well a sentence's figures fit the kind asked: 1 when one is of it, -1 when the question asks a
    kind no reader confuses (money, a rate, a length) and none is, 0 when the sentence only has figures
    of another kind. With no kind asked, a figure of something counted fits; "24小时投诉热线" does not
    answer how many complaints came in."""
    figs = figures(sentence)
    kinds = {f.kind for f in figs}
    if kind:
        if kind == "count" and asks_cases(question) and not any(
                f.unit.lstrip("余")[:1] in _LIKE_MEASURES[0] for f in figs):
            return 0.0  # cases asked ("多少起", "多少案件") and only 7期, 12次 here: other things counted
        if kind in kinds or (kind == "event" and "count" in kinds):
            return 1.0  # ("被告上法庭了几次": each of 行政诉讼案件0宗 is a time)
        if kinds & _ALSO_FITS.get(kind, frozenset()) or (
                kind in ("org", "people") and any(f.kind == "count" and f.unit.lstrip("余").startswith("个") for f in figs)):
            return 1.0  # "查了几个人" by 6人次; "多少家" by 18个, "多少名" by 39个公职律师 (个 counts anything)
        if kind == "share" and PART_OF.search(question) \
                and any(sum(g.unit == f.unit for g in figs) >= 2 for f in figs if f.kind in COUNTED_KINDS):
            return 1.0  # a part and its whole give the share ("136宗，其中…邻里纠纷106宗")
        return -1.0 if kind in STRICT_KINDS else 0.0
    if kinds & COUNTED_KINDS or (_CHANGE.search(question) and "share" in kinds):
        return 1.0
    return 0.0


#: Where one statement of a sentence ends and the next begins ("其中劳动争议纠纷18宗，邻里纠纷106宗").
_CLAUSE = re.compile(r"[，,；;、。：:（）()]")


def states_share(sentence: str, groups: list[list[str]]) -> bool:
    """Whether the sentence states the share a question asks for: a percentage in a clause holding a word
    of the question that the sentence's other clauses do not ("败诉率1.37%" for 输的比例; not
    "负责人出庭率100%" beside "行政诉讼案件25件，败诉仅1件", whose 行政 is in every clause)."""
    clauses = [c for c in _CLAUSE.split(sentence) if c]
    rated = [c for c in clauses if any(f.kind == "share" for f in figures(c))]
    rest = " ".join(c for c in clauses if c not in rated)
    return any(w in c and w not in rest for c in rated for words in groups for w in words)


def clause_figures(sentence: str, groups: list[list[str]], kind: str = "") -> list[tuple[int, Figure]]:
    """Figures of one-figure clauses with how many of the question's word groups each clause says, most
    first, the earlier clause on a tie ("以市政府…名义出台规范性文件12件" says more of "市政府名义出的规范性
    文件" than "废止…的规范性文件22件" does)."""
    out: list[tuple[int, int, Figure]] = []
    figs = [f for f in figures(sentence) if not kind or f.kind == kind]
    start = 0
    for m in [*_CLAUSE.finditer(sentence), None]:
        end = m.start() if m else len(sentence)
        inside = [f for f in figs if start <= f.start < end]
        text = sentence[start:end]
        said = sum(any(w in text for w in words) for words in groups)
        if len(inside) == 1 and said:
            out.append((said, -start, inside[0]))
        start = m.end() if m else end
    return [(n, f) for n, _, f in sorted(out, key=lambda x: x[:2], reverse=True)]


def named_figures(sentence: str, groups: list[list[str]], kind: str = "") -> list[Figure]:
    """The figures the question names by its words: each clause holding one figure describes it
    ("52宗提出申请", "13宗已转入正式审批"), so the question's "申请" and "正式审批" pick 52 and 13 out of
    a sentence of five figures. ``groups``: the question's words, most telling first, each with the
    reports' words for it (``word_groups``)."""
    figs = [f for f in figures(sentence) if not kind or f.kind == kind]
    clauses: list[tuple[str, Figure]] = []
    start = 0
    for m in [*_CLAUSE.finditer(sentence), None]:
        end = m.start() if m else len(sentence)
        inside = [f for f in figs if start <= f.start < end]
        if len(inside) == 1:
            clauses.append((sentence[start:end], inside[0]))
        start = m.end() if m else end
    out: list[Figure] = []
    for words in groups:
        hits = [f for text, f in clauses if any(w in text for w in words)]
        if len(hits) == 1 and hits[0] not in out:  # a word in every clause names none of them
            out.append(hits[0])
    return out


#: The two things a question puts side by side: "检查类比处罚类多出多少", "劳动纠纷和婚姻家庭纠纷加起来",
#: "提了申请的里面还有多少没转成正式审批".
_OPERANDS = (
    re.compile(r"([^，,。？?；;]+?)[，,]?比([^，,。？?；;]+?)(?:多|少|高|低|大|小|快|慢)"),
    # ("…和市监局查市场这两家，2023年罚的钱加起来": the clause between names what is added.)
    re.compile(r"([^，,。？?；;]+?)(?:和|与|跟|同|加上|加(?!起来|在一起|一块|一起|到一起))([^，,。？?；;]+?)"
               r"(?:[，,][^，,。？?；;]{0,12}?)?(?:两[家个项类样者]|二者|两者|它们|这两[个项样类])?"
               r"(?:加起来|加在一起|加一块|加一起|加到一起|合在一起|合起来|一共|总共|合计|共|总计)"),
    # "个人办件和法人办件哪个多", "新出的规范性文件，和废止的比，哪个多".
    re.compile(r"([^，,。？?；;]+?)[，,]?(?:和|与|跟|同)([^，,。？?；;]+?)(?:相比|的?比)?[，,]?"
               r"(?:哪个|哪样|哪一个|哪类|哪种|谁)[^，,。？?；;]{0,10}?(?:更)?(?:多|少|高|低|大|小)"),
    re.compile(r"([^，,。？?；;]+?)(?:里面|当中|之中|中|里)?还有[^，。？?；;]{0,4}?[没未]([^，,。？?；;]+)"),
)


#: Where the first figure was counted, said before it ("在泉州政务平台上汇总的个人办件"): the scene, not
#: the thing counted, and it names other figures of that place too.
_SCENE = re.compile(r"^[^，,。？?；;]*?在[^，,。？?；;]{1,12}?[上里中内][^，,。？?；;的]{0,4}的")


#: A space typed between two words of Chinese: how a phone chat separates clauses ("…的案子里 检查比处罚多出几起").
_CLAUSE_SPACE = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")


def operands(question: str) -> list[str]:
    """The phrases naming the two figures a question combines, in its order; [] when it names none."""
    spaced = _CLAUSE_SPACE.sub("，", question)
    for pattern in _OPERANDS:
        m = pattern.search(spaced) or pattern.search(question)
        if m:
            first, second = m.group(1).strip(), m.group(2).strip()
            thing = _SCENE.sub("", first)
            if len(thing) >= 2 and not second.endswith("的"):  # ("…检查的案子比处罚的": 的 tells them apart)
                first = thing
            return [first, second]
    return []


def operators(question: str) -> list[str]:
    """"+"/"−" for each operator the question states in words, in order. What is left ("还有多少没办完")
    is a step only after an addition with no subtraction said: alone it is a plain difference."""
    rest = _EXCLUDED.sub("", question)
    if rest != question and _SUMMED.search(rest) and (not _LEFT.search(question) or _OPERANDS[1].search(rest)):
        # "除去行政检查，处罚和强制加起来", "刨掉检查那部分，剩下的处罚加强制一共": 900+4, not 12596−900+4
        question = rest
    found = _OPERATOR.findall(question)
    stated = [op for op in found if not _LEFT.match(op)]
    if not any(op.startswith(("加", "再加")) for op in found) or any(not op.startswith("加") for op in stated):
        found = stated  # "扣除办结的以后还有几件没办完": the subtraction is already said
    return ["+" if op.startswith(("加", "再加")) else "−" for op in found]


def _ends(word: str, text: str) -> list[int]:
    """Where each occurrence of ``word`` in ``text`` ends, left to right and not overlapping (as a regex
    finds them; no pattern is compiled per word)."""
    out: list[int] = []
    at = text.find(word)
    while at >= 0:
        out.append(at + len(word))
        at = text.find(word, at + len(word))
    return out


def figure_near(sentence: str, terms: list[str], kind: str = "", anchored: bool = False) -> Figure | None:
    """The figure (of ``kind``, if given) that follows the question's words most closely (办理法律援助案件
    1332件 → 1332件); on a tie, the one after the earlier of ``terms`` (they come most telling first).
    With none of the words in the sentence, its only figure, unless ``anchored``."""
    figs = [f for f in figures(sentence) if not kind or f.kind == kind or f.kind in _ALSO_FITS.get(kind, ())]
    if not figs:
        return None
    # A figure the thing asked about follows at once counts it ("18个乡镇222个村" → 222个 for 多少个村, and
    # for 村里: a word begins there with the asked one's first character).
    counting = [f for f in figs if any(t and CJK_RE.match(t) and sentence.startswith(t[0], f.start + len(f.text))
                                       for t in terms)]
    if len(counting) == 1:
        return counting[0]
    anchors = [(end, i) for i, t in enumerate(terms) if t for end in _ends(t, sentence)]
    if not anchors:
        return figs[0] if len(figs) == 1 and not anchored else None

    def distance(f: Figure) -> tuple[float, int]:
        after = [(f.start - a, i) for a, i in anchors if f.start >= a]
        return min(after) if after else (1000 + min(abs(f.start - a) for a, _ in anchors), len(terms))

    best = min(figs, key=distance)
    return best if distance(best)[0] <= 30 else None


def telling_words(terms: list[str]) -> list[str]:
    """The question's words, rarest first; single characters (率, 高) name no figure and are left out."""
    from rag.answer.lexicon import idf

    return sorted((t for t in terms if len(t) > 1), key=lambda t: -idf(t))


def word_groups(terms: list[str]) -> list[list[str]]:
    """Each telling word with the reports' words for it (转过来, 结转…), for ``named_figures``."""
    from rag.answer.lexicon import synonyms

    groups = [[t, *sorted(synonyms(t))] for t in telling_words(terms)]
    # A single character names a figure only through the reports' word for it (输 → 败诉仅1件).
    return groups + [sorted(syn) for t in terms if len(t) == 1 and (syn := synonyms(t))]


def anchor_words(terms: list[str]) -> list[str]:
    """The question's words, rarest first, then the reports' words for them (案子 → 案件), for finding its
    figure (all of them, single characters too, when it has no longer word)."""
    from rag.answer.lexicon import idf, synonyms

    out = telling_words(terms) or sorted(terms, key=lambda t: -idf(t))
    for t in list(out):
        out.extend(w for w in sorted(synonyms(t)) if w not in out)
    return out


#: How far after a figure the question's words may follow it ("75家企业修复信用").
BEFORE_WORDS = 10


def figure_for(sentence: str, anchors: list[str], kind: str = "", unit: str = "") -> Figure | None:
    """A place's figure in a quoted sentence: the one right after the question's words, of the wanted
    kind of unit; or the sentence's only figure of that kind when those words follow it closely. A
    figure about something else ("建立1个县级公共法律服务实体平台…法律援助" for 法律援助案件) is not taken.
    ``unit``: the measure word asked ("多几项"): a figure in it is preferred to one of the same kind
    ("4个领域共97项执法事项" → 97项)."""
    near = figure_near(sentence, anchors, kind)
    exact = [f for f in figures(sentence) if f.unit.lstrip("余") == unit] if unit else []
    if exact:
        return near if near in exact else exact[0] if len(exact) == 1 else near
    if near is not None:
        return near
    figs = [f for f in figures(sentence) if not kind or f.kind == kind]
    if len(figs) == 1:
        # "为75家企业修复信用": the figure may come just before the words, in the same clause.
        f = figs[0]
        after = sentence[f.start + len(f.text): f.start + len(f.text) + BEFORE_WORDS]
        after = re.split(r"[，。；,;]", after, maxsplit=1)[0]
        if any(a and a in after for a in anchors):
            return f
    return None


def _fmt(v: float, places: int = 2) -> str:
    return str(int(round(v))) if abs(v - round(v)) < 1e-9 else f"{v:.{max(places, 2)}f}".rstrip("0").rstrip(".")


def _values(figs: list[Figure]) -> tuple[list[float], str]:
    """Values as written when all share a scale (24.2万 stays 24.2, unit 万), else magnitudes."""
    if len({f.scale for f in figs}) == 1:
        return [f.value for f in figs], figs[0].unit
    return [f.magnitude for f in figs], figs[0].unit.lstrip("万亿千")


def difference(a: Figure, b: Figure) -> str:
    """"a−b=d" with the larger first, in the unit both share."""
    hi, lo = (a, b) if a.magnitude >= b.magnitude else (b, a)
    (vh, vl), unit = _values([hi, lo])
    unit = "个百分点" if hi.unit in ("%", "％") else unit
    places = max(hi.places, lo.places)
    return f"{_fmt(vh, places)}−{_fmt(vl, places)}={_fmt(vh - vl, places)}{unit}"


def total(figs: list[Figure]) -> str:
    values, unit = _values(figs)
    # As precise as the most precise input: 476.389万 + 323.68万 = 800.069万, not 800.07万.
    places = max((f.places for f in figs), default=0)
    return "+".join(_fmt(v, places) for v in values) + f"={_fmt(sum(values), places)}{unit}"


def worked(figs: list[Figure], ops: list[str]) -> str:
    """The question's own sequence of operations over figures in report order: "269+18−240=47件"."""
    values, unit = _values(figs)
    places = max(f.places for f in figs)
    result, text = values[0], _fmt(values[0], places)
    for op, v in zip(ops, values[1:], strict=True):
        result = result + v if op == "+" else result - v
        text += f"{op}{_fmt(v, places)}"
    return f"{text}={_fmt(result, places)}{unit}"


#: A question asking what share one thing is of another: "邻里纠纷占几成", "行政检查占了百分之多少".
PART_OF = re.compile(r"占[^，。？?；;]{0,8}(?:几成|百分之|多少|比例|比重|比)|几成|占比")
#: Any share asked, also as a plain rate ("比例是多少"), which a report usually states itself.
SHARE_ASKED = re.compile(PART_OF.pattern + r"|比例|比重|百分之多少")


def share_of(part: Figure, whole: Figure) -> str:
    """"106÷136≈77.9%": a part's share of its whole, in per cent to one decimal."""
    (vp, vw), _ = _values([part, whole])
    return f"{_fmt(vp)}÷{_fmt(vw)}≈{_fmt(round(vp / vw * 100, 1))}%"


#: "28件，占审结的42.42%": a count stated with its share of a whole the report does not give.
_SHARE_OF = re.compile(r"[，,]?\s*占([^，。；;%％]{0,10}?)的?(\d+(?:\.\d+)?)\s*[%％]")


def whole_from_share(sentence: str, unit: str = "", asked: str | None = None) -> str:
    """"28÷42.42%≈66件": the whole a stated count is the given share of (of the unit asked, if any).
    ``asked``: the question's clause that asks a count; the whole is worked out only when it names that
    whole ("审结了大约多少件" for "占审结的42.42%")."""
    for m in _SHARE_OF.finditer(sentence):
        before = [f for f in figures(sentence[: m.start()]) if f.kind not in ("share", "points")]
        if not before or float(m.group(2)) <= 0:
            continue
        whole_word = m.group(1).strip()
        if asked is not None and not (len(whole_word) >= 2 and whole_word in asked):
            continue
        f = before[-1]
        if unit and not same_measure(f.unit.lstrip("余"), unit):
            continue
        whole = f.magnitude / (float(m.group(2)) / 100)
        return f"{f.shown()}÷{m.group(2)}%≈{whole:.0f}{f.unit.lstrip('余')}"
    return ""


#: Measure words of cases, used interchangeably ("多少宗" of 28件).
_CASES = frozenset("件起宗")


def same_measure(a: str, b: str) -> bool:
    return a == b or (a in _CASES and b in _CASES)


def addable(figs: list[Figure]) -> bool:
    """Figures whose sum means something: one kind, and not shares (出庭应诉率100% + 败诉率1.37% is no total)."""
    return same_unit(figs) and figs[0].kind not in ("share", "points")


#: Measure words that count the same sort of thing (件 with 起, 条 with 份); 个 goes with the specific
#: words of items, places and people it stands for (72个事项 with 97项), never with cases (83个应用 is not
#: 12596件 of anything).
_LIKE_MEASURES = ("件起宗例单笔", "条份篇件本张卷", "个项家所处", "名人位个", "次场回期批轮")


def same_unit(figs: list[Figure]) -> bool:
    """Figures that can be compared or added: one kind of unit (件 with 起, 条 with 份; never % with 件),
    and counts only in measure words of one sort."""
    if len({f.kind for f in figs}) != 1:
        return False
    if figs[0].kind != "count":
        return True
    heads = {f.unit.lstrip("余多")[:1] for f in figs}
    return len(heads) == 1 or any(heads <= set(group) for group in _LIKE_MEASURES)
