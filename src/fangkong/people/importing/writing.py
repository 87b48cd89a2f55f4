"""Writing a validated resident import: new households, new residents, changed residents
(each change an audit event) and one "residents.imported" event.

Writing is columnar (`copy_rows`, one UPDATE per chunk) inside one transaction, so a file is
either written whole (or its valid rows, when asked) or not at all.
"""

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from fangkong.audit.services import EventRow, actor_columns, event_record, events_record_bulk
from fangkong.core.access import scope_key
from fangkong.core.bulk import analyze, copy_rows
from fangkong.people.idnumber import mask_phone
from fangkong.people.importing.spec import CHUNK, ResidentImportResult
from fangkong.people.importing.validation import Existing, Valid, Validator, lookup
from fangkong.people.models import Household, Resident
from fangkong.people.names import pinyin_of
from fangkong.places.models import Division

ANALYZE_AFTER_ROWS = 10_000  # refresh planner statistics after a large import
ADDRESS_KEY_LENGTHS = (6, 9, 12, 16, 19, 21)  # district … unit, grids are not in an address


def _chunks[T](items: list[T]) -> Iterator[list[T]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _addresses(unit_pks: set[int]) -> dict[int, str]:
    units = dict(lookup(Division, "pk", unit_pks, ("pk", "key")))
    prefixes = {k[:n] for k in units.values() for n in ADDRESS_KEY_LENGTHS if n <= len(k)}
    names = dict(lookup(Division, "key", prefixes, ("key", "name")))
    return {
        pk: "".join(names.get(key[:n], "") for n in ADDRESS_KEY_LENGTHS if n <= len(key))[:300]
        for pk, key in units.items()
    }


def _write_households(new: dict[str, int], validator: Validator) -> dict[str, int]:
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
        ids.update(lookup(Household, "code", chunk, ("code", "pk")))
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


def _write_new(rows: list[Valid], validator: Validator, households: dict[str, int]) -> None:
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
    changed: list[tuple[Valid, Existing]],
    validator: Validator,
    households: dict[str, int],
    audit: "_Audit",
) -> None:
    now = timezone.now()
    for chunk in _chunks(changed):
        updates: list[tuple[Any, ...]] = []
        events: list[EventRow] = []
        old_households = {old.household_id for _, old in chunk if old.household_id}
        household_codes = dict(lookup(Household, "pk", old_households, ("pk", "code")))
        old_places = {old.division_id for _, old in chunk}
        place_names = dict(lookup(Division, "pk", old_places, ("pk", "name")))
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


def write(validator: Validator, result: ResidentImportResult, actor: Any) -> None:
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
