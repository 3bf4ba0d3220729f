"""The two learned decisions of the extractive answerer, as small logistic models.

- ``sentence``: how likely a report sentence is the one that answers the question; ranks what is quoted.
- ``gate``: how likely the answer built from the best sentences is correct; decides answer, answer with
  a caution, or refusal.

Both are fitted on the dev splits of the gold sets by ``rag eval --calibrate`` (scikit-learn's
LogisticRegression) and shipped as ``answer_model.json``; at run time they are a dot product.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

SENTENCE_FEATURES = ("sem", "sem_rel", "lex", "typed", "prior", "dense", "heading", "short", "told", "lex_rel",
                     "ctx")
GATE_FEATURES = (
    "sem1", "sem_rel", "lex1", "lex_gap", "cov_gap", "dense1", "agree", "typed", "focus_sent", "year_miss",
    "place_miss", "n_terms", "foreign", "topic_figure", "person", "outline_match", "miss_known", "support",
    "compare_part",
)


@dataclass
class Logistic:
    names: list[str]
    coef: list[float]
    intercept: float
    mean: list[float] = field(default_factory=list)  # standardisation fitted with the model
    scale: list[float] = field(default_factory=list)

    def logit(self, x: dict[str, float]) -> float:
        z = self.intercept
        for i, (name, w) in enumerate(zip(self.names, self.coef, strict=True)):
            v = float(x.get(name, 0.0))
            if self.mean:
                v = (v - self.mean[i]) / (self.scale[i] or 1.0)
            z += w * v
        return z

    def logits(self, xs: list[dict[str, float]]) -> list[float]:
        """``logit`` of many rows at once (the candidate sentences of a question)."""
        if not xs:
            return []
        m = np.array([[float(x.get(n, 0.0)) for n in self.names] for x in xs])
        if self.mean:
            scale = np.asarray(self.scale, dtype=float)
            m = (m - np.asarray(self.mean, dtype=float)) / np.where(scale == 0, 1.0, scale)
        return (m @ np.asarray(self.coef, dtype=float) + self.intercept).tolist()

    def prob(self, x: dict[str, float]) -> float:
        z = max(-40.0, min(40.0, self.logit(x)))
        return 1.0 / (1.0 + math.exp(-z))


@dataclass
class AnswerModel:
    sentence: Logistic
    gate: Logistic
    answer_threshold: float  # p at or above: answer
    weak_threshold: float  # p at or above (but below answer_threshold): answer with a caution
    fitted_on: str = ""

    @classmethod
    def load(cls, path: Path | None = None) -> AnswerModel:
        if path is None:
            raw = resources.files("rag.answer").joinpath("answer_model.json").read_text(encoding="utf-8")
        else:
            raw = Path(path).read_text(encoding="utf-8")
        d = json.loads(raw)
        return cls(sentence=Logistic(**d["sentence"]), gate=Logistic(**d["gate"]),
                   answer_threshold=float(d["answer_threshold"]), weak_threshold=float(d["weak_threshold"]),
                   fitted_on=d.get("fitted_on", ""))

    def save(self, path: Path) -> None:
        data = {"sentence": asdict(self.sentence), "gate": asdict(self.gate),
                "answer_threshold": self.answer_threshold, "weak_threshold": self.weak_threshold,
                "fitted_on": self.fitted_on}
        Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def default_model() -> AnswerModel:
    """Hand-set starting weights, used only until the first calibration has written the shipped file."""
    sentence = Logistic(list(SENTENCE_FEATURES), [12.0, 6.0, 3.0, 0.8, 0.6, 2.0, -1.0, -0.5, 0.0, 0.0, 1.0], -14.0)
    gate = Logistic(list(GATE_FEATURES), [10.0, 4.0, 3.0, -1.0, -1.0, 4.0, 0.3, 0.8, 0.8, -3.0, -3.0, 0.0, 0.0, 1.0, 1.0, 2.0, -2.0, 2.0, 0.0],
                    -14.0)
    return AnswerModel(sentence, gate, answer_threshold=0.5, weak_threshold=0.3, fitted_on="default")
