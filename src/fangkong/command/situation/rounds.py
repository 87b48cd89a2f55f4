"""Testing rounds of a situation import: the rounds of mass testing a city ran, over which
area, when each started and, once closed, when.

Natural key: the area and the start time. A round already registered is matched and left
alone. A new round is written with the policy's default pool size and deadline (the preview
says so when the line gives none), its `round.started` and `round.closed` events dated when
they happened.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
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
    before_last,
    last_changes,
    later_fact,
)
from fangkong.core import dates
from fangkong.core.access import acting_user, in_scope
from fangkong.core.tabular import E_REQUIRED, Columns
from fangkong.lab.models import RoundStatus, TestingRound
from fangkong.places.models import Division, named_any, names_division
from fangkong.policy.accessor import current

E_AREA = gettext_noop("No place in your jurisdiction has this code")
E_POOL = gettext_noop("The active policy allows pools of %(allowed)s people")
E_CLOSED_BEFORE = gettext_noop("A round cannot close before it started")

D_POOL = gettext_noop("Not given: the policy's pool size (%(size)s)")
D_REASON = gettext_noop("Not given: imported with the line list")
D_KNOWN = gettext_noop("Already registered: matched by area and start, kept")


@dataclass
class RoundRow:
    name: str
    starts_at: dt.datetime
    closed_at: dt.datetime | None
    pool_size: int | None
    reason: str
    area: Division | None = None
    known: bool = False
    ending: int | None = None  # a registered round the line closes (a later fact)


class Rounds(Kind):
    name = "rounds"
    title = gettext_lazy("Testing rounds")
    columns = Columns(
        names=("name", "area_code", "starts_at", "closed_at", "pool_size", "reason"),
        chinese={
            "name": "轮次名称",
            "area_code": "区域编码",
            "starts_at": "开始时间",
            "closed_at": "结束时间",
            "pool_size": "混采人数",
            "reason": "开展原因",
        },
        aliases={
            "name": ("轮次名称", "名称", "name"),
            "area_code": ("区域编码", "区划代码", "areacode", "area"),
            "starts_at": ("开始时间", "startsat", "started"),
            "closed_at": ("结束时间", "closedat", "closed"),
            "pool_size": ("混采人数", "混采比例", "poolsize"),
            "reason": ("开展原因", "原因", "reason"),
        },
        required=("name", "area_code", "starts_at"),
    )
    sample = (("魏都区第1轮全员核酸", "411002", "2022-05-04 06:00", "2022-05-04 22:00", "10", ""),)

    def notes(self) -> dict[str, str]:
        return {
            "name": _("The round's name"),
            "area_code": _(
                "6-digit district code, 9- or 12-digit statistical code, in your jurisdiction"
            ),
            "starts_at": _("When the round started, such as 2022-05-04 06:00"),
            "closed_at": _("When the round closed; empty while it runs"),
            "pool_size": _("People per pooled tube; empty: the policy's default"),
            "reason": _("Why the round was run"),
        }

    def parse(self, line: Line) -> None:
        name = line.cell("name")
        if not name:
            line.error("name", E_REQUIRED)
        elif len(name) > 200:
            line.error("name", E_LONG, {"max": 200})
        if not line.cell("area_code"):
            line.error("area_code", E_REQUIRED)
        starts, closed = line.moment("starts_at"), line.moment("closed_at")
        if not line.cell("starts_at"):
            line.error("starts_at", E_REQUIRED)
        pool: int | None = None
        if line.cell("pool_size"):
            try:
                pool = int(line.cell("pool_size"))
            except ValueError:
                pool = -1
        reason = line.cell("reason")
        if len(reason) > 300:
            line.error("reason", E_LONG, {"max": 300})
        if line.errors or starts is None:
            return
        line.value = RoundRow(name, starts, closed, pool, reason)

    def check(self, lines: list[Line], ctx: Context) -> None:
        found = ctx.found
        testing = ctx.rules.testing
        texts = sorted({ln.cell("area_code") for ln in lines if ln.value})
        places = list(Division.objects.filter(named_any(texts))) if texts else []
        fresh: list[Line] = []
        for line in lines:
            found.rows[self.name] += 1
            row: RoundRow | None = line.value
            if row is None:
                continue
            text = line.cell("area_code")
            area = next((d for d in places if names_division(text, d)), None)
            if area is None or not in_scope(ctx.actor, area.key):
                line.error("area_code", E_AREA)
            row.area = area
            if row.pool_size is not None and row.pool_size not in testing.pool_sizes:
                allowed = ", ".join(str(n) for n in testing.pool_sizes)
                line.error("pool_size", E_POOL, {"allowed": allowed})
            try:
                dates.check_happened("starts_at", row.starts_at, tolerance=ctx.tolerance)
                if row.closed_at is not None:
                    dates.check_happened(
                        "closed_at",
                        row.closed_at,
                        tolerance=ctx.tolerance,
                        after=((row.starts_at, _(E_CLOSED_BEFORE)),),
                    )
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    for message in messages:
                        line.error(name, message)
            if not line.errors:
                fresh.append(line)
        registered: dict[tuple[int, dt.datetime], tuple[int, str, dt.datetime | None]] = (
            {
                (area, starts): (pk, status, closed)
                for area, starts, pk, status, closed in TestingRound.objects.filter(
                    area__in=[ln.value.area for ln in fresh],
                    starts_at__in=[ln.value.starts_at for ln in fresh],
                ).values_list("area_id", "starts_at", "pk", "status", "closed_at")
            }
            if fresh
            else {}
        )
        ending: dict[int, Line] = {}
        first: dict[tuple[int, dt.datetime], int] = {}
        for line in fresh:
            row = line.value
            assert row.area is not None
            key = (row.area.pk, row.starts_at)
            if key in first:
                line.error("starts_at", E_DUPLICATE_KEY, {"key": "开始时间", "row": first[key]})
                continue
            first[key] = line.number
            if key in registered:
                row.known = True
                pk, then, closed = registered[key]
                applies = (then == RoundStatus.OPEN or closed is not None) and later_fact(
                    line,
                    "closed_at",
                    given=row.closed_at,
                    known=closed,
                    after=((row.starts_at, _(E_CLOSED_BEFORE)),),
                    tolerance=ctx.tolerance,
                )
                if applies:
                    row.ending = pk
                    ending[pk] = line
                elif not line.errors:
                    found.unchanged[self.name] += 1
                    found.default(self.name, "starts_at", D_KNOWN)
                continue
            if row.pool_size is None:
                row.pool_size = testing.default_pool_size
                found.default(self.name, "pool_size", D_POOL, size=testing.default_pool_size)
            if not row.reason:
                row.reason = str(_(D_REASON))
                found.default(self.name, "reason", D_REASON)
            found.new[self.name] += 1
            status = RoundStatus.CLOSED if row.closed_at else RoundStatus.OPEN
            found.status(self.name, str(RoundStatus(status).label))
            found.district(self.name, row.area.key)
        self._ending(ending, ctx)

    def _ending(self, ending: dict[int, Line], ctx: Context) -> None:
        """The registered rounds the lines close: not before their last recorded change."""
        last = last_changes("lab.testinground", list(ending))
        for pk, line in ending.items():
            row: RoundRow = line.value
            assert row.closed_at is not None and row.area is not None
            before_last(line, "closed_at", row.closed_at, last.get(pk))
            if line.errors:
                row.ending = None
                continue
            ctx.found.changed[self.name] += 1
            ctx.found.status(self.name, str(RoundStatus.CLOSED.label))
            ctx.found.district(self.name, row.area.key)

    def _close(self, rows: list[RoundRow], ctx: Context) -> None:
        """Close the registered rounds the lines say had closed, one event each dated then."""
        if not rows:
            return
        ids = [r.ending for r in rows if r.ending is not None]
        TestingRound.objects.bulk_update(
            [
                TestingRound(pk=r.ending, status=RoundStatus.CLOSED, closed_at=r.closed_at)
                for r in rows
            ],
            ["status", "closed_at"],
        )
        names = {
            pk: (name, key)
            for pk, name, key in TestingRound.objects.filter(pk__in=ids).values_list(
                "pk", "name", "division_key"
            )
        }
        ctx.events += events_record_bulk(_close_events(ctx, rows, names))

    def write(self, lines: list[Line], ctx: Context) -> None:
        self._close([ln.value for ln in lines if ln.value and ln.value.ending], ctx)
        rows: list[RoundRow] = [ln.value for ln in lines if ln.value and not ln.value.known]
        if not rows:
            return
        policy = current()
        hours = dt.timedelta(hours=ctx.rules.testing.round_deadline_hours)
        now = timezone.now()
        rounds = TestingRound.objects.bulk_create(
            [
                TestingRound(
                    name=r.name,
                    area=r.area,
                    division_key=r.area.key,
                    pool_size=r.pool_size or ctx.rules.testing.default_pool_size,
                    reason=r.reason[:300],
                    starts_at=r.starts_at,
                    deadline=r.starts_at + hours,
                    status=RoundStatus.CLOSED if r.closed_at else RoundStatus.OPEN,
                    profile_code=policy.profile.code,
                    created_by=acting_user(ctx.actor),
                    created_at=now,
                    closed_at=r.closed_at,
                )
                for r in rows
                if r.area is not None
            ],
            batch_size=1000,
        )
        ctx.events += events_record_bulk(_events(ctx, rounds, rows, policy.profile.source))


def _close_events(ctx: Context, rows: list[RoundRow], names: dict[int, tuple[str, str]]) -> Any:
    user_id, actor_name = actor_columns(ctx.actor)
    for r in rows:
        assert r.ending is not None and r.closed_at is not None
        name, key = names[r.ending]
        yield EventRow(
            at=r.closed_at,
            actor=user_id,
            actor_name=actor_name,
            action="round.closed",
            object_type="lab.testinground",
            object_id=str(r.ending),
            object_label=name[:200],
            division_key=key,
            field="status",
            from_value=RoundStatus.OPEN,
            to_value=RoundStatus.CLOSED,
            reason=ctx.reason,
        )


def _events(ctx: Context, rounds: list[TestingRound], rows: list[RoundRow], basis: str) -> Any:
    user_id, actor_name = actor_columns(ctx.actor)
    for tr, r in zip(rounds, rows, strict=True):
        common: dict[str, Any] = {
            "actor": user_id,
            "actor_name": actor_name,
            "object_type": "lab.testinground",
            "object_id": str(tr.pk),
            "object_label": tr.name[:200],
            "division_key": tr.division_key,
            "field": "status",
        }
        yield EventRow(
            at=r.starts_at,
            action="round.started",
            to_value=RoundStatus.OPEN,
            reason=r.reason[:300],
            basis=basis,
            **common,
        )
        if r.closed_at:
            yield EventRow(
                at=r.closed_at,
                action="round.closed",
                from_value=RoundStatus.OPEN,
                to_value=RoundStatus.CLOSED,
                reason=ctx.reason,
                **common,
            )


KIND = Rounds()
