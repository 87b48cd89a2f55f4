"""The audit log and the history tables speak the reader's language (issue 14, item 6).

Every audited action the code records has a label, and every event of every kind, written by a
user of either language, reads back on the audit page, a person's history and a room's history
with no stored code (a status, a field, an actor, a policy profile) and no label of the other
language.
"""

import functools
import html
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import translation

from fangkong.audit.models import ACTION_LABELS, FIELD_LABELS, Event
from fangkong.policy.compare import CONDITION_LABELS, LEVEL_LABELS, PHASE_LABELS
from fangkong.policy.models import PolicyProfile
from fangkong.quarantine.models import Room, Site, SiteKind
from tests import factories as f
from tests.web.audit_samples import PERSON, samples

SRC = Path(__file__).resolve().parents[2] / "src" / "fangkong"
LITERAL = re.compile(r'action="([a-z_]+\.[a-z_]+)"')
LANGUAGES = ["zh-hans", "en"]
PROCESSES = {"system", "self-service", "anonymous"}  # actor names of what no user did
WORDS_ONLY = r"[A-Za-z][A-Za-z '-]+"  # a label left in English (a user's name is p_command)


def test_every_action_literal_has_a_label():
    used = {m for p in SRC.rglob("*.py") for m in LITERAL.findall(p.read_text("utf-8"))}
    assert len(used) > 50
    assert sorted(used - set(ACTION_LABELS)) == []


def test_every_action_has_a_sample_event():
    assert sorted(set(ACTION_LABELS) - {s.action for s in samples("en", site_id=1)}) == []


# What may not be read ---------------------------------------------------------------------------


def _choices() -> list[type[models.TextChoices]]:
    def below(cls: type) -> list[type]:
        return [d for c in cls.__subclasses__() for d in (c, *below(c))]

    return [c for c in below(models.TextChoices) if c.__module__.startswith("fangkong.")]


CODED = (LEVEL_LABELS, PHASE_LABELS, CONDITION_LABELS)  # codes of the profiles' rules → labels
WORDS = (*CODED, FIELD_LABELS, ACTION_LABELS)


def _raw_codes() -> set[str]:
    codes = {str(m.value) for c in _choices() for m in c}
    codes |= {code for words in CODED for code in words}
    codes |= {f"{p.code} v{p.version}" for p in PolicyProfile.objects.all()}
    return codes | PROCESSES | {"True", "False", "true", "false"}


def _labels(language: str) -> set[str]:
    with translation.override(language):
        out = {str(m.label) for c in _choices() for m in c}
        return out | {str(label) for words in WORDS for label in words.values()}


def _foreign(reader: str) -> list[str]:
    """Labels of the other language (those that differ from the reader's)."""
    other = "en" if reader == "zh-hans" else "zh-hans"
    return sorted(_labels(other) - _labels(reader), key=len, reverse=True)


def _parts(text: str) -> list[str]:
    return re.split(r"\s*[;,；，←→·:()（）]\s*", text)


# Reading the tables -----------------------------------------------------------------------------


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def _cells(row: str) -> list[str]:
    return re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)


def _event_rows(page: str) -> list[dict[str, str]]:
    """The rows of audit/_events.html: who, what, field, from, to, reason."""
    out = []
    for row in re.findall(r"<tr data-action=[^>]*>(.*?)</tr>", page, re.S):
        cells = _cells(row)
        change = cells[3]
        field = re.search(r"<span class=\"muted[^\"]*\">(.*?):</span>", change, re.S)
        change = change.replace(field.group(0), "") if field else change
        old, _arrow, new = _text(change).partition(" → ")
        out.append(
            {
                "who": _text(cells[1]),
                "what": _text(cells[2]),
                "field": _text(field.group(1)) if field else "",
                "from": old.strip(),
                "to": new.strip(),
                "reason": _text(cells[4]),
            }
        )
    return out


def _room_rows(page: str) -> list[dict[str, str]]:
    table = re.search(r'<table class="grid" id="history">(.*?)</table>', page, re.S)
    assert table is not None
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S):
        cells = _cells(row)
        if len(cells) == 5:
            rows.append(
                {
                    "who": _text(cells[1]),
                    "from": _text(cells[2]),
                    "to": _text(cells[3]),
                    "reason": _text(cells[4]),
                }
            )
    return rows


@functools.cache
def _foreign_finder(reader: str) -> tuple[re.Pattern[str], frozenset[str]]:
    """The other language's labels as one pattern (those in ASCII, as words) and one set (the
    others, matched as whole parts): one search a cell, not one per label."""
    foreign = _foreign(reader)
    words = [re.escape(label) for label in foreign if label.isascii()]
    either = "|".join(words) or "(?!)"  # (?!) matches nothing: no label in ASCII
    pattern = re.compile(rf"(?<![\w-])(?:{either})(?![\w-])")
    return pattern, frozenset(label for label in foreign if not label.isascii())


def _foreign_label_in(text: str, reader: str) -> str | None:
    """A label of the other language the text shows: as words (English), or as a whole part of
    a list, or before a name (Chinese, which has no spaces: 隔离酒店 in a site's name is not the
    label 酒店)."""
    words, chinese = _foreign_finder(reader)
    if found := words.search(text):
        return found.group(0)
    for part in _parts(text):
        if part in chinese:
            return part
        heads = (part[:i] for i, char in enumerate(part) if char == " ")
        if held := next((head for head in heads if head in chinese), None):
            return held
    return None


def _unreadable(rows: list[dict[str, str]], reader: str) -> list[tuple[str, str, str]]:
    """(cell, text, what it holds) of each cell that shows a stored code or a label of the
    other language.

    A code that is also a label of the reader's language (English "high", "status") passes."""
    own = _labels(reader)
    raw = _raw_codes() - own
    fields = {s.field for s in samples("en", site_id=1)} - own - {""}
    bad = []
    for row in rows:
        for cell, text in row.items():
            if text in raw or text in fields or re.search(r"[\w-]+ v\d+$", text):
                bad.append((cell, text, "a code"))
            if label := _foreign_label_in(text, reader):
                bad.append((cell, text, label))
            if reader == "zh-hans" and any(re.fullmatch(WORDS_ONLY, p) for p in _parts(text)):
                bad.append((cell, text, "English words"))
    return bad


# The pages --------------------------------------------------------------------------------------


@pytest.fixture
def room(city, personas):
    street = city.w[f.Level.STREET]
    site = Site.objects.create(
        code="QS-W1", name="魏都隔离酒店", kind=SiteKind.HOTEL, division=street,
        division_key=street.key,
    )  # fmt: skip
    return Room.objects.create(
        site=site, building="A", floor=1, number="101", beds=1, division_key=street.key
    )


def _record(writer: str, people, personas, room) -> list[Event]:
    person = people["zhang"]
    user = personas["command"]
    events = []
    for s in samples(writer, site_id=room.site_id):
        is_room = s.object_type == "quarantine.room"
        events.append(
            Event(
                actor=user if s.actor == PERSON else None,
                actor_name=str(user) if s.actor == PERSON else s.actor,
                action=s.action,
                object_type=s.object_type,
                object_id=str(room.pk) if is_room else "1",
                object_label=person.name,
                person_id=person.pk,
                division_key=person.division_key,
                field=s.field,
                from_value=s.old,
                to_value=s.new,
                reason=s.reason,
            )
        )
    return Event.objects.bulk_create(events)


def _reading(login, user, reader: str):
    client = login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = reader
    return client


@pytest.mark.parametrize("writer", LANGUAGES)
@pytest.mark.parametrize("reader", LANGUAGES)
def test_every_event_reads_in_the_readers_language(
    login, people, personas, room, settings, writer, reader
):
    settings.PAGE_SIZE = 500
    recorded = _record(writer, people, personas, room)
    client = _reading(login, personas["command"], reader)

    log = client.get(reverse("audit:events")).content.decode()
    rows = _event_rows(log)
    assert len(rows) == len(recorded)
    assert _unreadable(rows, reader) == []

    history = client.get(reverse("people:resident", args=[people["zhang"].pk])).content.decode()
    rows = _event_rows(history)
    assert len(rows) == min(len(recorded), 100)  # a person's page shows their latest 100
    assert _unreadable(rows, reader) == []

    page = client.get(reverse("quarantine:room", args=[room.pk])).content.decode()
    rows = _room_rows(page)
    assert len(rows) == 1
    assert _unreadable(rows, reader) == []


def test_the_log_is_filtered_by_an_action_chosen_by_its_label(login, people, personas, room):
    """The filter lists the actions by name in the reader's language (it asked for a code
    prefix, with `resident. / pii. / policy.` as its example) and keeps the one chosen."""
    _record("zh-hans", people, personas, room)
    client = _reading(login, personas["command"], "zh-hans")
    page = client.get(reverse("audit:events"), {"action": "case.transferred"}).content.decode()
    form = page.split('<form method="get" class="toolbar">')[1].split("</form>")[0]
    assert '<option value="case.transferred" selected>' in form
    assert "placeholder" not in form and "pii." not in re.sub(r'value="[^"]*"', "", form)
    actions = {a for a in re.findall(r'<tr data-action="([^"]+)"', page)}
    assert actions == {"case.transferred"}
