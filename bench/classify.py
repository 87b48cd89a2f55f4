"""Classification of citizen requests (issue 18): the shipped model's scores on the held-out
set (written apart from the training set, in other words) and its speed.

    PYTHONPATH=src .venv/bin/python bench/classify.py [--rounds N]

Trains on `hotline/data/train.tsv` only (never on the held-out set, nor on corrections), then
prints accuracy, macro-F1 and each category's precision and recall on `heldout.tsv`, and the
classification rate: the held-out texts classified in batches of 1,000 (the API's many-at-once
path) and one at a time with place and phone extraction (`classify_texts`, as the intake page
and `POST /api/hotline/classify` call it). No database is needed.
"""

import argparse
import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
django.setup()

from fangkong.hotline.classify.engine import extract, train  # noqa: E402
from fangkong.hotline.classify.evaluate import evaluate  # noqa: E402
from fangkong.hotline.classify.services import heldout_examples, shipped_examples  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20, help="passes over the texts for speed")
    args = parser.parse_args()
    training, heldout = shipped_examples(), heldout_examples()
    started = time.perf_counter()
    model = train([t for _c, t in training], [c for c, _t in training])
    trained = time.perf_counter() - started
    score = evaluate(model, heldout)
    print(f"training examples {len(training)}, held-out {len(heldout)}, trained in {trained:.2f} s")
    print(f"held-out accuracy {score.accuracy:.3f}  macro-F1 {score.macro_f1:.3f}")
    print(f"{'category':<12} {'precision':>9} {'recall':>7} {'n':>4}")
    for category, (precision, recall, n) in score.per_category.items():
        print(f"{category:<12} {precision:>9.3f} {recall:>7.3f} {n:>4}")
    # The training set scored as if unseen (it is not): how far the held-out falls below it.
    own = evaluate(model, training)
    print(f"training-set accuracy {own.accuracy:.3f} (seen; for comparison only)")

    texts = [t for _c, t in heldout]
    batch = (texts * (1000 // len(texts) + 1))[:1000]
    model.predict(batch[:10])  # jieba's dictionary loaded before timing
    started = time.perf_counter()
    for _ in range(args.rounds):
        model.predict(batch)
        for text in batch:
            extract(text)
    elapsed = time.perf_counter() - started
    print(f"batched: {args.rounds * len(batch) / elapsed:,.0f} requests/s (classify + extract)")
    started = time.perf_counter()
    singles = texts * max(1, args.rounds // 4)
    for text in singles:
        model.predict([text])
        extract(text)
    elapsed = time.perf_counter() - started
    print(f"one at a time: {len(singles) / elapsed:,.0f} requests/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
