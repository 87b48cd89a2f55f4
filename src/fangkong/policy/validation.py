"""What is wrong with a rules document, each problem at its path, in the reader's language.

The editor puts the problems next to its inputs, an upload lists them by path, the API answers
them as `loc` lists. Messages are pydantic's errors said again in Django's catalogue (pydantic
speaks English only); the rules' own checks (`schema._refuse`) are translated already.
"""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from fangkong.policy.schema import Loc, Rules


@dataclass(frozen=True)
class Problem:
    loc: Loc
    message: str

    @property
    def path(self) -> str:
        return ".".join(str(part) for part in self.loc)


def _bound(ctx: dict[str, Any], key: str) -> str:
    value = ctx.get(key)
    return f"{value:g}" if isinstance(value, float) else str(value)


def message_of(error: ErrorDetails) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    messages = {
        "missing": lambda: _("Required"),
        "extra_forbidden": lambda: _("Not a field of the rules: remove it"),
        "int_parsing": lambda: _("Enter a whole number"),
        "int_type": lambda: _("Enter a whole number"),
        "int_from_float": lambda: _("Enter a whole number"),
        "float_parsing": lambda: _("Enter a number"),
        "float_type": lambda: _("Enter a number"),
        "bool_parsing": lambda: _("Yes or no"),
        "bool_type": lambda: _("Yes or no"),
        "string_type": lambda: _("Enter text"),
        "string_too_short": lambda: _("Required"),
        "too_short": lambda: _("Give at least one"),
        "literal_error": lambda: _("Choose one of: %(values)s") % {"values": ctx.get("expected")},
        "greater_than_equal": lambda: _("At least %(n)s") % {"n": _bound(ctx, "ge")},
        "greater_than": lambda: _("More than %(n)s") % {"n": _bound(ctx, "gt")},
        "less_than_equal": lambda: _("At most %(n)s") % {"n": _bound(ctx, "le")},
        "less_than": lambda: _("Less than %(n)s") % {"n": _bound(ctx, "lt")},
        "dict_type": lambda: _("Expected a set of named values"),
        "model_type": lambda: _("Expected a set of named values"),
        "model_attributes_type": lambda: _("Expected a set of named values"),
        "list_type": lambda: _("Expected a list"),
        "tuple_type": lambda: _("Expected a list"),
    }
    if kind in messages:
        return str(messages[kind]())
    return str(error["msg"])  # the rules' own checks: translated where they are raised


def rules_problems(document: Any) -> tuple[Rules | None, list[Problem]]:
    """The rules, or None and every problem of the document."""
    try:
        return Rules.model_validate(document), []
    except ValidationError as exc:
        return None, [Problem(tuple(e["loc"]), message_of(e)) for e in exc.errors()]


def normalised(rules: Rules) -> dict[str, Any]:
    """The document stored for valid rules: every field spelt out, numbers as numbers."""
    return rules.model_dump(mode="json", by_alias=True)
