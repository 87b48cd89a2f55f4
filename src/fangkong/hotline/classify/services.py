"""The classifier's shell: the examples it learns from (the set the project ships in
`hotline/data/train.tsv`, and operators' corrections kept as `TrainingExample`), the trained
model kept in VAR_DIR (`fangkong hotline_train` retrains it), and classification of one text or
many (category, confidence, place, phone)."""

import threading
from pathlib import Path
from typing import Any

from django.conf import settings

from fangkong.hotline.classify.engine import Classifier, extract, read_examples, train
from fangkong.hotline.models import HotlineCategory, TrainingExample

DATA = Path(__file__).resolve().parent.parent / "data"
TRAIN_FILE = DATA / "train.tsv"
HELDOUT_FILE = DATA / "heldout.tsv"

_lock = threading.Lock()
_loaded: dict[str, Any] = {}


def model_path() -> Path:
    return Path(settings.VAR_DIR) / "hotline-classifier.pkl"


def shipped_examples() -> list[tuple[str, str]]:
    return read_examples(TRAIN_FILE)


def heldout_examples() -> list[tuple[str, str]]:
    return read_examples(HELDOUT_FILE)


def all_examples() -> list[tuple[str, str]]:
    """The shipped set and every operator's correction or confirmation (category, text)."""
    rows = shipped_examples()
    rows += [
        (category, text)
        for category, text in TrainingExample.objects.values_list("category", "text")
        if category in HotlineCategory.values
    ]
    return rows


def classifier_train(*, with_corrections: bool = True, save: bool = True) -> Classifier:
    """Train on the examples, keep the model (the next classification in every process that
    sees the file newer reads it), and return it."""
    rows = all_examples() if with_corrections else shipped_examples()
    model = train([t for _c, t in rows], [c for c, _t in rows])
    if save:
        path = model_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(model.dumps())
        tmp.replace(path)
        with _lock:
            _loaded.update(model=model, mtime=path.stat().st_mtime)
    return model


def classifier() -> Classifier:
    """The model in force: the kept one (read again when retrained), else trained now on the
    shipped set (about a second; kept in memory)."""
    path = model_path()
    mtime = path.stat().st_mtime if path.exists() else None
    with _lock:
        if "model" in _loaded and _loaded.get("mtime") == mtime:
            model: Classifier = _loaded["model"]
            return model
    found = Classifier.loads(path.read_bytes()) if mtime is not None else None
    if found is None:
        rows = shipped_examples()
        found = train([t for _c, t in rows], [c for c, _t in rows])
    with _lock:
        _loaded.update(model=found, mtime=mtime)
    return found


def classify_texts(texts: list[str]) -> list[dict[str, Any]]:
    """For each text: {category, confidence, place, phone}."""
    suggestions = classifier().predict(texts)
    out = []
    for text, suggestion in zip(texts, suggestions, strict=True):
        found = extract(text)
        out.append(
            {
                "category": suggestion.category,
                "confidence": suggestion.confidence,
                "place": found.place,
                "phone": found.phone,
            }
        )
    return out


def classify_text(text: str) -> dict[str, Any]:
    return classify_texts([text])[0]
