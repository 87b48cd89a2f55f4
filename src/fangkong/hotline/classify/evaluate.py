"""How good a model is on labelled texts it never trained on: accuracy, macro-F1 and each
category's precision and recall (used by `hotline_train`, bench/classify.py and the tests)."""

from collections.abc import Sequence
from dataclasses import dataclass

from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from fangkong.hotline.classify.engine import Classifier


@dataclass(frozen=True)
class Score:
    accuracy: float
    macro_f1: float
    per_category: dict[str, tuple[float, float, int]]  # precision, recall, support


def evaluate(model: Classifier, rows: Sequence[tuple[str, str]]) -> Score:
    truth = [c for c, _t in rows]
    guessed = [s.category for s in model.predict([t for _c, t in rows])]
    labels = sorted(set(truth))
    precision, recall, _f1, support = precision_recall_fscore_support(
        truth, guessed, labels=labels, zero_division=0
    )
    return Score(
        accuracy=float(accuracy_score(truth, guessed)),
        macro_f1=float(f1_score(truth, guessed, labels=labels, average="macro", zero_division=0)),
        per_category={
            label: (float(p), float(r), int(n))
            for label, p, r, n in zip(labels, precision, recall, support, strict=True)
        },
    )
