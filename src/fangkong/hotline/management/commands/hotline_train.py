"""`fangkong hotline_train`: retrain the classifier of citizen requests on the shipped examples
and every operator's correction, keep it, and print its score on the held-out set."""

from typing import Any

from django.core.management.base import BaseCommand

from fangkong.hotline.classify.evaluate import evaluate
from fangkong.hotline.classify.services import all_examples, classifier_train, heldout_examples


class Command(BaseCommand):
    help = "Retrain the classifier of citizen requests (shipped examples + corrections)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--shipped-only", action="store_true", help="Leave the operators' corrections out"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        examples = len(all_examples())
        model = classifier_train(with_corrections=not options["shipped_only"])
        score = evaluate(model, heldout_examples())
        self.stdout.write(
            f"examples={model.examples} (with corrections: {examples}) "
            f"heldout_accuracy={score.accuracy:.3f} heldout_macro_f1={score.macro_f1:.3f}"
        )
