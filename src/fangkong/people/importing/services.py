"""Resident import from CSV or XLSX.

Validation streams the file in chunks: each row is cleaned on its own, then places,
households and residents are looked up per chunk with `__in` (never one query per row).
Writing is columnar (`copy_rows`, executemany UPDATE) inside one transaction, so a file
is either written whole (or its valid rows, when asked) or not at all.

Errors are stored as English msgids with parameters and translated when shown, so the
page and the rejected-rows file speak the reader's language.
"""

import datetime as dt
import io
import json
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import openpyxl
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from fangkong.audit.services import EventRow, actor_columns, event_record, events_record_bulk
from fangkong.core.access import Cap, in_scope, require, scope_key
from fangkong.core.bulk import analyze, copy_rows
from fangkong.core.db import LOOKUP_BATCH
from fangkong.core.tabular import (
    E_EMPTY,
    E_EXTRA_CELLS,
    E_NOT_TABULAR,
    E_NUMBER_LOST,
    E_REQUIRED,
    Columns,
    CsvOut,
    FileProblem,
    ImportResult,
    RowError,
    file_error,
    read_rows,
    scan,
    xlsx_append,
)
from fangkong.people.idnumber import IdNumberError, mask_phone, parse_id_number
from fangkong.people.models import Household, Relation, Resident
from fangkong.people.names import pinyin_of
from fangkong.people.services import PHONE_RE
from fangkong.places.models import Division, Level

CHUNK = 5000
ANALYZE_AFTER_ROWS = 10_000  # refresh planner statistics after a large import
REJECTED_MAX_AGE = dt.timedelta(days=1)
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

COLUMNS = Columns(
    names=(
        "id_number",
        "name",
        "phone",
        "unit_code",
        "household_code",
        "relation",
        "sex",
        "birth_date",
    ),
    chinese={
        "id_number": "身份证号",
        "name": "姓名",
        "phone": "手机号",
        "unit_code": "单元编码",
        "household_code": "户编号",
        "relation": "与户主关系",
        "sex": "性别",
        "birth_date": "出生日期",
    },
    aliases={
        "id_number": ("身份证号", "身份证号码", "公民身份号码", "idnumber", "id"),
        "name": ("姓名", "name"),
        "phone": ("手机号", "手机号码", "手机", "联系电话", "phone", "mobile"),
        "unit_code": ("单元编码", "住址编码", "unitcode", "unit", "placecode"),
        "household_code": ("户编号", "户号", "householdcode", "household"),
        "relation": ("与户主关系", "relation", "relationtohead", "relationship"),
        "sex": ("性别", "sex", "gender"),
        "birth_date": ("出生日期", "birthdate", "dateofbirth", "birthday"),
    },
    required=("id_number", "name", "unit_code"),
)

RELATION_MAP: dict[str, str] = {v: v for v in Relation.values}
RELATION_MAP.update(
    {
        "户主": "head",
        "本人": "head",
        "配偶": "spouse",
        "妻": "spouse",
        "夫": "spouse",
        "妻子": "spouse",
        "丈夫": "spouse",
        "子女": "child",
        "子": "child",
        "女": "child",
        "儿子": "child",
        "女儿": "child",
        "父母": "parent",
        "父亲": "parent",
        "母亲": "parent",
        "孙子女": "grandchild",
        "孙子": "grandchild",
        "孙女": "grandchild",
        "外孙子女": "grandchild",
        "祖父母": "grandparent",
        "祖父": "grandparent",
        "祖母": "grandparent",
        "外祖父母": "grandparent",
        "兄弟姐妹": "sibling",
        "兄弟": "sibling",
        "姐妹": "sibling",
        "其他": "other",
        "其它": "other",
        "head of household": "head",
    }
)
SEX_MAP = {"男": "M", "女": "F", "m": "M", "f": "F", "male": "M", "female": "F"}
DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[T ].*)?$")
COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
ADDRESS_KEY_LENGTHS = (6, 9, 12, 16, 19, 21)  # district … unit, grids are not in an address

# Reasons (English msgids, translated when shown).
E_NAME_EMPTY = gettext_noop("Name is required")
E_NAME_LONG = gettext_noop("Name is longer than 60 characters")
E_PHONE = gettext_noop("Phone must be an 11-digit mobile or an area-code number")
E_UNIT_UNKNOWN = gettext_noop("No place has this code")
E_UNIT_LEVEL = gettext_noop("A resident lives in a community or a finer place")
E_UNIT_SCOPE = gettext_noop("This place is outside your jurisdiction")
E_HOUSEHOLD_LONG = gettext_noop("Household code is longer than 40 characters")
E_HOUSEHOLD_ELSEWHERE = gettext_noop("This household is registered at another place")
E_HOUSEHOLD_TWO_UNITS = gettext_noop("Row %(row)s puts this household at another place")
E_RELATION = gettext_noop("Unknown relation")
E_SEX = gettext_noop("Sex must be 男 or 女 (M or F)")
E_SEX_MISMATCH = gettext_noop("Sex does not match the ID number")
E_BIRTH = gettext_noop("Birth date must be a date such as 1980-05-17")
E_BIRTH_MISMATCH = gettext_noop("Birth date does not match the ID number (%(expected)s)")
E_DUPLICATE_ID = gettext_noop("This ID number already appears in row %(row)s")
E_RESIDENT_SCOPE = gettext_noop(
    "A resident with this ID number is registered outside your jurisdiction"
)
E_CONCURRENT = gettext_noop(
    "The registry changed while the file was imported; nothing was written. Import it again."
)


@dataclass
class ResidentImportResult(ImportResult):
    valid_only: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    households_created: int = 0
    token: str | None = None  # rejected rows can be downloaded under this token


# Validation ---------------------------------------------------------------------------


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
class _Row:
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
class _Unit:
    pk: int
    key: str
    name: str
    error: str


@dataclass(slots=True)
class _Existing:
    pk: int
    name: str
    phone: str
    household_id: int | None
    relation: str
    division_id: int
    division_key: str


# (id_number, name, phone, unit_code, household_code, relation) of a row that passed
_Valid = tuple[str, str, str, str, str, str]


@dataclass
class _Plan:
    """What validation decided to write."""

    new: list[_Valid] = field(default_factory=list)
    changed: list[tuple[_Valid, _Existing]] = field(default_factory=list)
    new_households: dict[str, int] = field(default_factory=dict)  # code → unit pk


class _Validator:
    def __init__(self, actor: Any, positions: dict[str, int], header: list[str]) -> None:
        self.actor = actor
        self.pos = positions
        self.header = header
        self.width = len(header)
        self.today = timezone.localdate()
        self.units: dict[str, _Unit | None] = {}
        self.households: dict[str, tuple[int, int] | None] = {}  # code → (pk, unit pk)
        self.file_households: dict[str, tuple[int, int]] = {}  # code → (unit pk, first row)
        self.seen_ids: dict[str, int] = {}
        self.plan = _Plan()
        self.unchanged = 0

    def _column(self, canon: str) -> str:
        return self.header[self.pos[canon]]

    def clean(self, number: int, cells: list[str], lossy: frozenset[int]) -> _Row:
        width = self.width
        if len(cells) < width:
            cells = cells + [""] * (width - len(cells))
        row = _Row(number=number, cells=cells)
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
    def _clean_phone(row: _Row, raw: str, lossy: bool) -> None:
        phone = raw.replace(" ", "").lstrip("'")
        if phone.startswith("+86"):
            phone = phone[3:]
        if lossy:
            row.errors.append(("phone", E_NUMBER_LOST, {}))
        elif phone and not PHONE_RE.match(phone):
            row.errors.append(("phone", E_PHONE, {}))
        else:
            row.phone = phone

    def check_chunk(self, rows: list[_Row]) -> None:
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
        found = _lookup(Division, "code", codes, ("code", "pk", "key", "name", "level"))
        for code, pk, key, name, level in found:
            if level < Level.COMMUNITY:
                error = E_UNIT_LEVEL
            elif not in_scope(self.actor, key):
                error = E_UNIT_SCOPE
            else:
                error = ""
            self.units[code] = _Unit(pk=pk, key=key, name=name, error=error)

    def _load_households(self, codes: set[str]) -> None:
        for code in codes:
            self.households[code] = None
        for code, pk, division_id in _lookup(Household, "code", codes, ("code", "pk", "division")):
            self.households[code] = (pk, division_id)

    def _load_residents(self, numbers: list[str]) -> dict[str, _Existing]:
        fields = ("id_number", "pk", "name", "phone", "household", "relation", "division")
        found = _lookup(Resident, "id_number", numbers, (*fields, "division_key"))
        return {number: _Existing(*rest) for number, *rest in found}

    def _check_place(self, row: _Row) -> None:
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

    def _check_duplicate(self, row: _Row) -> None:
        if not row.id_number:
            return
        first = self.seen_ids.setdefault(row.id_number, row.number)
        if first != row.number:
            row.errors.append(("id_number", E_DUPLICATE_ID, {"row": first}))

    def _plan_row(self, row: _Row, old: _Existing | None) -> None:
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

    def _differs(self, row: _Valid, old: _Existing, unit: _Unit) -> bool:
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


def _lookup(
    model: Any, key: str, values: Any, fields: tuple[str, ...]
) -> Iterator[tuple[Any, ...]]:
    """Rows of `model` whose `key` is in `values`, fetched in index-friendly batches."""
    values = list(values)
    for start in range(0, len(values), LOOKUP_BATCH):
        batch = values[start : start + LOOKUP_BATCH]
        yield from model.objects.filter(**{f"{key}__in": batch}).values_list(*fields)


# Writing ------------------------------------------------------------------------------


def _chunks[T](items: list[T]) -> Iterator[list[T]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _addresses(unit_pks: set[int]) -> dict[int, str]:
    units = dict(_lookup(Division, "pk", unit_pks, ("pk", "key")))
    prefixes = {k[:n] for k in units.values() for n in ADDRESS_KEY_LENGTHS if n <= len(k)}
    names = dict(_lookup(Division, "key", prefixes, ("key", "name")))
    return {
        pk: "".join(names.get(key[:n], "") for n in ADDRESS_KEY_LENGTHS if n <= len(key))[:300]
        for pk, key in units.items()
    }


def _write_households(new: dict[str, int], validator: _Validator) -> dict[str, int]:
    """Create the new households; return code → pk for every household the rows name."""
    ids = {code: hit[0] for code, hit in validator.households.items() if hit is not None}
    if not new:
        return ids
    addresses = _addresses(set(new.values()))
    keys = {u.pk: u.key for u in validator.units.values() if u is not None}
    codes = list(new)
    for chunk in _chunks(codes):
        copy_rows(
            Household,
            ["code", "division", "division_key", "address"],
            ((c, new[c], keys[new[c]], addresses.get(new[c], "")) for c in chunk),
        )
        ids.update(_lookup(Household, "code", chunk, ("code", "pk")))
    return ids


RESIDENT_FIELDS = [
    "id_number",
    "name",
    "name_initials",
    "name_pinyin",
    "sex",
    "birth_date",
    "phone",
    "household",
    "relation",
    "division",
    "division_key",
    "created_at",
    "updated_at",
]


def _write_new(rows: list[_Valid], validator: _Validator, households: dict[str, int]) -> None:
    now = timezone.now()
    units = validator.units
    for chunk in _chunks(rows):
        values = []
        for number, name, phone, unit_code, household_code, relation in chunk:
            unit = units[unit_code]
            assert unit is not None
            initials, full = pinyin_of(name)
            sex = "M" if int(number[16]) % 2 else "F"
            birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
            household = households[household_code] if household_code else None
            person = (number, name, initials, full, sex, birth, phone, household, relation)
            values.append((*person, unit.pk, unit.key, now, now))
        copy_rows(Resident, RESIDENT_FIELDS, values)


# Pinyin is NULL when the name did not change: the stored keys stay.
UPDATE_COLUMNS = (
    "name = {0}.name, name_initials = COALESCE({0}.name_initials, r.name_initials),"
    " name_pinyin = COALESCE({0}.name_pinyin, r.name_pinyin), phone = {0}.phone,"
    " household_id = {0}.household_id, relation = {0}.relation, division_id = {0}.division_id,"
    " division_key = {0}.division_key, updated_at = {0}.updated_at"
)
UPDATE_SQL = (
    "UPDATE people_resident AS r SET "
    + UPDATE_COLUMNS.format("v")
    + " FROM (SELECT %s AS name, %s AS name_initials, %s AS name_pinyin, %s AS phone,"
    " %s AS household_id, %s AS relation, %s AS division_id, %s AS division_key,"
    " %s AS updated_at, %s AS id) AS v WHERE r.id = v.id"
)
PG_UPDATE_TABLE = (
    "CREATE TEMP TABLE IF NOT EXISTS import_resident_update (name varchar(60),"
    " name_initials varchar(20), name_pinyin varchar(80), phone varchar(20),"
    " household_id bigint, relation varchar(20), division_id bigint, division_key varchar(24),"
    " updated_at timestamptz, id bigint) ON COMMIT DROP"
)
PG_UPDATE_SQL = (
    "UPDATE people_resident AS r SET "
    + UPDATE_COLUMNS.format("u")
    + " FROM import_resident_update AS u WHERE r.id = u.id"
)


def _update_residents(updates: list[tuple[Any, ...]]) -> None:
    """One UPDATE per chunk on PostgreSQL (COPY into a temp table), executemany on SQLite."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.executemany(UPDATE_SQL, updates)
            return
        cursor.execute(PG_UPDATE_TABLE)
        with cursor.cursor.copy("COPY import_resident_update FROM STDIN") as copy:
            for row in updates:
                copy.write_row(row)
        cursor.execute(PG_UPDATE_SQL)
        cursor.execute("TRUNCATE import_resident_update")


def _write_changed(
    changed: list[tuple[_Valid, _Existing]],
    validator: _Validator,
    households: dict[str, int],
    audit: "_Audit",
) -> None:
    now = timezone.now()
    for chunk in _chunks(changed):
        updates: list[tuple[Any, ...]] = []
        events: list[EventRow] = []
        old_households = {old.household_id for _, old in chunk if old.household_id}
        household_codes = dict(_lookup(Household, "pk", old_households, ("pk", "code")))
        old_places = {old.division_id for _, old in chunk}
        place_names = dict(_lookup(Division, "pk", old_places, ("pk", "name")))
        for (_number, name, phone, unit_code, household_code, relation), old in chunk:
            unit = validator.units[unit_code]
            assert unit is not None
            moved = unit.pk != old.division_id
            phone = phone or old.phone
            relation = relation or old.relation
            old_code = household_codes.get(old.household_id, "")
            old_place = place_names.get(old.division_id, "")
            household: int | None = old.household_id
            if household_code:
                household = households[household_code]
            elif moved:
                household_code, household = "", None  # the old household lives elsewhere
            else:
                household_code = old_code
            initials, full = pinyin_of(name) if name != old.name else (None, None)
            updates.append(
                (name, initials, full, phone, household, relation, unit.pk, unit.key, now, old.pk)
            )
            changes = (
                ("name", old.name, name),
                ("phone", mask_phone(old.phone), mask_phone(phone)),
                ("relation", old.relation, relation),
                ("division", old_place, unit.name if moved else old_place),
                ("household", old_code, household_code),
            )
            events.extend(
                audit.row(old.pk, name, unit.key, f, a, b) for f, a, b in changes if a != b
            )
        _update_residents(updates)
        events_record_bulk(events)


class _Audit:
    def __init__(self, actor: Any, filename: str, sha256: str) -> None:
        self.at = timezone.now()
        self.actor_id, self.actor_name = actor_columns(actor)
        self.reason = filename[:300]
        self.data = json.dumps({"import_sha256": sha256})

    def row(self, pk: int, label: str, key: str, name: str, old: Any, new: Any) -> EventRow:
        return EventRow(
            at=self.at,
            actor=self.actor_id,
            actor_name=self.actor_name,
            action="resident.updated",
            object_type="people.resident",
            object_id=str(pk),
            object_label=label[:200],
            person_id=pk,
            division_key=key,
            field=name,
            from_value=str(old or "")[:300],
            to_value=str(new or "")[:300],
            reason=self.reason,
            data=self.data,
        )


def _write(validator: _Validator, result: ResidentImportResult, actor: Any) -> None:
    plan = validator.plan
    with transaction.atomic():
        households = _write_households(plan.new_households, validator)
        _write_new(plan.new, validator, households)
        audit = _Audit(actor, result.filename, result.sha256)
        _write_changed(plan.changed, validator, households, audit)
        result.created = len(plan.new)
        result.updated = len(plan.changed)
        result.households_created = len(plan.new_households)
        event_record(
            actor=actor,
            action="residents.imported",
            object_type="people.import",
            object_id=result.sha256[:16],
            division_key=scope_key(actor),
            reason=result.filename,
            data=result.event_data(
                "valid_only", "created", "updated", "unchanged", "rejected", "households_created"
            ),
        )
    if result.created + result.updated >= ANALYZE_AFTER_ROWS:
        analyze(Household, Resident)


# Rejected rows ------------------------------------------------------------------------


def imports_dir() -> Path:
    return Path(settings.VAR_DIR) / "imports"


def _sweep_old() -> None:
    root = imports_dir()
    if not root.is_dir():
        return
    cutoff = time.time() - REJECTED_MAX_AGE.total_seconds()
    for folder in root.iterdir():
        if folder.is_dir() and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)


class _RejectedFile:
    """Rejected rows with their errors as JSON lines; rendered to CSV/XLSX when downloaded."""

    def __init__(self, actor: Any, filename: str, header: list[str]) -> None:
        self.token = secrets.token_urlsafe(18)
        self.folder = imports_dir() / self.token
        self.folder.mkdir(parents=True)
        meta = {"user_id": getattr(actor, "pk", None), "filename": filename, "header": header}
        (self.folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False))
        self.out = (self.folder / "rows.jsonl").open("w", encoding="utf-8")

    def add(self, cells: list[str], errors: list[RowError]) -> None:
        line = {"cells": cells, "errors": [[e.column, e.message, e.params] for e in errors]}
        self.out.write(json.dumps(line, ensure_ascii=False) + "\n")

    def close(self) -> None:
        self.out.close()


def _discard_rejected(result: ResidentImportResult) -> None:
    """Nothing was written: a rejected-rows file would only mislead."""
    if result.token:
        shutil.rmtree(imports_dir() / result.token, ignore_errors=True)
        result.token = None


def rejected_owner(token: str) -> int | None:
    """The user who may download these rejected rows, or None if there are none."""
    if not TOKEN_RE.match(token):
        return None
    meta = imports_dir() / token / "meta.json"
    if not meta.is_file():
        return None
    owner = json.loads(meta.read_text()).get("user_id")
    return int(owner) if owner is not None else None


def rejected_filename(token: str, fmt: str) -> str:
    meta = json.loads((imports_dir() / token / "meta.json").read_text())
    stem = Path(meta["filename"]).stem or "import"
    return f"{stem}-rejected.{fmt}"


def _rejected_lines(token: str) -> Iterator[list[str]]:
    folder = imports_dir() / token
    header = json.loads((folder / "meta.json").read_text())["header"]
    yield [*header, gettext("Errors")]
    with (folder / "rows.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            item = json.loads(line)
            reasons = [
                RowError(0, column, "", message, params)
                for column, message, params in item["errors"]
            ]
            text = "; ".join(f"{e.column}: {e.reason}" if e.column else e.reason for e in reasons)
            cells = item["cells"][: len(header)]
            yield [*cells, *[""] * (len(header) - len(cells)), text]


def write_rejected(token: str, fmt: str, out: IO[bytes]) -> None:
    """Write the rejected rows (same columns plus an error column) in the reader's language."""
    if fmt == "xlsx":
        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet()
        for cells in _rejected_lines(token):
            xlsx_append(sheet, cells)
        book.save(out)
        return
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    writer = CsvOut(text)
    for cells in _rejected_lines(token):
        writer.writerow(cells)
    text.detach()


SAMPLE_ROWS = (
    ("411002198005170014", "张伟", "13900000001", "411002001001010100101", "HH-001", "户主"),
    ("411002198208230021", "李秀英", "13900000002", "411002001001010100101", "HH-001", "配偶"),
    ("411002201003150030", "张小明", "", "411002001001010100101", "HH-001", "子女"),
)


def sample_csv() -> str:
    """A small example file with Chinese headers (also in docs/samples/)."""
    return COLUMNS.sample_csv(SAMPLE_ROWS, COLUMNS.names[:6])


# Entry point --------------------------------------------------------------------------


def import_residents(
    *, actor: Any, path: str | Path, filename: str = "", valid_only: bool = False
) -> ResidentImportResult:
    """Validate a CSV/XLSX file of residents and write it: whole, or only its valid rows.

    Nothing is written when any row is bad, unless `valid_only`; then the bad rows can be
    downloaded (with an error column) under `result.token`. Importing the same file again
    changes nothing.
    """
    require(actor, Cap.RESIDENTS_IMPORT)
    started = time.perf_counter()
    path = Path(path)
    result = ResidentImportResult(filename=filename or path.name, valid_only=valid_only)
    _sweep_old()
    try:
        validator = _validate(actor, path, result)
    except FileProblem as problem:
        result.fatal = True
        result.add_error(problem.error)
        validator = None
    if validator is not None and (result.ok or valid_only):
        try:
            _write(validator, result, actor)
            result.written = True
        except IntegrityError:
            result.fatal = True
            result.add_error(RowError(0, "", "", E_CONCURRENT))
    if not result.written:
        _discard_rejected(result)
    result.seconds = time.perf_counter() - started
    return result


def _validate(actor: Any, path: Path, result: ResidentImportResult) -> _Validator | None:
    result.sha256, kind = scan(path)
    if kind not in {"xlsx", "xls"} and path.suffix.lower() not in {".csv", ".txt", ""}:
        raise file_error(E_NOT_TABULAR)
    rows = read_rows(path, kind)
    header: list[str] | None = None
    for _number, cells, _lossy in rows:
        if any(cells):
            header = cells
            break
    if header is None:
        raise file_error(E_EMPTY)
    positions, header = COLUMNS.positions(header)
    validator = _Validator(actor, positions, header)
    rejected: _RejectedFile | None = None
    chunk: list[_Row] = []
    try:
        for number, cells, lossy in rows:
            if not any(cells):
                continue
            chunk.append(validator.clean(number, cells, lossy))
            if len(chunk) >= CHUNK:
                rejected = _finish_chunk(validator, chunk, result, rejected, actor)
                chunk = []
        if chunk:
            rejected = _finish_chunk(validator, chunk, result, rejected, actor)
    finally:
        if rejected is not None:
            rejected.close()
    result.unchanged = validator.unchanged
    return validator


def _finish_chunk(
    validator: _Validator,
    chunk: list[_Row],
    result: ResidentImportResult,
    rejected: _RejectedFile | None,
    actor: Any,
) -> _RejectedFile | None:
    validator.check_chunk(chunk)
    result.rows_read += len(chunk)
    for row in chunk:
        if not row.errors:
            continue
        result.rejected += 1
        row.errors.sort(key=lambda e: validator.pos.get(e[0], -1))
        errors = [
            RowError(
                row=row.number,
                column=validator._column(canon) if canon else "",
                value=row.cells[validator.pos[canon]] if canon else "",
                message=message,
                params=params,
            )
            for canon, message, params in row.errors
        ]
        for error in errors:
            result.add_error(error)
        if not result.valid_only:
            continue  # all or nothing: the errors are listed, no file of rejected rows
        if rejected is None:
            rejected = _RejectedFile(actor, result.filename, validator.header)
            result.token = rejected.token
        rejected.add(row.cells, errors)
    return rejected
