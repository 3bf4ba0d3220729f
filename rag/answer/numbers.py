"""Figures in report sentences, and arithmetic over them shown with its cited inputs.

A computed number is never stated alone: the answer quotes every input with its citation and writes
the sum as it was done ("269+18−240=47"), so the reader can check it against the sources.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FIGURE = re.compile(
    r"(?<![\d.])(\d+(?:\.\d+)?)\s*(万亿|亿元|万元|亿|万|千)?\s*"
    r"(%|％|个百分点|件|起|个|人次|人|名|次|家|项|场|份|条|元|户|所|宗|批|篇|期|天|小时|个工作日|万人次|平方米|公里|余件|余人|余次)?"
)
_SCALE = {"万": 1e4, "万元": 1e4, "亿": 1e8, "亿元": 1e8, "千": 1e3, "万亿": 1e12}


@dataclass
class Figure:
    value: float
    unit: str
    text: str  # as written, e.g. "1332件"
    start: int  # offset in the sentence

    def shown(self) -> str:
        return _fmt(self.value)


def figures(sentence: str) -> list[Figure]:
    """Figures with a unit; bare numbers (years, item numbers, 12345 hotlines) are left out."""
    out = []
    for m in _FIGURE.finditer(sentence):
        num, scale, unit = m.group(1), m.group(2) or "", m.group(3) or ""
        if not unit and not scale:
            continue
        if unit == "" and scale:
            unit = scale
        value = float(num)
        if re.fullmatch(r"20\d{2}", num) and not unit:
            continue
        out.append(Figure(value, (scale + unit) if scale and unit else unit, m.group(0).strip(), m.start()))
    return out


def figure_near(sentence: str, terms: list[str]) -> Figure | None:
    """The figure that follows the question's words most closely (办理法律援助案件1332件 → 1332件)."""
    figs = figures(sentence)
    if not figs:
        return None
    anchors = [m.end() for t in terms if t for m in re.finditer(re.escape(t), sentence)]
    if not anchors:
        return figs[0] if len(figs) == 1 else None

    def distance(f: Figure) -> float:
        after = [f.start - a for a in anchors if f.start >= a]
        return min(after) if after else 1000 + min(abs(f.start - a) for a in anchors)

    best = min(figs, key=distance)
    return best if distance(best) <= 30 else None


def _fmt(v: float) -> str:
    return str(int(v)) if abs(v - round(v)) < 1e-9 else f"{v:.2f}".rstrip("0").rstrip(".")


def difference(a: Figure, b: Figure) -> str:
    """"a−b=d" with the larger first, in the unit both share."""
    hi, lo = (a, b) if a.value >= b.value else (b, a)
    unit = "个百分点" if hi.unit in ("%", "％") else hi.unit
    return f"{_fmt(hi.value)}−{_fmt(lo.value)}={_fmt(hi.value - lo.value)}{unit}"


def total(figs: list[Figure]) -> str:
    unit = figs[0].unit
    return "+".join(_fmt(f.value) for f in figs) + f"={_fmt(sum(f.value for f in figs))}{unit}"


def same_unit(figs: list[Figure]) -> bool:
    units = {f.unit.replace("％", "%").lstrip("余") for f in figs}
    return len(units) == 1
