"""The words of the audit log: every code an event stores, read as a label in the reader's
language.

An event keeps what its writer had at hand: a status code (`in`), a label in the writer's
language (`Located`, `已定位`), a policy profile as `code vN`, a process as the actor's name
(`system`). The actions and fields are named in `audit.models` (`ACTION_LABELS`,
`FIELD_LABELS`), the processes that act here (`ACTOR_LABELS`). What the values of a field mean
is known to the app that writes them: it declares them in its `audit_labels` module (read by
`discover()` at start-up). A value nobody claims is shown as stored (a name, a number, a date).
"""

import datetime as dt
import functools
import importlib
import re
from collections.abc import Callable, Mapping
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import request_started
from django.db import models
from django.utils import formats, timezone, translation
from django.utils.module_loading import module_has_submodule
from django.utils.translation import gettext_lazy as _

from fangkong.core.words import listing

Reader = Callable[[str], str | None]  # a stored value → its label now; None: not one it knows
Words = type[models.TextChoices] | Mapping[str, Any]  # codes → (lazy) labels

SYSTEM = "system"  # the actor name of what the platform did by itself
SELF_SERVICE = "self-service"  # the actor name of what a person does on the public pages
ANONYMOUS = "anonymous"  # a log-in attempt from an unknown address

ACTOR_LABELS = {
    SYSTEM: _("System (automatic)"),
    SELF_SERVICE: _("The person, on the public page"),
    ANONYMOUS: _("Unknown visitor"),
}

BOOLEANS = {"True": _("yes"), "true": _("yes"), "False": _("no"), "false": _("no")}
REFERENCE = " ← "  # "<label> ← <reference>": a label, then what it points to (a case number)
MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@functools.cache
def value_codes(choices: type[models.TextChoices]) -> dict[str, str]:
    """Code, and label in every language, of each value → the code (events write labels)."""
    return _codes({member.value: member.label for member in choices})


def _codes(words: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for code, label in words.items():
                out.setdefault(str(label), code)
    return out | {code: code for code in words}


class Choices:
    """Reads the values of a set of codes: a code, or its label in any language, → its label in
    the reader's language. `prefix`: also a label followed by free text (a hospital's kind, then
    its name)."""

    def __init__(self, words: Words, *, prefix: bool = False) -> None:
        self.words = _words(words)
        self.prefix = prefix

    @functools.cached_property
    def _known(self) -> dict[str, str]:  # built on first use: the catalogues are loaded then
        return _codes(self.words)

    def __call__(self, value: str) -> str | None:
        if value in self._known:
            return str(self.words[self._known[value]])
        return self._with_tail(value) if self.prefix else None

    def _with_tail(self, value: str) -> str | None:
        for label in sorted(self._known, key=len, reverse=True):
            if value.startswith(label + " "):
                return str(self.words[self._known[label]]) + value[len(label) :]
        return None


def _words(words: Words) -> Mapping[str, Any]:
    if isinstance(words, type):
        return {member.value: member.label for member in words}
    return words


# The registry ------------------------------------------------------------------------------------

DECLARATIONS = "audit_labels"  # the module of an app that says what its events' values mean
_VALUES: dict[tuple[str, str], Reader] = {}  # (object type, field) → reader
_ACTION_VALUES: dict[tuple[str, str], Reader] = {}  # (action, field) → reader, before the type's
_REASONS: dict[str, Reader] = {}  # action → reader of the reasons the platform writes itself


def _reader(words: Words | Reader) -> Reader:
    if isinstance(words, type | Mapping):
        return Choices(words)
    return words


def discover() -> None:
    """Read every app's `audit_labels` module, as the admin reads `admin` (the log sits below
    the apps and never imports them). Each may declare:

    - `VALUES`: {(object type, field): codes or a reader} for the values its events store;
    - `ACTION_VALUES`: {(action, field): …} where an action's values are not its object type's
      (a measure's test day recorded on the measure);
    - `REASONS`: {action: …} for the reasons the platform writes when no person gave one.
    """
    registries: dict[str, dict[Any, Reader]] = {
        "VALUES": _VALUES,
        "ACTION_VALUES": _ACTION_VALUES,
        "REASONS": _REASONS,
    }
    declared: dict[tuple[str, Any], str] = {}
    for config in apps.get_app_configs():
        if config.module is None or not module_has_submodule(config.module, DECLARATIONS):
            continue
        module = importlib.import_module(f"{config.name}.{DECLARATIONS}")
        for name, registry in registries.items():
            for key, words in getattr(module, name, {}).items():
                if declared.setdefault((name, key), config.name) != config.name:
                    raise ImproperlyConfigured(f"{name} {key} declared by two apps")
                registry[key] = _reader(words)


def per_request[T](load: Callable[[], T]) -> "functools._lru_cache_wrapper[T]":
    """`load()` once per request (and once outside requests until the next one, or until
    `.cache_clear()`): what a page of events looks up in the database (the names of profiles,
    of sites) costs one query a page, not one a row."""
    cached = functools.cache(load)
    request_started.connect(lambda **kwargs: cached.cache_clear(), weak=False)
    return cached


@per_request
def _display_names() -> dict[str, str]:
    users = get_user_model().objects.exclude(display_name="")
    return dict(users.values_list("username", "display_name"))


def usernames_reading(value: str) -> str | None:
    """ "quarantine, wang" (the accounts a staff list was set to) as the people's names."""
    if not value:
        return None
    names = _display_names()
    return listing(names.get(u, u) for u in value.split(", "))


# Reading -----------------------------------------------------------------------------------------


def actor_label(actor_name: str) -> str:
    return str(ACTOR_LABELS.get(actor_name, actor_name))


def value_label(action: str, object_type: str, field: str, value: str) -> str:
    """A stored value as the reader reads it."""
    if not value:
        return value
    for reader in (_ACTION_VALUES.get((action, field)), _VALUES.get((object_type, field))):
        label = reader(value) if reader is not None else None
        if label is not None:
            return label
    if value in BOOLEANS:
        return str(BOOLEANS[value])
    if MOMENT.match(value):
        return _moment(value)
    head, sep, tail = value.partition(REFERENCE)
    if sep and head:
        return value_label(action, object_type, field, head) + sep + tail
    return value


def reason_label(action: str, reason: str) -> str:
    reader = _REASONS.get(action)
    label = reader(reason) if reader is not None and reason else None
    return reason if label is None else label


def _moment(value: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return formats.date_format(moment, "Y-m-d H:i")
