"""Zones of a situation import: the risk zones a city drew over units, buildings or compounds,
at the level the policy names, when each was drawn and, once lifted, when.

Natural key: the zone's name and the time it was drawn (the name, when not given, is the
first place's path, as drawing one on the map names it; the preview says so). A zone already
registered is matched and left alone. A new zone is written with its places, its changes
(drawn at `drawn_at`, lifted at `lifted_at`: what the figures as of a moment read) and its
`zone.drawn` / `zone.level_changed` events dated then; the people under its places are
counted once for the batch.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from fangkong.audit.services import EventRow, actor_columns, events_record_bulk
from fangkong.command.situation.base import (
    E_DUPLICATE_KEY,
    E_LONG,
    Context,
    Kind,
    Line,
    before_last,
    later_fact,
)
from fangkong.core import dates
from fangkong.core.access import acting_user, in_scope
from fangkong.core.tabular import E_REQUIRED, Columns
from fangkong.places.models import Division, Level, named_any, names_division
from fangkong.policy.accessor import current
from fangkong.policy.compare import LEVEL_LABELS
from fangkong.zones.models import ChangeKind, Zone, ZoneArea, ZoneChange, ZoneStatus
from fangkong.zones.selectors import people_in, place_paths
from fangkong.zones.services import common_key, node_kind, outermost

E_PLACE = gettext_noop("No place in your jurisdiction has the code %(code)s")
E_DRAWN_BY = gettext_noop("The active policy draws zones by %(allowed)s; %(place)s is not one")
E_LIFTED_BEFORE = gettext_noop("A zone cannot be lifted before it was drawn")

D_NAME = gettext_noop("Not given: the first place's name")
D_REASON = gettext_noop("Not given: imported with the line list")
D_KNOWN = gettext_noop("Already registered: matched by name and drawing time, kept")

SEPARATORS = re.compile(r"[\s,，、;；]+")


@dataclass
class ZoneRow:
    codes: list[str]
    level: str
    name: str
    reason: str
    drawn_at: dt.datetime
    lifted_at: dt.datetime | None
    places: list[Division] = field(default_factory=list)
    known: bool = False
    # a registered zone in force the line lifts: (pk, level, people, division_key)
    ending: tuple[int, str, int, str] | None = None


class Zones(Kind):
    name = "zones"
    title = gettext_lazy("Risk zones")
    columns = Columns(
        names=("place_codes", "level", "name", "drawn_at", "lifted_at", "reason"),
        chinese={
            "place_codes": "区域编码",
            "level": "风险等级",
            "name": "区域名称",
            "drawn_at": "划定时间",
            "lifted_at": "解除时间",
            "reason": "划定依据",
        },
        aliases={
            "place_codes": ("区域编码", "单元编码", "楼栋编码", "小区编码", "placecodes", "places"),
            "level": ("风险等级", "等级", "管控等级", "level"),
            "name": ("区域名称", "名称", "name"),
            "drawn_at": ("划定时间", "开始时间", "drawnat", "drawn", "startedat"),
            "lifted_at": ("解除时间", "liftedat", "lifted"),
            "reason": ("划定依据", "依据", "reason"),
        },
        required=("place_codes", "level", "drawn_at"),
    )
    sample = (
        ("411002001001001", "高风险区", "幸福小区", "2022-05-03 18:00", "", "XC-001 所住小区"),
    )

    def notes(self) -> dict[str, str]:
        return {
            "place_codes": _(
                "Codes of the units, buildings or compounds it covers, separated by 、 or commas"
            ),
            "level": _("A level of the active policy, such as 高风险区"),
            "name": _("The zone's name; empty: the first place's name"),
            "drawn_at": _("When the zone was drawn, such as 2022-05-03 18:00"),
            "lifted_at": _("When the zone was lifted; empty while in force"),
            "reason": _("Why it was drawn (the cases, the decision)"),
        }

    def _levels(self, ctx: Context) -> dict[str, str]:
        levels = ctx.rules.zones.levels[:-1]
        out = {lv.lower(): lv for lv in levels}
        for language in ("zh-hans", "en"):  # the words of either language, as the other kinds
            with translation.override(language):
                for lv in levels:
                    label = str(LEVEL_LABELS.get(lv, lv))
                    out[label.lower()] = lv
                    out[label.removesuffix("区").lower()] = lv
        return out

    def parse(self, line: Line) -> None:
        codes = [c for c in SEPARATORS.split(line.cell("place_codes")) if c]
        if not codes:
            line.error("place_codes", E_REQUIRED)
        if not line.cell("level"):
            line.error("level", E_REQUIRED)
        drawn, lifted = line.moment("drawn_at"), line.moment("lifted_at")
        if not line.cell("drawn_at"):
            line.error("drawn_at", E_REQUIRED)
        name = line.cell("name")
        if len(name) > 200:
            line.error("name", E_LONG, {"max": 200})
        if line.errors or drawn is None:
            return
        line.value = ZoneRow(codes, "", name, line.cell("reason")[:2000], drawn, lifted)

    def check(self, lines: list[Line], ctx: Context) -> None:
        found = ctx.found
        levels = self._levels(ctx)
        rules = ctx.rules.zones
        texts = sorted({c for ln in lines if ln.value for c in ln.value.codes})
        places = list(Division.objects.filter(named_any(texts))) if texts else []
        fresh: list[Line] = []
        for line in lines:
            found.rows[self.name] += 1
            row: ZoneRow | None = line.value
            if row is None:
                continue
            row.level = line.choice("level", levels, list(rules.levels[:-1]))
            for code in row.codes:
                place = next((d for d in places if names_division(code, d)), None)
                if place is None or not in_scope(ctx.actor, place.key):
                    line.error("place_codes", E_PLACE, {"code": code})
                elif node_kind(place) not in rules.drawn_by:
                    allowed = "、".join(str(Level[k.upper()].label) for k in rules.drawn_by)
                    line.error("place_codes", E_DRAWN_BY, {"allowed": allowed, "place": place.name})
                else:
                    row.places.append(place)
            try:
                dates.check_happened("drawn_at", row.drawn_at, tolerance=ctx.tolerance)
                if row.lifted_at is not None:
                    dates.check_happened(
                        "lifted_at",
                        row.lifted_at,
                        tolerance=ctx.tolerance,
                        after=((row.drawn_at, _(E_LIFTED_BEFORE)),),
                    )
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    for message in messages:
                        line.error(name, message)
            if not line.errors:
                row.places = outermost(row.places)
                fresh.append(line)
        paths = place_paths([ln.value.places[0].key for ln in fresh], start=Level.COMMUNITY)
        for line in fresh:
            row = line.value
            if not row.name:
                first = row.places[0]
                row.name = (paths.get(first.key) or first.name)[:200]
                found.default(self.name, "name", D_NAME)
            if not row.reason:
                row.reason = str(_(D_REASON))
                found.default(self.name, "reason", D_REASON)
        registered: dict[tuple[str, dt.datetime], tuple[Any, ...]] = (
            {
                (name, started): tuple(rest)
                for name, started, *rest in Zone.objects.filter(
                    name__in=[ln.value.name for ln in fresh],
                    started_at__in=[ln.value.drawn_at for ln in fresh],
                ).values_list(
                    "name",
                    "started_at",
                    "pk",
                    "status",
                    "ended_at",
                    "level",
                    "people",
                    "division_key",
                )
            }
            if fresh
            else {}
        )
        ending: dict[int, Line] = {}
        first_row: dict[tuple[str, dt.datetime], int] = {}
        for line in fresh:
            row = line.value
            key = (row.name, row.drawn_at)
            if key in first_row:
                line.error("name", E_DUPLICATE_KEY, {"key": "区域名称", "row": first_row[key]})
                continue
            first_row[key] = line.number
            if key in registered:
                row.known = True
                pk, status, ended, level, people, division_key = registered[key]
                if (status == ZoneStatus.ACTIVE or ended is not None) and later_fact(
                    line,
                    "lifted_at",
                    given=row.lifted_at,
                    known=ended,
                    after=((row.drawn_at, _(E_LIFTED_BEFORE)),),
                    tolerance=ctx.tolerance,
                ):
                    row.ending = (pk, level, people, division_key)
                    ending[pk] = line
                elif not line.errors:
                    found.unchanged[self.name] += 1
                    found.default(self.name, "name", D_KNOWN)
                continue
            found.new[self.name] += 1
            status = ZoneStatus.LIFTED if row.lifted_at else ZoneStatus.ACTIVE
            label = str(LEVEL_LABELS.get(row.level, row.level))
            found.status(self.name, f"{label} · {ZoneStatus(status).label}")
            found.district(self.name, common_key([d.key for d in row.places]))
        self._ending(ending, ctx)

    def _ending(self, ending: dict[int, Line], ctx: Context) -> None:
        """The zones in force the lines lift: not before their last recorded change."""
        last = dict(
            ZoneChange.objects.filter(zone_id__in=list(ending))
            .values("zone_id")
            .annotate(last=Max("at"))
            .values_list("zone_id", "last")
        )
        for pk, line in ending.items():
            row: ZoneRow = line.value
            assert row.lifted_at is not None and row.ending is not None
            before_last(line, "lifted_at", row.lifted_at, last.get(pk))
            if line.errors:
                row.ending = None
                continue
            ctx.found.changed[self.name] += 1
            label = str(LEVEL_LABELS.get(row.ending[1], row.ending[1]))
            ctx.found.status(self.name, f"{label} · {ZoneStatus.LIFTED.label}")
            ctx.found.district(self.name, row.ending[3])

    def _lift(self, rows: list[ZoneRow], ctx: Context) -> None:
        """Lift the registered zones the lines say were lifted: to the lowest level then, one
        change and one event each dated then (as `zones.services` lifts one)."""
        if not rows:
            return
        lowest = ctx.rules.zones.levels[-1]
        user = acting_user(ctx.actor)
        user_id, actor_name = actor_columns(ctx.actor)
        basis = current().profile.source
        lifted = [(r, r.ending, r.lifted_at) for r in rows if r.ending and r.lifted_at]
        Zone.objects.bulk_update(
            [
                Zone(
                    pk=end[0],
                    level=lowest,
                    status=ZoneStatus.LIFTED,
                    level_since=at,
                    ended_at=at,
                )
                for _r, end, at in lifted
            ],
            ["level", "status", "level_since", "ended_at"],
        )
        ZoneChange.objects.bulk_create(
            [
                ZoneChange(
                    zone_id=end[0],
                    kind=ChangeKind.LIFTED,
                    from_level=end[1],
                    to_level=lowest,
                    at=at,
                    people=end[2],
                    actor=user,
                    reason=ctx.reason,
                    division_key=end[3],
                )
                for _r, end, at in lifted
            ]
        )
        ctx.events += events_record_bulk(
            EventRow(
                at=at,
                actor=user_id,
                actor_name=actor_name,
                action="zone.level_changed",
                object_type="zones.zone",
                object_id=str(end[0]),
                object_label=r.name[:200],
                division_key=end[3],
                field="level",
                from_value=str(LEVEL_LABELS.get(end[1], end[1])),
                to_value=str(LEVEL_LABELS.get(lowest, lowest)),
                reason=ctx.reason[:300],
                basis=basis,
            )
            for r, end, at in lifted
        )

    def write(self, lines: list[Line], ctx: Context) -> None:
        self._lift([ln.value for ln in lines if ln.value and ln.value.ending], ctx)
        rows: list[ZoneRow] = [ln.value for ln in lines if ln.value and not ln.value.known]
        if not rows:
            return
        now = timezone.now()
        lowest = ctx.rules.zones.levels[-1]
        user = acting_user(ctx.actor)
        profile = current().profile
        zones = Zone.objects.bulk_create(
            [
                Zone(
                    name=r.name,
                    level=lowest if r.lifted_at else r.level,
                    status=ZoneStatus.LIFTED if r.lifted_at else ZoneStatus.ACTIVE,
                    started_at=r.drawn_at,
                    level_since=r.lifted_at or r.drawn_at,
                    ended_at=r.lifted_at,
                    reason=r.reason,
                    profile_code=profile.code,
                    profile_version=profile.version,
                    people=people_in([d.key for d in r.places]),
                    division_key=common_key([d.key for d in r.places]),
                    created_by=user,
                    created_at=now,
                )
                for r in rows
            ],
            batch_size=1000,
        )
        ZoneArea.objects.bulk_create(
            [
                ZoneArea(zone=z, division=d, division_key=d.key, added_at=now)
                for z, r in zip(zones, rows, strict=True)
                for d in r.places
            ],
            batch_size=2000,
        )
        changes: list[ZoneChange] = []
        for z, r in zip(zones, rows, strict=True):
            common = {"zone": z, "people": z.people, "actor": user, "reason": r.reason}
            common["division_key"] = z.division_key
            changes.append(
                ZoneChange(
                    kind=ChangeKind.DRAWN, from_level="", to_level=r.level, at=r.drawn_at, **common
                )
            )
            if r.lifted_at:
                changes.append(
                    ZoneChange(
                        kind=ChangeKind.LIFTED,
                        from_level=r.level,
                        to_level=lowest,
                        at=r.lifted_at,
                        **common,
                    )
                )
        ZoneChange.objects.bulk_create(changes, batch_size=2000)
        ctx.events += events_record_bulk(_events(ctx, zones, rows, lowest, profile.source))


def _events(ctx: Context, zones: list[Zone], rows: list[ZoneRow], lowest: str, basis: str) -> Any:
    user_id, actor_name = actor_columns(ctx.actor)
    for z, r in zip(zones, rows, strict=True):
        common: dict[str, Any] = {
            "actor": user_id,
            "actor_name": actor_name,
            "object_type": "zones.zone",
            "object_id": str(z.pk),
            "object_label": z.name[:200],
            "division_key": z.division_key,
            "reason": r.reason[:300],
            "basis": basis,
        }
        yield EventRow(
            at=r.drawn_at,
            action="zone.drawn",
            field="status",
            to_value=str(ZoneStatus.ACTIVE.label),
            **common,
        )
        if r.lifted_at:
            yield EventRow(
                at=r.lifted_at,
                action="zone.level_changed",
                field="level",
                from_value=str(LEVEL_LABELS.get(r.level, r.level)),
                to_value=str(LEVEL_LABELS.get(lowest, lowest)),
                **common,
            )


KIND = Zones()
