"""The standard parts of a 法治政府建设 report — the work done, the shortcomings, the plans — and which
one a question asks about.

Reports name their parts differently ("六、存在问题与不足", "二、存在问题和短板", "三、2025 年工作思路",
"八、下一步的工作打算", an untitled closing paragraph the chunker labels 存在问题), so a heading's part
is read from its meaning: its vector is compared with a few plain descriptions of each part, and a
part word in the heading (问题, 计划, …) adds to that. Questions name the part with everyday words
(不足, 差在哪, 明年, 打算, 成绩), a closed class matched by a short pattern list.
"""

from __future__ import annotations

import re

import numpy as np

from rag.answer.intent import SHORTFALL
from rag.answer.sentences import SentenceVectors

WORK, PROBLEMS, PLANS = "work", "problems", "plans"
#: Plain descriptions of each part; a heading belongs to the part whose description it is closest to.
_PROTOTYPES = {
    WORK: ("主要工作情况和成效", "主要做法和成绩"),
    PROBLEMS: ("存在的问题和不足", "短板和薄弱环节"),
    PLANS: ("下一步工作计划", "明年的工作思路和打算"),
}
#: Part words in a heading: evidence added to its meaning (the small model's similarities lie close).
_HEADING_WORDS = {
    PROBLEMS: re.compile(r"问题|不足|短板|差距|薄弱|困难|挑战"),
    PLANS: re.compile(r"下一步|今后|思路|计划|打算|展望|安排|20\d\d\s*年(?:度)?(?:工作|重点)|工作设想"),
    WORK: re.compile(r"主要(?:工作|情况|成效|做法)|工作情况|成效|成绩|做法"),
}
_WORD_BONUS = 0.05
#: Everyday words that ask for one part ("石狮以后普法想怎么搞" asks for the plans, whatever its topic).
#: (准备 made or had, "平时都做了啥准备", is work done, not a plan.)
_ASKS = (
    (PLANS, re.compile(r"以后|往后|后续|后面|今后|下一步|明年|来年|第二年|次年|接下来|打算|计划|(?<![了过好啥么些])准备|将来|未来|思路|路数|路子|规划|展望|安排|想怎么|要怎么|下一年")),
    (PROBLEMS, re.compile(rf"不足|问题|短板|差距|薄弱|毛病|缺点|困难|差在|欠缺|不到位|没[做弄搞干办]?到位|没[做弄搞干办]好|[做弄搞干办]得不[好够]|{SHORTFALL}|"
                          r"(?:哪里|哪儿|哪些地方|什么地方)[^，。？?]{0,4}不[够好行足]")),
    (WORK, re.compile(r"成绩|成效|成果|亮点|做了|干了|做法|举措|措施|取得|进展|干得|搞了|办了哪些|开展了|"
                      r"主要工作|工作情况|哪些工作")),
)


#: Problems dealt with in the work done ("集中整治了哪几类问题", "解决了多少问题") are not shortcomings.
_ACTED_ON = re.compile(r"(整治|解决|查处|化解|纠正|整改|排查|处理|治理|打击)[^，。？?]{0,8}问题")


def asked_part(question: str) -> tuple[str | None, list[str]]:
    """The part a question asks about and the words that said so (they are not its topic)."""
    for part, pattern in _ASKS:
        found = pattern.findall(question)
        if part == PROBLEMS and set(found) == {"问题"} and _ACTED_ON.search(question):
            continue
        if found:
            return part, found
    return None, []


def heading_parts(headings: list[str], vectors: SentenceVectors | None) -> dict[str, str]:
    """The part of each top-level heading: the closest description, part words in it counting too."""
    if not headings:
        return {}
    names = list(_PROTOTYPES)
    scores = np.zeros((len(headings), len(names)), dtype=np.float32)
    if vectors is not None:
        protos = [p for n in names for p in _PROTOTYPES[n]]
        sims = vectors.get(headings) @ vectors.get(protos).T
        col = 0
        for j, n in enumerate(names):
            k = len(_PROTOTYPES[n])
            scores[:, j] = sims[:, col : col + k].max(axis=1)
            col += k
    for i, h in enumerate(headings):
        for j, n in enumerate(names):
            if _HEADING_WORDS[n].search(h):
                scores[i, j] += _WORD_BONUS
    return {h: names[int(np.argmax(scores[i]))] for i, h in enumerate(headings)}
