"""Classification of Chinese free text, pure (no Django): jieba words and character bigrams,
TF-IDF weighted, into a multinomial logistic regression (scikit-learn). The shells that load the
examples and keep the trained model are in `classify/services.py`.

`extract` pulls the place (compound, building, unit, room) and a phone number out of the text
by pattern; the operator confirms them like the category.
"""

import io
import logging
import pickle
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jieba
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

jieba.setLogLevel(logging.WARNING)

FORMAT = 1  # bumped when a stored model can no longer be read by this code

_PUNCT = re.compile(r"[\s\d，。！？、；：“”‘’（）《》【】,.!?;:\"'()\[\]<>~…—\-]+")


def analyse(text: str) -> list[str]:
    """The features of a text: its jieba words, its characters and its character bigrams,
    so phrasing the training never saw still shares features. (Characters and bigrams were
    chosen by 5-fold cross-validation on the training set: macro-F1 0.69 with words and
    bigrams, 0.78 with characters too.)"""
    out: list[str] = []
    for part in _PUNCT.split(text.lower()):
        if not part:
            continue
        out.extend(w for w in jieba.lcut(part, HMM=False) if w.strip())
        out.extend("#" + part[i : i + 2] for i in range(len(part) - 1))
        out.extend("@" + ch for ch in part)
    return out


@dataclass(frozen=True)
class Suggestion:
    category: str
    confidence: float


class Classifier:
    """A trained model: `predict` many texts at once."""

    def __init__(self, pipeline: Pipeline, examples: int) -> None:
        self.pipeline = pipeline
        self.examples = examples
        self.labels: list[str] = [str(c) for c in pipeline.classes_]

    def predict(self, texts: Sequence[str]) -> list[Suggestion]:
        if not texts:
            return []
        proba = self.pipeline.predict_proba(list(texts))
        best = proba.argmax(axis=1)
        return [
            Suggestion(self.labels[int(i)], round(float(p[int(i)]), 4))
            for i, p in zip(best, proba, strict=True)
        ]

    def dumps(self) -> bytes:
        buffer = io.BytesIO()
        pickle.dump(
            {"format": FORMAT, "pipeline": self.pipeline, "examples": self.examples}, buffer
        )
        return buffer.getvalue()

    @classmethod
    def loads(cls, blob: bytes) -> "Classifier | None":
        """A model written by `dumps` of this code's format, else None (train again)."""
        try:
            data: Any = pickle.loads(blob)
        except Exception:
            return None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            return None
        return cls(data["pipeline"], int(data["examples"]))


def train(texts: Sequence[str], labels: Sequence[str]) -> Classifier:
    """Fit the model on labelled texts (a second or two for a few thousand)."""
    if len(set(labels)) < 2:
        raise ValueError("training needs examples of at least two categories")
    pipeline = Pipeline(
        [
            (
                "tfidf",
                TfidfVectorizer(analyzer=analyse, sublinear_tf=True, min_df=1, dtype=np.float32),
            ),
            ("model", LogisticRegression(C=20.0, max_iter=3000)),
        ]
    )
    pipeline.fit(list(texts), list(labels))
    return Classifier(pipeline, len(texts))


def read_examples(path: Path) -> list[tuple[str, str]]:
    """(category, text) rows of a shipped TSV (`category<TAB>text`, `#` comments)."""
    rows = []
    for line in path.read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        category, _tab, text = line.partition("\t")
        if text.strip():
            rows.append((category.strip(), text.strip()))
    return rows


# Places: a compound (小区, 花园, 家园…) and a building, unit and room when given.
_COMPOUND = (
    r"[\u4e00-\u9fa5A-Za-z0-9]{1,12}?(?:小区|社区|花园|家园|公寓|大厦|新村|新城|花苑|苑|"
    r"庭|府|村|城|园|里|广场|宿舍|家属院)"
)
_NUMBER = r"[0-9一二三四五六七八九十两零〇]+"
PLACE = re.compile(
    rf"(?P<compound>{_COMPOUND})?(?P<building>{_NUMBER}(?:号楼|栋|幢|号院))"
    rf"(?P<unit>{_NUMBER}单元)?(?P<room>{_NUMBER}(?:室|号|楼))?"
    rf"|(?P<alone>{_COMPOUND})"
)
_LEAD = re.compile(r"^(?:我|我们|是|在|住在|家住|住|位于|我家|我住|地址是?|这里是)+")
PHONE = re.compile(r"(?<!\d)(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?!\d)")


@dataclass(frozen=True)
class Extracted:
    place: str
    phone: str


def extract(text: str) -> Extracted:
    """The first place and the first phone number the text names ("" when none)."""
    place = ""
    for match in PLACE.finditer(text):
        found = _LEAD.sub("", match.group(0))
        if len(found) >= 2:
            place = found
            break
    phone = PHONE.search(text)
    return Extracted(place=place, phone=phone.group(1).replace("-", "") if phone else "")


def extract_all(texts: Iterable[str]) -> list[Extracted]:
    return [extract(t) for t in texts]
