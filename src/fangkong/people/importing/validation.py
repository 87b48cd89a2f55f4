"""Validation of a resident import: each row cleaned on its own, then the rows of a chunk
checked against the database together.

Places, households and residents are looked up per chunk with `__in` (never one query per
row). What the valid rows will do (new resident, changed resident, new household) is kept
in the validator's `plan` for writing.py.
"""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone, translation

from fangkong.core.access import in_scope
from fangkong.core.db import LOOKUP_BATCH
from fangkong.core.tabular import E_EXTRA_CELLS, E_NUMBER_LOST, E_REQUIRED
from fangkong.people.idnumber import IdNumberError, parse_id_number
from fangkong.people.importing.spec import (
    COMPACT_DATE_RE,
    DATE_RE,
    E_BIRTH,
    E_BIRTH_MISMATCH,
    E_DUPLICATE_ID,
    E_HOUSEHOLD_ELSEWHERE,
    E_HOUSEHOLD_LONG,
    E_HOUSEHOLD_TWO_UNITS,
    E_NAME_EMPTY,
    E_NAME_LONG,
    E_PHONE,
    E_RELATION,
    E_RESIDENT_SCOPE,
    E_SEX,
    E_SEX_MISMATCH,
    E_UNIT_LEVEL,
    E_UNIT_SCOPE,
    E_UNIT_UNKNOWN,
    RELATION_MAP,
    SEX_MAP,
)
from fangkong.people.models import Household, Resident
from fangkong.people.services import PHONE_RE
from fangkong.places.models import Division, Level


def _id_reason(exc: IdNumberError) -> str:
    with translation.override(None):
        return str(exc.args[0])


def _parse_date(text: str) -> dt.date | None:
    match = DATE_RE.match(text) or COMPACT_DATE_RE.match(text)
    if match is None:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


@dataclass(slots=True)
class Row:
    number: int
    cells: list[str]
    id_number: str = ""
    name: str = ""
    phone: str = ""
    unit_code: str = ""
    household_code: str = ""
    relation: str = ""
    sex: str = ""
    birth_date: dt.date | None = None
    errors: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)


@dataclass(slots=True)
class Unit:
    pk: int
    key: str
    name: str
    error: str


@dataclass(slots=True)
class Existing:
    pk: int
    name: str
    phone: str
    household_id: int | None
    relation: str
    division_id: int
    division_key: str


# (id_number, name, phone, unit_code, household_code, relation) of a row that passed
Valid = tuple[str, str, str, str, str, str]


@dataclass
class Plan:
    """What validation decided to write."""

    new: list[Valid] = field(default_factory=list)
    changed: list[tuple[Valid, Existing]] = field(default_factory=list)
    new_households: dict[str, int] = field(default_factory=dict)  # code → unit pk


class Validator:
    def __init__(self, actor: Any, positions: dict[str, int], header: list[str]) -> None:
        self.actor = actor
        self.pos = positions
        self.header = header
        self.width = len(header)
        self.today = timezone.localdate()
        self.units: dict[str, Unit | None] = {}
        self.households: dict[str, tuple[int, int] | None] = {}  # code → (pk, unit pk)
        self.file_households: dict[str, tuple[int, int]] = {}  # code → (unit pk, first row)
        self.seen_ids: dict[str, int] = {}
        self.plan = Plan()
        self.unchanged = 0

    def column(self, canon: str) -> str:
        return self.header[self.pos[canon]]

    def clean(self, number: int, cells: list[str], lossy: frozenset[int]) -> Row:
        width = self.width
        if len(cells) < width:
            cells = cells + [""] * (width - len(cells))
        row = Row(number=number, cells=cells)
        errors = row.errors
        if len(cells) > width and any(cells[width:]):
            errors.append(("", E_EXTRA_CELLS, {}))
        pos = self.pos
        info = None
        i = pos["id_number"]
        raw = cells[i].replace(" ", "").lstrip("'")
        if i in lossy:
            errors.append(("id_number", E_NUMBER_LOST, {}))
        elif not raw:
            errors.append(("id_number", E_REQUIRED, {}))
        else:
            try:
                info = parse_id_number(raw, today=self.today)
                row.id_number = info.number
            except IdNumberError as exc:
                errors.append(("id_number", _id_reason(exc), {}))
        name = cells[pos["name"]]
        if not name:
            errors.append(("name", E_NAME_EMPTY, {}))
        elif len(name) > 60:
            errors.append(("name", E_NAME_LONG, {}))
        row.name = name
        i = pos["unit_code"]
        code = cells[i].replace(" ", "").lstrip("'")
        if i in lossy:
            errors.append(("unit_code", E_NUMBER_LOST, {}))
        elif not code:
            errors.append(("unit_code", E_REQUIRED, {}))
        row.unit_code = code
        if "phone" in pos:
            self._clean_phone(row, cells[pos["phone"]], pos["phone"] in lossy)
        if "household_code" in pos:
            i = pos["household_code"]
            household = cells[i].lstrip("'")
            if i in lossy:
                errors.append(("household_code", E_NUMBER_LOST, {}))
            elif len(household) > 40:
                errors.append(("household_code", E_HOUSEHOLD_LONG, {}))
            else:
                row.household_code = household
        if "relation" in pos and (relation := cells[pos["relation"]]):
            value = RELATION_MAP.get(relation.lower())
            if value is None:
                errors.append(("relation", E_RELATION, {}))
            else:
                row.relation = value
        if "sex" in pos and (sex := cells[pos["sex"]]):
            value = SEX_MAP.get(sex.lower())
            if value is None:
                errors.append(("sex", E_SEX, {}))
            elif info is not None and info.sex != value:
                errors.append(("sex", E_SEX_MISMATCH, {}))
        if "birth_date" in pos and (birth := cells[pos["birth_date"]]):
            date = _parse_date(birth)
            if date is None:
                errors.append(("birth_date", E_BIRTH, {}))
            elif info is not None and info.birth_date != date:
                errors.append(
                    ("birth_date", E_BIRTH_MISMATCH, {"expected": info.birth_date.isoformat()})
                )
        return row

    @staticmethod
    def _clean_phone(row: Row, raw: str, lossy: bool) -> None:
        phone = raw.replace(" ", "").lstrip("'")
        if phone.startswith("+86"):
            phone = phone[3:]
        if lossy:
            row.errors.append(("phone", E_NUMBER_LOST, {}))
        elif phone and not PHONE_RE.match(phone):
            row.errors.append(("phone", E_PHONE, {}))
        else:
            row.phone = phone

    def check_chunk(self, rows: list[Row]) -> None:
        """Checks that need the database or other rows; decides what each valid row does."""
        self._load_units({r.unit_code for r in rows if r.unit_code} - self.units.keys())
        self._load_households(
            {r.household_code for r in rows if r.household_code} - self.households.keys()
        )
        for row in rows:
            self._check_place(row)
            self._check_duplicate(row)
        existing = self._load_residents([r.id_number for r in rows if not r.errors])
        for row in rows:
            if row.errors:
                continue
            old = existing.get(row.id_number)
            if old is not None and not in_scope(self.actor, old.division_key):
                row.errors.append(("id_number", E_RESIDENT_SCOPE, {}))
            else:
                self._plan_row(row, old)

    def _load_units(self, codes: set[str]) -> None:
        for code in codes:
            self.units[code] = None
        found = lookup(Division, "code", codes, ("code", "pk", "key", "name", "level"))
        for code, pk, key, name, level in found:
            if level < Level.COMMUNITY:
                error = E_UNIT_LEVEL
            elif not in_scope(self.actor, key):
                error = E_UNIT_SCOPE
            else:
                error = ""
            self.units[code] = Unit(pk=pk, key=key, name=name, error=error)

    def _load_households(self, codes: set[str]) -> None:
        for code in codes:
            self.households[code] = None
        for code, pk, division_id in lookup(Household, "code", codes, ("code", "pk", "division")):
            self.households[code] = (pk, division_id)

    def _load_residents(self, numbers: list[str]) -> dict[str, Existing]:
        fields = ("id_number", "pk", "name", "phone", "household", "relation", "division")
        found = lookup(Resident, "id_number", numbers, (*fields, "division_key"))
        return {number: Existing(*rest) for number, *rest in found}

    def _check_place(self, row: Row) -> None:
        if not row.unit_code:
            return
        unit = self.units[row.unit_code]
        if unit is None or unit.error:
            row.errors.append(("unit_code", unit.error if unit else E_UNIT_UNKNOWN, {}))
            return
        code = row.household_code
        if not code:
            return
        known = self.households[code]
        if known is not None and known[1] != unit.pk:
            row.errors.append(("household_code", E_HOUSEHOLD_ELSEWHERE, {}))
            return
        first = self.file_households.setdefault(code, (unit.pk, row.number))
        if first[0] != unit.pk:
            row.errors.append(("household_code", E_HOUSEHOLD_TWO_UNITS, {"row": first[1]}))

    def _check_duplicate(self, row: Row) -> None:
        if not row.id_number:
            return
        first = self.seen_ids.setdefault(row.id_number, row.number)
        if first != row.number:
            row.errors.append(("id_number", E_DUPLICATE_ID, {"row": first}))

    def _plan_row(self, row: Row, old: Existing | None) -> None:
        unit = self.units[row.unit_code]
        assert unit is not None
        if row.household_code and self.households[row.household_code] is None:
            self.plan.new_households.setdefault(row.household_code, unit.pk)
        valid = (
            row.id_number,
            row.name,
            row.phone,
            row.unit_code,
            row.household_code,
            row.relation,
        )
        if old is None:
            self.plan.new.append(valid)
        elif self._differs(valid, old, unit):
            self.plan.changed.append((valid, old))
        else:
            self.unchanged += 1

    def _differs(self, row: Valid, old: Existing, unit: Unit) -> bool:
        _number, name, phone, _unit, household, relation = row
        if household:
            known = self.households[household]
            if known is None or known[0] != old.household_id:
                return True
        return (
            name != old.name
            or unit.pk != old.division_id
            or (bool(phone) and phone != old.phone)
            or (bool(relation) and relation != old.relation)
        )


def lookup(model: Any, key: str, values: Any, fields: tuple[str, ...]) -> Iterator[tuple[Any, ...]]:
    """Rows of `model` whose `key` is in `values`, fetched in index-friendly batches."""
    values = list(values)
    for start in range(0, len(values), LOOKUP_BATCH):
        batch = values[start : start + LOOKUP_BATCH]
        yield from model.objects.filter(**{f"{key}__in": batch}).values_list(*fields)
