"""People of a situation import: the cases and contacts it names, by ID number.

Natural key: the ID number. A person already registered in the actor's jurisdiction is matched
and left as registered; one registered elsewhere is refused. A new person is placed at the
smallest place their address names below the place code (`places.addressing`), in the
household the file names; when it names none: one person at an address is a household of one,
children (younger than the policy's `quarantine.child_with_guardian_under_age`, by the birth
date in the ID number) are placed with the one adult of the same address, and anyone else
(children without an adult, several adults at one address) is flagged for a person to decide
and written without a household. The preview says each of these.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from fangkong.audit.services import EventRow, actor_columns, events_record_bulk
from fangkong.command.situation.base import (
    E_DUPLICATE_KEY,
    E_LONG,
    Context,
    Kind,
    Line,
    PersonRef,
)
from fangkong.core.access import in_scope
from fangkong.core.bulk import analyze, copy_rows
from fangkong.core.db import LOOKUP_BATCH
from fangkong.core.tabular import E_REQUIRED, Columns
from fangkong.people.idnumber import IdInfo, IdNumberError, parse_id_number
from fangkong.people.importing.spec import RELATION_MAP
from fangkong.people.importing.validation import lookup
from fangkong.people.models import Household, Relation, Resident
from fangkong.people.names import pinyin_of
from fangkong.people.services import clean_name, clean_phone
from fangkong.places.addressing import normalise, places_of_addresses
from fangkong.places.models import Division, Level

E_PLACE_UNKNOWN = gettext_noop("No place has this code")
E_PLACE_LEVEL = gettext_noop("A resident lives in a community or a finer place")
E_PLACE_SCOPE = gettext_noop("This place is outside your jurisdiction")
E_PERSON_SCOPE = gettext_noop(
    "A resident with this ID number is registered outside your jurisdiction"
)
E_HOUSEHOLD_ELSEWHERE = gettext_noop("This household is registered at another place")
E_HOUSEHOLD_TWO_PLACES = gettext_noop("Row %(row)s puts this household at another place")

D_KNOWN = gettext_noop("Already registered: matched by ID number and kept as registered")
D_ALONE = gettext_noop("No household given, alone at the address: a household of one")
D_HEAD = gettext_noop(
    "No household given, the one adult at the address: heads a household with its children"
)
D_WITH_ADULT = gettext_noop(
    "No household given, younger than %(age)s: placed with the one adult of the same address"
)
D_ADDRESS = gettext_noop("No address given: placed at the place code itself")
F_CHILD_ALONE = gettext_noop(
    "Younger than %(age)s with no household given and no adult at the same address: "
    "decide their household"
)
F_ADULTS = gettext_noop(
    "No household given and %(n)s adults at the same address: decide who lives together"
)

ANALYZE_AFTER_ROWS = 5_000
GENERATED_PREFIX = "SIT-"  # households the import makes: SIT-<the head's ID number>


@dataclass
class PersonRow:
    info: IdInfo
    name: str
    phone: str
    place: Division | None = None  # the smallest place the address names
    address: str = ""
    household: str = ""  # code: given, or made by the import
    relation: str = ""
    known: bool = False

    @property
    def here(self) -> Division:
        """The place, once checked."""
        assert self.place is not None
        return self.place


def _child(born: dt.date, today: dt.date, age: int) -> bool:
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return years < age


class People(Kind):
    name = "people"
    title = gettext_lazy("People")
    columns = Columns(
        names=(
            "id_number",
            "name",
            "phone",
            "place_code",
            "address",
            "household_code",
            "relation",
        ),
        chinese={
            "id_number": "身份证号",
            "name": "姓名",
            "phone": "手机号",
            "place_code": "所在地编码",
            "address": "住址",
            "household_code": "户编号",
            "relation": "与户主关系",
        },
        aliases={
            "id_number": ("身份证号", "身份证号码", "公民身份号码", "idnumber", "id"),
            "name": ("姓名", "name"),
            "phone": ("手机号", "手机号码", "联系电话", "phone", "mobile"),
            "place_code": ("所在地编码", "社区编码", "单元编码", "placecode", "place", "unitcode"),
            "address": ("住址", "现住址", "地址", "address"),
            "household_code": ("户编号", "户号", "householdcode", "household"),
            "relation": ("与户主关系", "relation"),
        },
        required=("id_number", "name", "place_code"),
    )
    sample = (
        ("411002198005170014", "张伟", "13900000001", "411002001001", "幸福小区 3号楼 2单元 502"),
        ("411002201503150033", "张小明", "", "411002001001", "幸福小区 3号楼 2单元 502"),
    )

    def notes(self) -> dict[str, str]:
        return {
            "id_number": _("18-character ID number: the person's key in every sheet"),
            "name": _("Full name"),
            "phone": _("11-digit mobile or area-code number"),
            "place_code": _(
                "Code of a community (12 digits) or a finer place, in your jurisdiction"
            ),
            "address": _(
                "Compound, building, unit and room: placed at the smallest place it names"
            ),
            "household_code": _(
                "People with the same code live together; left empty, the preview says where "
                "each person is placed"
            ),
            "relation": _("One of: %(values)s")
            % {"values": "户主 配偶 子女 父母 孙子女 祖父母 兄弟姐妹 其他"},
        }

    def parse(self, line: Line) -> None:
        info = None
        try:
            info = parse_id_number(line.cell("id_number"))
        except IdNumberError as exc:
            line.error("id_number", exc.args[0] if line.cell("id_number") else E_REQUIRED)
        try:
            name = clean_name(line.cell("name"))
        except ValidationError as exc:
            line.error("name", exc.messages[0])
            name = ""
        try:
            phone = clean_phone(line.cell("phone").removeprefix("+86"))
        except ValidationError as exc:
            line.error("phone", exc.messages[0])
            phone = ""
        if not line.cell("place_code"):
            line.error("place_code", E_REQUIRED)
        household = line.cell("household_code")
        if len(household) > 40:
            line.error("household_code", E_LONG, {"max": 40})
        relation = line.choice("relation", RELATION_MAP, Relation.values)
        if info is not None:
            line.value = PersonRow(
                info=info,
                name=name,
                phone=phone,
                address=line.cell("address")[:300],
                household=household,
                relation=relation,
            )

    def check(self, lines: list[Line], ctx: Context) -> None:
        found = ctx.found
        first: dict[str, int] = {}
        for line in lines:
            found.rows[self.name] += 1
            if line.value is None:
                continue
            number = line.value.info.number
            if number in first:
                line.error("id_number", E_DUPLICATE_KEY, {"key": "身份证号", "row": first[number]})
            first.setdefault(number, line.number)
        registered = {
            row[0]: row
            for row in lookup(
                Resident,
                "id_number",
                list(first),
                ("id_number", "pk", "division_key", "birth_date", "name"),
            )
        }
        codes = {line.cell("place_code") for line in lines if line.cell("place_code")}
        places = _places(codes)
        fresh: list[Line] = []
        for line in lines:
            row: PersonRow | None = line.value
            if row is None:
                continue
            old = registered.get(row.info.number)
            if old is not None:
                if not _in_scope(ctx, old[2]):
                    line.error("id_number", E_PERSON_SCOPE)
                    ctx.outside.add(row.info.number)
                    continue
                row.known = True
                ctx.people[row.info.number] = PersonRef(*old)
                found.unchanged[self.name] += 1
                found.default(self.name, "id_number", D_KNOWN)
                continue
            place = places.get(line.cell("place_code"))
            if place is None:
                line.error("place_code", E_PLACE_UNKNOWN)
            elif place.level < Level.COMMUNITY:
                line.error("place_code", E_PLACE_LEVEL)
            elif not _in_scope(ctx, place.key):
                line.error("place_code", E_PLACE_SCOPE)
            else:
                row.place = place
                fresh.append(line)
        self._resolve_addresses(fresh, ctx)
        self._households(fresh, ctx)
        for line in fresh:
            row = line.value
            if line.errors:
                continue
            ctx.people[row.info.number] = PersonRef(
                row.info.number, None, row.here.key, row.info.birth_date, row.name
            )
            if row.household:
                ctx.households[row.info.number] = row.household
            found.new[self.name] += 1
            found.district(self.name, row.here.key)
        ctx.wrong_people.update(
            ln.cell("id_number").replace(" ", "").upper() for ln in lines if ln.errors
        )

    def _resolve_addresses(self, lines: list[Line], ctx: Context) -> None:
        by_place: dict[int, list[Line]] = defaultdict(list)
        for line in lines:
            by_place[line.value.here.pk].append(line)
        for group in by_place.values():
            place = group[0].value.here
            resolved = places_of_addresses(place, {line.value.address for line in group})
            for line in group:
                if not line.value.address:
                    ctx.found.default(self.name, "address", D_ADDRESS)
                line.value.place = resolved[line.value.address]

    def _households(self, lines: list[Line], ctx: Context) -> None:
        given = {line.value.household for line in lines if line.value.household}
        known = {
            code: division_id
            for code, division_id in lookup(Household, "code", list(given), ("code", "division"))
        }
        first: dict[str, tuple[int, int]] = {}
        undecided: dict[tuple[int, str], list[Line]] = defaultdict(list)
        for line in lines:
            row: PersonRow = line.value
            if not row.household:
                undecided[(row.here.pk, normalise(row.address))].append(line)
                continue
            if row.household in known and known[row.household] != row.here.pk:
                line.error("household_code", E_HOUSEHOLD_ELSEWHERE)
                continue
            place, number = first.setdefault(row.household, (row.here.pk, line.number))
            if place != row.here.pk:
                line.error("household_code", E_HOUSEHOLD_TWO_PLACES, {"row": number})
        age = ctx.rules.quarantine.child_with_guardian_under_age
        today = timezone.localdate()
        for (_place, address), group in undecided.items():
            if not address:  # nobody to place them with: each alone, a child flagged
                for line in group:
                    self._alone_or_flag(line, ctx, age, today)
                continue
            adults = [ln for ln in group if not _child(ln.value.info.birth_date, today, age)]
            children = [ln for ln in group if ln not in adults]
            if len(group) == 1:
                self._alone_or_flag(group[0], ctx, age, today)
            elif len(adults) == 1:
                head = adults[0].value
                head.household = GENERATED_PREFIX + head.info.number
                head.relation = head.relation or Relation.HEAD
                ctx.found.default(self.name, "household_code", D_HEAD)
                for line in children:
                    line.value.household = head.household
                    line.value.relation = line.value.relation or Relation.CHILD
                    ctx.found.default(self.name, "household_code", D_WITH_ADULT, age=age)
            else:
                for line in group:
                    message = F_ADULTS if adults else F_CHILD_ALONE
                    params = {"n": len(adults)} if adults else {"age": age}
                    ctx.found.flag(self.name, line.number, line.value.name, _(message) % params)

    def _alone_or_flag(self, line: Line, ctx: Context, age: int, today: dt.date) -> None:
        row: PersonRow = line.value
        if _child(row.info.birth_date, today, age):
            ctx.found.flag(self.name, line.number, row.name, _(F_CHILD_ALONE) % {"age": age})
            return
        row.household = GENERATED_PREFIX + row.info.number
        row.relation = row.relation or Relation.HEAD
        ctx.found.default(self.name, "household_code", D_ALONE)

    def write(self, lines: list[Line], ctx: Context) -> None:
        rows: list[PersonRow] = [ln.value for ln in lines if ln.value and not ln.value.known]
        if not rows:
            return
        households = _write_households(rows)
        now = timezone.now()

        def values() -> Any:
            for r in rows:
                initials, full = pinyin_of(r.name)
                place = r.place
                assert place is not None
                yield (
                    r.info.number,
                    r.name,
                    initials,
                    full,
                    r.info.sex,
                    r.info.birth_date,
                    r.phone,
                    households.get(r.household),
                    r.relation,
                    place.pk,
                    place.key,
                    now,
                    now,
                )

        copy_rows(Resident, RESIDENT_FIELDS, values())
        if len(rows) >= ANALYZE_AFTER_ROWS:
            analyze(Household, Resident)  # the next kinds look these people up by the thousand
        stored = {
            number: pk
            for number, pk in lookup(
                Resident, "id_number", [r.info.number for r in rows], ("id_number", "pk")
            )
        }
        user_id, actor_name = actor_columns(ctx.actor)
        events = []
        for r in rows:
            pk = stored[r.info.number]
            ctx.people[r.info.number] = PersonRef(
                r.info.number, pk, ctx.people[r.info.number].division_key, r.info.birth_date, r.name
            )
            events.append(
                EventRow(
                    at=now,
                    actor=user_id,
                    actor_name=actor_name,
                    action="resident.created",
                    object_type="people.resident",
                    object_id=str(pk),
                    object_label=r.name[:200],
                    person_id=pk,
                    division_key=ctx.people[r.info.number].division_key,
                    reason=ctx.reason,
                )
            )
        ctx.events += events_record_bulk(events)


RESIDENT_FIELDS = (
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
)


def _in_scope(ctx: Context, key: str) -> bool:
    return in_scope(ctx.actor, key)


def _places(codes: set[str]) -> dict[str, Division]:
    """Places by the code the user wrote: the statistical code, or the platform's key."""
    out: dict[str, Division] = {}
    wanted = list(codes)
    for start in range(0, len(wanted), LOOKUP_BATCH):
        batch = wanted[start : start + LOOKUP_BATCH]
        for d in Division.objects.filter(Q(code__in=batch) | Q(key__in=batch)):
            out.setdefault(d.code, d)
            out[d.key] = d
    return out


def _write_households(rows: list[PersonRow]) -> dict[str, int]:
    """code → pk of every household the rows name, creating the new ones at the person's
    place (the first row's) with the address written."""
    codes = {r.household for r in rows if r.household}
    ids = dict(lookup(Household, "code", list(codes), ("code", "pk")))
    new: dict[str, PersonRow] = {}
    for r in rows:
        if r.household and r.household not in ids:
            new.setdefault(r.household, r)
    if new:
        copy_rows(
            Household,
            ("code", "division", "division_key", "address"),
            (
                (code, r.place.pk, r.place.key, r.address)
                for code, r in new.items()
                if r.place is not None
            ),
        )
        ids.update(lookup(Household, "code", list(new), ("code", "pk")))
    return ids


KIND = People()
