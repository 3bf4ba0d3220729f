"""Follow-up questions: the conversation's places, year and topic carry over to the next question.

"那安溪县呢？" asks the last question about another place; "2023年呢？" about another year; "她审了多少份
合同？" and "群众满意率呢？" keep the last place and topic; "比上一年多了多少？" asks about the last figure.
Each turn is resolved against the previous turn's resolved form, so chains of follow-ups keep their
context. The retrieval query also carries the previous topic words, which the displayed question
(shown as 「已理解为」) leaves out when they would read unnaturally.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.answer.base import Turn
from rag.answer.citations import MARKER
from rag.answer.evidence import question_terms
from rag.retrieval.scope import LISTING, ScopeResolver

_FOLLOW = re.compile(
    r"^(那么?|那它|它|其|该|这个|那个|这些|那些|还有|另外|同样|又|再|比|跟|和|与|此外|上述)|"
    r"[她他它其](的|们|们的)?|该[镇县市区乡街]|这个数|这些|上一年|前一年|去年|上年|"
    r"呢[？?。]*$"
)
_LEAD = re.compile(r"^(那么|那|还有|另外|同样地?|此外|再问一下|再问)[，,、\s]*")
_PRONOUN = re.compile(r"^(她|他|它|其|该[镇县市区乡]?|这个地方|那个地方|[这那]个[镇县市区乡])(的|们的|们)?")
_ASK_TAIL = re.compile(r"(是|有|达到|为|共|一共|总共)?(多少|几[个件家次项名人条场所位份]?|什么|哪些|啥|哪家|谁)"
                       r"[件个家次项名人条场所位份]?[？?。！!]*$")
_ALL_PLACES = re.compile(r"哪个地方|哪些地方|几个地方|五个地方|各地|哪里|哪个县|哪个区|哪个镇|哪个市")
_YEAR = re.compile(r"20\d{2}\s*年度?")
#: A question asking a count, and words that are themselves a measure ("满意率呢？" needs no 有多少).
_ASKS_COUNT = re.compile(r"多少|几[个件家次项名人条场所位份起宗]?")
_MEASURED = re.compile(r"率|比例|比重|占比|数|量|额|金|费|多少|几")
_ASKS_OWN = re.compile(r"多少|几|哪|谁|什么|啥|吗|是否|怎么|如何|有没有|没有")
#: Words that point at a place rather than ask about anything: "那德化那边呢", "那下面的虎邱镇有几个".
_DEICTIC = frozenset({"那边", "这边", "那里", "这里", "那儿", "这儿", "下面", "上面", "底下", "里面", "当地", "本地",
                      "情况", "方面", "怎么样", "怎样", "如何", "咋样", "换成", "换到", "换个", "看看", "看下", "看一下"})
#: Words that point back at the last answer's figure or thing, or at the whole of the new place: "鲤城区这个
#: 数是多少？", "安溪全县呢？" ask the last question again; "鲤城有没有类似的牌子？" keeps its topic.
_POINTING = re.compile(r"这个数字?|这一?数字?|这个比例|这个指标|这项|全[县市区镇乡]|(?:类似|同样|一样|这样)的?|"
                       r"(?:同一|这一?)(?:块|方面|领域|项)")
#: The follow-up sets the places talked about side by side: "哪边多？", "这两个差了多少？", "比它高还是低？".
_ACROSS = re.compile(r"哪边|哪个[多少高低大小]|谁[多少高低大小]|两边|两地|两个|这两|二者|两者|比[它他她]|"
                     r"[高低多少大小]还是[高低多少大小]|加起来|合计|差了?多少|差距|相差|相比")


@dataclass
class Resolved:
    standalone: str  # the question as it would be asked on its own
    search: str  # what retrieval sees: the standalone question plus the previous topic words
    natural: bool  # whether ``standalone`` reads well enough to show the user
    new_topic: bool = False  # the follow-up names a topic of its own: the last one does not search with it


def _strip(text: str) -> str:
    return MARKER.sub("", text).strip()


def resolve_follow_up(question: str, history: list[Turn], resolver: ScopeResolver | None) -> Resolved:
    """The standalone question a follow-up stands for; the question itself when it is standalone."""
    users: list[tuple[str, str]] = []  # each user turn with the answer it followed
    answer = ""
    for t in history:
        if t.role == "user" and t.content.strip():
            users.append((_strip(t.content), answer))
        elif t.role == "assistant":
            answer = _strip(t.content)
    if not users or resolver is None:
        return Resolved(question, question, True)
    previous = Resolved(users[0][0], users[0][0], True)
    seen = resolver.places_in(previous.standalone)
    for q, after in users[1:]:
        previous = _resolve_one(_answered_place(q, previous.standalone, after, resolver), previous, resolver, seen)
        seen += [p for p in resolver.places_in(previous.standalone) if p not in seen]
    return _resolve_one(_answered_place(question, previous.standalone, answer, resolver), previous, resolver, seen)


#: "这个镇", "该县": a place pointed at by its level.
_LEVEL = re.compile(r"(?:这个|那个|该|此)([镇县区市乡])")


def _answered_place(question: str, previous: str, answer: str, resolver: ScopeResolver) -> str:
    """"这个镇…" after "哪个镇…？" — "是虎邱镇…": the place of that level the last answer named, when the
    last question named none of that level (安溪县 is not 这个镇)."""
    m = _LEVEL.search(question)
    if m is None or not answer or any(p.endswith(m.group(1)) for p in resolver.places_in(previous)):
        return question
    named = {p for p in resolver.places_in(answer) if p.endswith(m.group(1))}
    if len(named) != 1:
        return question
    return question[: m.start()] + named.pop() + question[m.end():]


def _resolve_one(question: str, last: Resolved, resolver: ScopeResolver, seen: list[str] | None = None) -> Resolved:
    """``last``: the previous turn resolved; its search text holds the topic of a chain of follow-ups
    ("被告了几次" → "输了几件？" → "那安溪呢": 安溪's question is still about 被告)."""
    previous = last.standalone
    places = resolver.places_in(question)
    prev_places = resolver.places_in(previous)
    if (level := _LEVEL.search(question)) and (own := [p for p in prev_places if p.endswith(level.group(1))]):
        prev_places = own  # "该镇" after "安溪的虎邱镇…": the town, not its county as well
    years = _YEAR.findall(question)
    pointing = bool(_POINTING.search(question))
    terms = [t for t in question_terms(_POINTING.sub(" ", question), places) if t not in _DEICTIC]
    topic_terms = question_terms(last.search, prev_places)
    topic = " ".join(topic_terms)
    together = [p for p in [*(seen or prev_places), *places] if p]
    together = [p for i, p in enumerate(together) if p not in together[:i]]
    if _ACROSS.search(question) and len(together) >= 2 and prev_places and len(places) < 2:
        # (a question naming two places itself, "德化和鲤城哪边…", compares those two only)
        # The places talked about so far, side by side, on the last question's topic.
        core = _ASK_TAIL.sub("", _without(previous, prev_places).rstrip("？?。")).rstrip("，,的")
        if (m := _YEAR.search(core)) and not all(int(m.group(0)[:4]) in resolver.years_of(p) for p in together):
            core = core.replace(m.group(0), "", 1)  # each place's own report year
        body = re.sub(r"[它他她]们?", "", _without(_LEAD.sub("", question), places)).lstrip("的，, ")
        body = re.sub(r"^呢[？?，,\s]*", "", body)
        standalone = f"{'和'.join(together)}{core}，{body}" if body else f"{'和'.join(together)}{core}？"
        return Resolved(standalone, f"{standalone} {topic}", False)
    if places and (rest := _after_place_switch(question, places)):
        # "那鲤城区呢？里面真正罚了的有多少？": the last question about the new place, then its own ask.
        switched = _resolve_one(question[: len(question) - len(rest)], last, resolver).standalone
        switched = f"{switched.rstrip('？?。')}，{rest}"
        return Resolved(switched, f"{switched} {topic}", False)
    if places and not terms:
        # Only a place (and particles): the same question about the new place.
        new = "、".join(places)
        rewritten = previous
        # (the last question's place may be one no report covers: "晋江…" then "那德化呢？")
        switched = prev_places or resolver.unknown_places(previous)
        if switched:
            for i, p in enumerate(switched):
                if i == 0:
                    rewritten = rewritten.replace(p, new, 1)
                else:  # the other places of a list go with the word listing them ("鲤城、石狮、虎邱镇" → "安溪")
                    rewritten = re.sub(rf"(?:{LISTING}|还有|[，,\s])?{re.escape(p)}", "", rewritten, count=1)
        else:
            rewritten = new + previous
        if years:
            rewritten = _YEAR.sub(years[0], rewritten, count=1) if _YEAR.search(rewritten) else rewritten
        elif prev_places and (m := _YEAR.search(rewritten)):
            # "德化县2024年…" then "那安溪县呢？": 2024 was 德化's report year; 安溪's report is for 2023.
            asked = int(m.group(0)[:4])
            # (of any place the last question named: "德化去年和安溪2023年…" then "那鲤城呢？")
            old = set().union(*(resolver.years_of(p) for p in prev_places))
            new_years = resolver.years_of(places[0])
            if asked in old and new_years and asked not in new_years and len(new_years) == 1:
                rewritten = rewritten.replace(m.group(0), f"{next(iter(new_years))}年", 1)
        # The chain's topic words the rewritten question lost ("安溪输了几件？" is about 被告) still search.
        lost = [t for t in topic_terms if t not in rewritten]
        return Resolved(rewritten, f"{rewritten} {' '.join(lost)}".strip(), True)
    if years and not places and not terms:
        # Only a year: the same question about another year.
        year = years[0]
        rewritten = _YEAR.sub(year, previous, count=1) if _YEAR.search(previous) else _prefix(prev_places, year + previous)
        return Resolved(rewritten, rewritten, True)
    if places and prev_places and (pointing or len(terms) <= 1):
        # "鲤城有没有类似的牌子？", "鲤城那边有没有评上的？": a question of its own about the new place,
        # searched on the last topic.
        return Resolved(question, f"{question} {topic}", True)
    if places or not prev_places or _ALL_PLACES.search(question):
        return Resolved(question, question, True)
    if not _FOLLOW.search(question) and len(terms) > 1:
        # No follow-up words, but no place either: in a conversation the place carries over
        # ("发了多少资料" after a question about 石狮), and so does the topic for the search.
        standalone = _prefix(prev_places, question)
        return Resolved(standalone, f"{standalone} {topic}", True)
    if (m := _TOPIC_SWITCH.match(question)) and _ASKS_OWN.search(m.group(2)) and any(
            t not in _DEICTIC and not _SUB_AREA.match(t) for t in question_terms(m.group(1), places)):
        # "那行政官司呢 一共几件 输了几件": a new topic at the same place, with its own asks; the last
        # topic (行政复议) would only pull its sentence back.
        standalone = _prefix(prev_places, f"{m.group(1)}，{m.group(2)}".rstrip("？?。 ") + "？")
        return Resolved(standalone, standalone, True, new_topic=True)
    body = _LEAD.sub("", question).strip()
    body = _PRONOUN.sub("", body)
    body = re.sub(r"呢(?=[？?。]*$)", "", body)
    if len(terms) <= 1 and not re.search(r"多少|几|哪|谁|什么|啥|吗|是否", body) or body.startswith(("比", "较")):
        # "群众满意率呢？" keeps its own word; "比上一年多了多少？" leans on the whole last question.
        core = _ASK_TAIL.sub("", previous).rstrip("，,的")
        standalone = core + body if body.startswith(("比", "较")) or not terms else _prefix(prev_places, body)
        if terms and not body.startswith(("比", "较")):
            standalone = _same_count(standalone, previous, body)
        standalone = standalone if re.search(r"[？?]$", standalone) else standalone + "？"
        return Resolved(standalone, f"{standalone} {topic}", bool(terms) or body.startswith(("比", "较")))
    standalone = _same_count(_prefix(prev_places, body), previous, body)
    standalone = standalone if re.search(r"[？?]$", standalone) else standalone + "？"
    return Resolved(standalone, f"{standalone} {topic}", not _PRONOUN.match(_LEAD.sub("", question)))


#: Parts of the place talked about ("那下面村里呢"): a narrower area, not a new topic.
_SUB_AREA = re.compile(r"^(?:[村乡镇县区市]里?|村居|社区|乡镇|街道|镇上|基层|[村乡镇县区市]级)$")
#: "那X呢，<its own ask>": a switch of topic (X names no place; the caller checks) that goes on to ask.
_TOPIC_SWITCH = re.compile(r"^(?:那么|那)[，,\s]*([^，,。？?！!\s呢]{2,12})呢[？?，,。！!\s]+(\S.*)$")


def _same_count(standalone: str, previous: str, body: str) -> str:
    """"办了多少法律援助案件？" then "那公证呢" (or "那“一件事”集成办呢"): the same count of another thing,
    unless the follow-up asks its own question or names a measure itself ("满意率呢")."""
    if _ASKS_COUNT.search(previous) and not _ASKS_OWN.search(body) and not _MEASURED.search(body):
        return standalone.rstrip("？?。") + "有多少"
    return standalone


def _without(text: str, places: list[str]) -> str:
    for p in sorted(places, key=len, reverse=True):
        text = text.replace(p, "")
    return text


def _after_place_switch(question: str, places: list[str]) -> str | None:
    """What follows "那X呢？" in a question that switches place and goes on to ask more; None when the
    question does not open with a place switch."""
    m = re.match(r"^(那么|那)?[，,\s]*(" + "|".join(map(re.escape, places)) + r")[^，,。？?！!]{0,4}?呢[？?，,。！!\s]*",
                 question)
    return None if m is None else question[m.end():].strip()


def _prefix(places: list[str], body: str) -> str:
    lead = "、".join(places)
    return body if not lead or body.startswith(lead) else f"{lead}{body}"
