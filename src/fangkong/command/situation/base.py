"""What every kind of a situation import shares: the lines read, the kind's interface, the
context the kinds fill for each other (people → cases → contacts → measures → sites → rooms →
stays → zones → rounds), and what the preview and the result say.

A kind is one module (`people.py`, `cases.py`, `contacts.py`, `measures.py`, `sites.py` —
sites and rooms —, `stays.py`, `zones.py`, `rounds.py`) holding a `Kind` subclass: its
`Columns` (Chinese headers first), `parse` (one line's cells → its value and cell errors),
`check` (the lines against each other, the earlier kinds and the database; the defaults it
applies and the people it flags, counted for the preview; what each valid line will do) and
`write` (columnar, audited per row, announcing its changes once). `registry.KINDS` lists them
in the order they are checked and written.
"""

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_noop

from fangkong.audit.history import changes_of, text_in
from fangkong.core import dates
from fangkong.core.tabular import Columns, RowError
from fangkong.epi.contacts.importing import E_MOMENT, moment

E_DATE = gettext_noop("Write a date such as 2022-05-03")
E_UNKNOWN_VALUE = gettext_noop("Unknown value; write one of: %(values)s")
E_DUPLICATE_KEY = gettext_noop("The same %(key)s already appears in row %(row)s")
E_LONG = gettext_noop("At most %(max)s characters")
E_PERSON_ROW = gettext_noop("This person's row in the people sheet is wrong (see its errors)")
E_CASE_ROW = gettext_noop("This case's row in the cases sheet is wrong (see its errors)")
E_OTHER_END = gettext_noop(
    "This differs from the time already recorded (%(at)s); correct it there, not by an import"
)
E_BEFORE_LAST = gettext_noop("This is before the last recorded change (%(at)s)")


@dataclass
class Line:
    """One row of one kind: its number as the user sees it (the file's row, or the JSON
    array's position from 1), its cells by canonical column, and what checking found."""

    number: int
    cells: dict[str, str]
    errors: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    value: Any = None  # the kind's parsed row

    def cell(self, canon: str) -> str:
        return self.cells.get(canon, "").strip().lstrip("'")

    def error(self, canon: str, message: str, params: dict[str, Any] | None = None) -> None:
        self.errors.append((canon, str(message), params or {}))

    def date(self, canon: str) -> dt.date | None:
        text = self.cell(canon)
        if not text:
            return None
        try:
            return moment(text)[1]
        except ValueError:
            self.error(canon, E_DATE)
            return None

    def moment(self, canon: str) -> dt.datetime | None:
        """A time of day (valid time) in the user's time zone; ISO text with an offset too."""
        text = self.cell(canon)
        if not text:
            return None
        try:
            parsed = parse_datetime(text.replace("/", "-"))
        except ValueError:
            parsed = None
        if parsed is not None:
            return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed
        try:
            when = moment(text)[0]
        except ValueError:
            when = None
        if when is None:
            self.error(canon, E_MOMENT)
        return when

    def choice(self, canon: str, values: Mapping[str, str], codes: Sequence[str]) -> str:
        """The code a cell names (a code, or a word of `values`); refused listing the words."""
        text = self.cell(canon)
        if not text:
            return ""
        value = values.get(text.lower())
        if value is None:
            self.error(canon, E_UNKNOWN_VALUE, {"values": shown(values, *codes)})
            return ""
        return value


@dataclass(frozen=True)
class SheetError(RowError):
    """A row error naming the file (or the sheet, or the JSON array) it is in, and the
    column's canonical name (`field`, what the API's error locations use)."""

    sheet: str = ""
    field: str = ""


@dataclass
class Found:
    """What the import found, for the preview and the result: per kind the rows, what each
    does (new, changed, unchanged), counts by status and by district; the defaults applied to
    what the file did not say (kind, column, msgid, params) → rows; the people flagged for a
    person to decide (kind, row, msgid)."""

    rows: Counter[str] = field(default_factory=Counter)
    new: Counter[str] = field(default_factory=Counter)
    changed: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    by_status: dict[str, Counter[str]] = field(default_factory=dict)
    by_district: dict[str, Counter[str]] = field(default_factory=dict)
    defaults: Counter[tuple[str, str, str, tuple[tuple[str, Any], ...]]] = field(
        default_factory=Counter
    )
    flagged: list[tuple[str, int, str, str]] = field(default_factory=list)

    def default(self, kind: str, canon: str, message: str, **params: Any) -> None:
        self.defaults[(kind, canon, message, tuple(sorted(params.items())))] += 1

    def status(self, kind: str, label: str) -> None:
        self.by_status.setdefault(kind, Counter())[label] += 1

    def district(self, kind: str, key: str) -> None:
        self.by_district.setdefault(kind, Counter())[key[:6]] += 1

    def flag(self, kind: str, number: int, person: str, message: str) -> None:
        self.flagged.append((kind, number, person, message))


@dataclass(frozen=True)
class PersonRef:
    """A person a line names: registered (pk) or new in this import (pk None until written)."""

    id_number: str
    pk: int | None
    division_key: str
    birth_date: dt.date
    name: str


@dataclass
class CaseRef:
    """A case a line names: registered (pk) or new in this import."""

    number: str
    pk: int | None
    person: str  # ID number
    division_key: str
    registered_at: dt.datetime


@dataclass
class Context:
    """What the kinds share while one import is checked and written."""

    actor: Any
    tolerance: dt.timedelta
    rules: Any  # the policy in force (`policy.schema.Rules`)
    found: Found = field(default_factory=Found)
    people: dict[str, PersonRef] = field(default_factory=dict)  # ID number → person
    outside: set[str] = field(default_factory=set)  # ID numbers registered outside scope
    cases: dict[str, CaseRef] = field(default_factory=dict)  # case number → case
    outside_cases: set[str] = field(default_factory=set)  # case numbers outside scope
    wrong_people: set[str] = field(default_factory=set)  # ID numbers of refused people lines
    wrong_cases: set[str] = field(default_factory=set)  # numbers of refused case lines
    person_ids: set[int] = field(default_factory=set)  # whose health-code facts changed
    households: dict[str, str] = field(default_factory=dict)  # ID number → household code
    sites: dict[str, Any] = field(default_factory=dict)  # site code → `sites.SiteRef`
    outside_sites: set[str] = field(default_factory=set)
    wrong_sites: set[str] = field(default_factory=set)
    rooms: dict[tuple[str, str, str], Any] = field(default_factory=dict)  # site, building, room
    wrong_rooms: set[tuple[str, str, str]] = field(default_factory=set)
    beds: dict[tuple[str, str, str], int] = field(default_factory=dict)  # a room's beds
    measures: dict[str, Any] = field(default_factory=dict)  # ID number → `measures.MeasureRef`
    wrong_measures: set[str] = field(default_factory=set)
    reason: str = ""
    events: int = 0


class Kind:
    """One kind of line (see the module's docstring)."""

    name: ClassVar[str]  # "cases": the JSON key, the form field, the audit count
    title: ClassVar[Promise]  # "Cases", for pages and errors
    columns: ClassVar[Columns]
    sample: ClassVar[tuple[tuple[str, ...], ...]] = ()

    def notes(self) -> dict[str, str]:
        """What to write in each column (in the reader's language), for the upload page."""
        raise NotImplementedError

    def parse(self, line: Line) -> None:
        raise NotImplementedError

    def check(self, lines: list[Line], ctx: Context) -> None:
        raise NotImplementedError

    def write(self, lines: list[Line], ctx: Context) -> None:
        raise NotImplementedError

    def label(self, canon: str) -> str:
        return self.columns.label(canon) if canon in self.columns.chinese else canon

    def help(self) -> list[tuple[str, str, bool, str]]:
        return self.columns.help(self.notes())

    def sample_csv(self) -> str:
        return self.columns.sample_csv(self.sample)


def recorded(at: dt.datetime) -> str:
    """A recorded time as the lines write one (2022-05-03 12:00), for an error."""
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")


def later_fact(
    line: Line,
    canon: str,
    *,
    given: dt.datetime | None,
    known: dt.datetime | None,
    after: tuple[tuple[dt.datetime | None, str], ...],
    tolerance: dt.timedelta,
) -> bool:
    """Whether a line re-imported with a time the row did not have yet (a measure's end, a
    check-out, a round closed, a zone lifted) brings it as a later fact to apply: the time is
    checked like any other (not ahead of the clock, in order: `after`); one that differs from
    the time already recorded is an error naming the column, never a silent change."""
    if given is None:
        return False
    if known is not None:
        if known != given:
            line.error(canon, E_OTHER_END, {"at": recorded(known)})
        return False
    try:
        dates.check_happened(canon, given, tolerance=tolerance, after=after)
    except ValidationError as exc:
        for messages in exc.message_dict.values():
            for message in messages:
                line.error(canon, message)
        return False
    return True


def last_changes(object_type: str, ids: Sequence[int]) -> dict[int, dt.datetime]:
    """The time of the last recorded status change of each of these rows (one query)."""
    last: dict[int, dt.datetime] = {}
    if not ids:
        return last
    rows = (
        changes_of(object_type, ["status"])
        .filter(object_id__in=text_in(list(ids)))
        .values_list("object_id", "at")
    )
    for oid, at in rows:
        last[int(oid)] = max(at, last.get(int(oid), at))
    return last


def before_last(line: Line, canon: str, given: dt.datetime, last: dt.datetime | None) -> None:
    if last is not None and given < last:
        line.error(canon, E_BEFORE_LAST, {"at": recorded(last)})


def shown(values: Mapping[str, str], *codes: str) -> str:
    """The Chinese words a column accepts, for an error (English codes are accepted too)."""
    words = [w for w, c in values.items() if c in codes and not w.isascii()]
    return "、".join(dict.fromkeys(words)) + " (" + ", ".join(codes) + ")"


def translated(message: str, params: Mapping[str, Any]) -> str:
    text = gettext(message)
    return text % dict(params) if params else text
