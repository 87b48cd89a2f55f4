"""Writes of rounds, sampling sites, tubes and chain of custody. Every change is audited.

Policy numbers (pool sizes, round deadline, rounds per day, when mass testing is allowed) come
only from the active profile: `fangkong.policy.accessor.current().rules.testing`.
"""

import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.history import last_change_at
from fangkong.audit.services import EventRow, actor_columns, event_record, events_record_bulk
from fangkong.core import changes, dates
from fangkong.core.access import NO_SCOPE, Cap, acting_user, in_scope, require, scope_key
from fangkong.core.errors import field_error
from fangkong.epi.cases.services import check_happened
from fangkong.lab import tally
from fangkong.lab.models import (
    Lab,
    Purpose,
    Retest,
    RetestStatus,
    RoundStatus,
    SamplingSite,
    TestingRound,
    Tube,
    TubeFill,
    TubeMember,
    TubeStatus,
)
from fangkong.lab.selectors import labs_for_user, overlaps, tubes_q
from fangkong.people.models import Resident
from fangkong.places.models import Division
from fangkong.policy.accessor import current

BARCODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
SITE_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
SOURCE_UNCLEAR = "only_when_source_unclear"
# Announced on `core.changes` when people are sampled into tubes (ids: TubeMember rows): the
# quarantine measures mark the test due that day as taken, with the tube.
SAMPLED = "tube_member"
# Custody order: a tube may only move to the next status.
NEXT_STATUS = {
    TubeStatus.COLLECTED: TubeStatus.SENT,
    TubeStatus.SENT: TubeStatus.RECEIVED,
    TubeStatus.RECEIVED: TubeStatus.TESTED,
}


# Rounds ---------------------------------------------------------------------------------


def _local_day_bounds(when: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    day = timezone.localtime(when).date()
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, start + dt.timedelta(days=1)


@transaction.atomic
def round_start(
    *,
    actor: Any,
    area: Division,
    name: str,
    reason: str,
    pool_size: int | None = None,
    starts_at: dt.datetime | None = None,
    sites: Iterable[SamplingSite] = (),
) -> TestingRound:
    """Start a testing round over `area`'s subtree; its residents are the round's target.

    `starts_at` is when the round started (valid time: a round entered after the fact starts
    when it did, and the figures count it from then), or a time still ahead when it is
    planned; now if not given."""
    require(actor, Cap.ROUNDS_MANAGE)
    policy = current()
    rules = policy.rules.testing
    if not in_scope(actor, area.key):
        raise field_error("area", _("This place is outside your jurisdiction"))
    name = (name or "").strip()
    if not name:
        raise field_error("name", _("Name the round"))
    if len(name) > 200:
        raise field_error("name", _("Name is longer than 200 characters"))
    reason = (reason or "").strip()
    if len(reason) > 300:
        raise field_error("reason", _("Reason is longer than 300 characters"))
    size = rules.default_pool_size if pool_size is None else pool_size
    if size not in rules.pool_sizes:
        allowed = ", ".join(str(n) for n in rules.pool_sizes)
        raise field_error(
            "pool_size",
            _("The active policy allows pools of %(allowed)s people") % {"allowed": allowed},
        )
    starts_at = starts_at or timezone.now()
    dates.check_date("starts_at", starts_at, plan=True)
    if rules.mass_testing == SOURCE_UNCLEAR:
        if not reason:
            raise field_error(
                "reason",
                _(
                    "The active policy allows mass testing only when the source or chain of "
                    "transmission is unclear: say why it is unclear here"
                ),
            )
        limit = rules.max_rounds_per_day
        if limit is not None:
            start, end = _local_day_bounds(starts_at)
            started = TestingRound.objects.filter(
                area=area, starts_at__gte=start, starts_at__lt=end
            ).count()
            if started >= limit:
                raise field_error(
                    "area",
                    _(
                        "The active policy allows %(limit)s round(s) a day for one area; "
                        "%(name)s already has %(started)s on this day"
                    )
                    % {"limit": limit, "name": area.name, "started": started},
                )
    sites = list(sites)
    for site in sites:
        if not in_scope(actor, site.division_key):
            raise field_error("sites", _("A sampling site is outside your jurisdiction"))
        if not site.active:
            raise field_error("sites", _("Sampling site %(name)s is closed") % {"name": site})
    testing_round = TestingRound.objects.create(
        name=name,
        area=area,
        division_key=area.key,
        pool_size=size,
        reason=reason,
        starts_at=starts_at,
        deadline=starts_at + dt.timedelta(hours=rules.round_deadline_hours),
        profile_code=policy.profile.code,
        created_by=actor,
    )
    testing_round.sites.set(sites)
    event_record(
        at=min(starts_at, timezone.now()),
        actor=actor,
        action="round.started",
        obj=testing_round,
        field="status",
        to_value=RoundStatus.OPEN,
        reason=reason,
        basis=policy.profile.source,
        data={
            "area": area.code,
            "pool_size": size,
            "deadline": testing_round.deadline.isoformat(),
            "sites": [s.code for s in sites],
        },
    )
    return testing_round


@transaction.atomic
def round_close(
    *, actor: Any, round: TestingRound, reason: str = "", closed_at: dt.datetime | None = None
) -> TestingRound:
    """Close a round. `closed_at`: when it closed (valid time, now if not given); not before
    it started (or, for a round planned ahead and called off, before now), nor before its
    last recorded change, nor ahead of the clock beyond the policy's tolerance."""
    require(actor, Cap.ROUNDS_MANAGE)
    if not in_scope(actor, round.division_key):
        raise field_error("round", _("This round is outside your jurisdiction"))
    if round.status != RoundStatus.OPEN:
        raise field_error("status", _("This round is already closed"))
    closed_at = check_happened(
        "closed_at",
        closed_at,
        after=(
            (min(round.starts_at, timezone.now()), _("A round cannot close before it started")),
            (
                last_change_at("lab.testinground", round.pk, "status"),
                _("This is before the round's last recorded change"),
            ),
        ),
    )
    round.status = RoundStatus.CLOSED
    round.closed_at = closed_at
    round.save(update_fields=["status", "closed_at"])
    event_record(
        at=closed_at,
        actor=actor,
        action="round.closed",
        obj=round,
        field="status",
        from_value=RoundStatus.OPEN,
        to_value=RoundStatus.CLOSED,
        reason=(reason or "").strip(),
    )
    return round


# Sites ----------------------------------------------------------------------------------


@transaction.atomic
def site_create(
    *, actor: Any, code: str, name: str, division: Division, address: str = ""
) -> SamplingSite:
    require(actor, Cap.ROUNDS_MANAGE)
    code = (code or "").strip().upper()
    if not SITE_CODE_RE.match(code):
        raise field_error("code", _("A site code is letters, digits, dots or dashes"))
    if SamplingSite.objects.filter(code=code).exists():
        raise field_error("code", _("A sampling site with this code already exists"))
    name = (name or "").strip()
    if not name:
        raise field_error("name", _("Name the sampling site"))
    if not in_scope(actor, division.key):
        raise field_error("division", _("This place is outside your jurisdiction"))
    site = SamplingSite.objects.create(
        code=code,
        name=name[:200],
        division=division,
        division_key=division.key,
        address=(address or "").strip()[:300],
    )
    event_record(actor=actor, action="site.created", obj=site, data={"place": division.code})
    return site


# Tubes ----------------------------------------------------------------------------------


def clean_barcode(raw: str, field: str = "barcode") -> str:
    barcode = re.sub(r"\s+", "", raw or "")
    if not barcode:
        raise field_error(field, _("Scan or type the tube barcode"))
    if not BARCODE_RE.match(barcode):
        raise field_error(field, _("A tube barcode is letters and digits (up to 40)"))
    return barcode


@transaction.atomic
def tube_open(
    *,
    actor: Any,
    barcode: str,
    round: TestingRound | None = None,
    site: SamplingSite | None = None,
    capacity: int,
    purpose: str,
    collected_at: dt.datetime | None = None,
) -> Tube:
    """A new, empty, open tube: single (capacity 1) or pooled (the round's pool size). It stays
    open, for any sampler of its site, until it is full, sealed by hand or sent.

    `collected_at`: when its sampling began (valid time, now if not given: a tube entered after
    the fact is dated when it was taken), not before its round started nor ahead of the clock
    beyond the policy's tolerance; its results may not be dated before it."""
    require(actor, Cap.SAMPLING)
    barcode = clean_barcode(barcode)
    if Tube.objects.filter(barcode=barcode).exists():
        raise field_error("barcode", _("Tube %(barcode)s is already used") % {"barcode": barcode})
    if purpose not in Purpose.values:
        raise field_error("purpose", _("Unknown purpose"))
    if site is not None:
        if not overlaps(actor, site.division_key):
            raise field_error("site", _("This sampling site is outside your jurisdiction"))
        if not site.active:
            raise field_error("site", _("This sampling site is closed"))
    if round is not None:
        if round.status != RoundStatus.OPEN:
            raise field_error("round", _("This round is closed"))
        if purpose != Purpose.ROUND:
            raise field_error("purpose", _("A tube of a round has the purpose “round”"))
        if capacity not in (1, round.pool_size):
            raise field_error(
                "capacity",
                _("A tube of this round holds 1 or %(n)s people") % {"n": round.pool_size},
            )
        round_sites = set(round.sites.values_list("pk", flat=True))
        if site is not None and round_sites and site.pk not in round_sites:
            raise field_error("site", _("This site does not sample for this round"))
    else:
        if purpose == Purpose.ROUND:
            raise field_error("round", _("Choose the round"))
        allowed = {1, *current().rules.testing.pool_sizes}
        if capacity not in allowed:
            raise field_error("capacity", _("Unsupported pool size"))
        if site is None and purpose != Purpose.RETEST:
            raise field_error("site", _("Choose the sampling site"))
    started = (
        ((min(round.starts_at, timezone.now()), _("A tube of a round is taken after it started")),)
        if round is not None
        else ()
    )
    collected_at = check_happened("collected_at", collected_at, after=started)
    if site is not None:
        key = site.division_key
    elif round is not None:
        key = round.division_key
    else:
        key = scope_key(actor) if scope_key(actor) != NO_SCOPE else ""
    tube = Tube.objects.create(
        barcode=barcode,
        capacity=capacity,
        purpose=purpose,
        round=round,
        site=site,
        fill=TubeFill.OPEN,
        collected_at=collected_at,
        collected_by=acting_user(actor),
        division_key=key,
    )
    event_record(
        at=collected_at,
        actor=actor,
        action="tube.opened",
        obj=tube,
        field="status",
        to_value=TubeStatus.COLLECTED,
        data={
            "capacity": capacity,
            "purpose": purpose,
            "round": round.pk if round else None,
            "site": site.code if site else "",
        },
    )
    return tube


@transaction.atomic
def tube_add_member(
    *, actor: Any, tube: Tube, person: Resident, sampled_at: dt.datetime | None = None
) -> TubeMember:
    """Add one person to an open tube; refuses full and sealed tubes, repeats and people sampled
    in the round. The person that fills the tube seals it.

    `sampled_at`: when the person was sampled (valid time, now if not given), not before the
    tube was opened (`collected_at`) nor ahead of the clock beyond the policy's tolerance."""
    require(actor, Cap.SAMPLING)
    if not overlaps(actor, tube.division_key):
        raise field_error("barcode", _("No tube with this barcode in your jurisdiction"))
    tally.results_lock(exclusive=False)  # no result is being stored for this tube meanwhile
    tube = (
        Tube.objects.select_for_update(of=("self",))
        .select_related("round", "result")
        .get(pk=tube.pk)
    )
    if tube.state != TubeStatus.COLLECTED:
        raise field_error(
            "barcode",
            _("Tube %(barcode)s has left the site (%(status)s); open a new tube")
            % {"barcode": tube.barcode, "status": tube.get_state_display()},
        )
    if not in_scope(actor, person.division_key):
        raise field_error("person", _("No resident with this ID number in your jurisdiction"))
    members = list(tube.members.values_list("person_id", flat=True))
    if person.pk in members:
        raise field_error(
            "person",
            _("%(name)s is already in tube %(barcode)s")
            % {"name": person.name, "barcode": tube.barcode},
        )
    if len(members) >= tube.capacity:
        raise field_error(
            "person",
            _("Tube %(barcode)s is full (%(n)s/%(n)s); open a new tube")
            % {"barcode": tube.barcode, "n": tube.capacity},
        )
    if tube.fill != TubeFill.OPEN:
        raise field_error(
            "barcode",
            _("Tube %(barcode)s is sealed (%(count)s/%(n)s): reopen it to add people")
            % {"barcode": tube.barcode, "count": len(members), "n": tube.capacity},
        )
    testing_round = tube.round
    if testing_round is not None:
        if testing_round.status != RoundStatus.OPEN:
            raise field_error("round", _("This round is closed"))
        if not person.division_key.startswith(testing_round.division_key):
            raise field_error(
                "person",
                _("%(name)s lives outside this round's area (%(area)s); not sampled in this round")
                % {"name": person.name, "area": testing_round.area.name},
            )
        _refuse_sampled_before(testing_round, person)
    now = check_happened(
        "sampled_at",
        sampled_at,
        after=((tube.collected_at, _("A person is sampled after the tube was opened")),),
        born=person.birth_date,
    )
    try:
        with transaction.atomic():
            member = TubeMember.objects.create(
                tube=tube,
                person=person,
                round=testing_round,
                sampled_at=now,
                division_key=person.division_key,
            )
    except IntegrityError:  # sampled into another tube of the round at the same moment
        if testing_round is not None:
            _refuse_sampled_before(testing_round, person)
        raise
    if testing_round is not None:
        tally.sampled_tallied(testing_round.pk, person.division_key)
    event_record(
        at=now,
        actor=actor,
        action="tube.member_added",
        obj=tube,
        person_id=person.pk,
        division_key=person.division_key,
        data={"count": len(members) + 1, "capacity": tube.capacity},
    )
    if len(members) + 1 >= tube.capacity:
        _seal(actor, tube, _("The tube is full"), len(members) + 1)
    if tube.purpose == Purpose.RETEST:
        _retest_sampled(actor, person, tube, now)
    changes.added(SAMPLED, [member.pk], actor=actor)
    return member


def _refuse_sampled_before(testing_round: TestingRound, person: Resident) -> None:
    earlier = (
        TubeMember.objects.filter(round=testing_round, person=person).select_related("tube").first()
    )
    if earlier is not None:
        raise field_error(
            "person",
            _("%(name)s was already sampled in this round, in tube %(barcode)s")
            % {"name": person.name, "barcode": earlier.tube.barcode},
        )


def _retest_sampled(actor: Any, person: Resident, tube: Tube, now: dt.datetime) -> None:
    """A single-tube retest taken: the pending retest row now points at this tube."""
    pending = list(
        Retest.objects.filter(person=person, status=RetestStatus.PENDING).select_related(
            "person", "source_tube"
        )
    )
    if not pending:
        return
    Retest.objects.filter(pk__in=[r.pk for r in pending]).update(
        tube=tube, status=RetestStatus.SAMPLED
    )
    actor_id, actor_name = actor_columns(actor)
    # Rows are built before the COPY starts: a query inside an open COPY would block.
    events_record_bulk(
        [
            EventRow(
                at=now,
                actor=actor_id,
                actor_name=actor_name,
                action="retest.sampled",
                object_type="lab.retest",
                object_id=str(r.pk),
                object_label=str(r)[:200],
                person_id=person.pk,
                division_key=r.division_key,
                field="status",
                from_value=RetestStatus.PENDING,
                to_value=RetestStatus.SAMPLED,
                data=json.dumps({"tube": tube.barcode}),
            )
            for r in pending
        ]
    )


def _seal(actor: Any, tube: Tube, reason: str, count: int) -> None:
    """Seal `tube` (locked by the caller, open) holding `count` people."""
    tube.fill = TubeFill.SEALED
    tube.sealed_at = timezone.now()
    tube.save(update_fields=["fill", "sealed_at"])
    event_record(
        actor=actor,
        action="tube.sealed",
        obj=tube,
        field="fill",
        from_value=TubeFill.OPEN,
        to_value=TubeFill.SEALED,
        reason=reason,
        data={"count": count, "capacity": tube.capacity},
    )


def _locked_at_site(actor: Any, tube: Tube) -> Tube:
    """`tube` locked for a change of its filling: in the caller's reach, still at its site
    (not sent, no result)."""
    require(actor, Cap.SAMPLING)
    if not overlaps(actor, tube.division_key):
        raise field_error("barcode", _("No tube with this barcode in your jurisdiction"))
    tally.results_lock(exclusive=False)  # no result is being stored for this tube meanwhile
    tube = (
        Tube.objects.select_for_update(of=("self",))
        .select_related("round", "site", "result")
        .get(pk=tube.pk)
    )
    if tube.has_result:
        raise field_error(
            "barcode",
            _("Tube %(barcode)s has a result and stays sealed") % {"barcode": tube.barcode},
        )
    if tube.status != TubeStatus.COLLECTED:
        raise field_error(
            "barcode",
            _("Tube %(barcode)s has left the site (%(status)s) and stays sealed")
            % {"barcode": tube.barcode, "status": tube.get_state_display()},
        )
    return tube


@transaction.atomic
def tube_seal(*, actor: Any, tube: Tube, reason: str = "") -> Tube:
    """Close an open tube before it is full (the last person of a building, the end of the
    shift); a full tube seals itself. An empty tube may be sealed too (a barcode scanned by
    mistake): it cannot be sent."""
    tube = _locked_at_site(actor, tube)
    if tube.fill != TubeFill.OPEN:
        raise field_error(
            "barcode", _("Tube %(barcode)s is already sealed") % {"barcode": tube.barcode}
        )
    reason = (reason or "").strip()
    if len(reason) > 300:
        raise field_error("reason", _("Reason is longer than 300 characters"))
    count = tube.members.count()
    if not reason:
        reason = _("Sealed by hand at %(count)s/%(n)s") % {"count": count, "n": tube.capacity}
    _seal(actor, tube, reason, count)
    return tube


@transaction.atomic
def tube_reopen(*, actor: Any, tube: Tube, reason: str) -> Tube:
    """Open a sealed tube again to add people, up to its pool size, while it is still at its
    site: once sent to the lab or resulted it stays sealed."""
    tube = _locked_at_site(actor, tube)
    if tube.fill == TubeFill.OPEN:
        raise field_error(
            "barcode", _("Tube %(barcode)s is already open") % {"barcode": tube.barcode}
        )
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", _("Say why the tube is reopened"))
    if len(reason) > 300:
        raise field_error("reason", _("Reason is longer than 300 characters"))
    count = tube.members.count()
    if count >= tube.capacity:
        raise field_error(
            "barcode",
            _("Tube %(barcode)s is full (%(n)s/%(n)s); open a new tube")
            % {"barcode": tube.barcode, "n": tube.capacity},
        )
    if tube.round is not None and tube.round.status != RoundStatus.OPEN:
        raise field_error("round", _("This round is closed"))
    tube.fill = TubeFill.OPEN
    tube.sealed_at = None
    tube.save(update_fields=["fill", "sealed_at"])
    event_record(
        actor=actor,
        action="tube.reopened",
        obj=tube,
        field="fill",
        from_value=TubeFill.SEALED,
        to_value=TubeFill.OPEN,
        reason=reason,
        data={"count": count, "capacity": tube.capacity},
    )
    return tube


def _seal_sent(actor: Any, tubes: Sequence[Tube], now: dt.datetime) -> None:
    """Open tubes handed to the courier are sealed with the move (one update, bulk audit)."""
    still_open = [t for t in tubes if t.fill == TubeFill.OPEN]
    if not still_open:
        return
    Tube.objects.filter(pk__in=[t.pk for t in still_open]).update(
        fill=TubeFill.SEALED, sealed_at=now
    )
    actor_id, actor_name = actor_columns(actor)
    reason = _("Sent to the lab")
    events_record_bulk(
        [
            EventRow(
                at=now,
                actor=actor_id,
                actor_name=actor_name,
                action="tube.sealed",
                object_type="lab.tube",
                object_id=str(t.pk),
                object_label=t.barcode,
                division_key=t.division_key,
                field="fill",
                from_value=TubeFill.OPEN,
                to_value=TubeFill.SEALED,
                reason=reason,
            )
            for t in still_open
        ]
    )


# Chain of custody -----------------------------------------------------------------------


def _barcode_list(barcodes: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for raw in barcodes:
        for part in re.split(r"[\s,;]+", raw or ""):
            if part:
                seen.setdefault(part, None)
    return list(seen)


def _custody_move(
    *,
    actor: Any,
    tubes: Sequence[Tube],
    to: TubeStatus,
    lab: Lab,
    extra: dict[str, Any],
    at_field: str,
    action: str,
) -> int:
    want = {to: status for status, to in NEXT_STATUS.items()}[to]
    wrong = [t for t in tubes if t.state != want]
    if wrong:
        listed = ", ".join(f"{t.barcode} ({t.get_state_display()})" for t in wrong[:20])
        raise field_error(
            "barcodes",
            _("Not in the right state to be %(to)s: %(tubes)s")
            % {"to": TubeStatus(to).label, "tubes": listed},
        )
    now = timezone.now()
    ids = [t.pk for t in tubes]
    updated = Tube.objects.filter(pk__in=ids, status=want, result__isnull=True).update(
        status=to, **{at_field: now}, **extra
    )
    if updated != len(ids):  # someone moved one of them meanwhile
        raise field_error("barcodes", _("Some tubes changed meanwhile; try again"))
    actor_id, actor_name = actor_columns(actor)
    events_record_bulk(
        [
            EventRow(
                at=now,
                actor=actor_id,
                actor_name=actor_name,
                action=action,
                object_type="lab.tube",
                object_id=str(t.pk),
                object_label=t.barcode,
                division_key=t.division_key,
                field="status",
                from_value=want,
                to_value=to,
                data=json.dumps({"lab": lab.code}),
            )
            for t in tubes
        ]
    )
    return updated


def _resolve(
    actor: Any, tubes: Iterable[Tube] | None, barcodes: Iterable[str] | None
) -> list[Tube]:
    if tubes is not None:
        ids = [t.pk for t in tubes]
        tubes = Tube.objects.filter(tubes_q(actor), pk__in=ids).select_related("result")
        return list(tubes.order_by("barcode"))
    wanted = _barcode_list(barcodes or ())
    if not wanted:
        raise field_error("barcodes", _("Scan or type at least one barcode"))
    found = list(
        Tube.objects.filter(tubes_q(actor))
        .filter(barcode__in=wanted)
        .select_related("result")
        .order_by("barcode")
    )
    missing = sorted(set(wanted) - {t.barcode for t in found})
    if missing:
        raise field_error(
            "barcodes",
            _("Unknown tubes (or outside your jurisdiction): %(list)s")
            % {"list": ", ".join(missing[:20])},
        )
    return found


@transaction.atomic
def tubes_send(
    *,
    actor: Any,
    lab: Lab,
    tubes: Iterable[Tube] | None = None,
    barcodes: Iterable[str] | None = None,
) -> int:
    """Collected → sent to `lab`, in one update; refuses tubes already sent or empty, and a
    lab that is suspended. Tubes still open are sealed with the move."""
    require(actor, Cap.SAMPLING)
    if not Lab.objects.filter(pk=lab.pk, active=True).exists():
        raise field_error("lab", _("%(lab)s is suspended and takes no tubes") % {"lab": lab})
    found = _resolve(actor, tubes, barcodes)
    if not found:
        raise field_error("barcodes", _("Choose at least one tube"))
    counts = _member_counts([t.pk for t in found])
    empty = [t.barcode for t in found if not counts.get(t.pk)]
    if empty:
        raise field_error(
            "barcodes", _("Empty tubes cannot be sent: %(list)s") % {"list": ", ".join(empty)}
        )
    moved = _custody_move(
        actor=actor,
        tubes=found,
        to=TubeStatus.SENT,
        lab=lab,
        extra={"lab": lab},
        at_field="sent_at",
        action="tube.sent",
    )
    _seal_sent(actor, found, timezone.now())
    return moved


def _member_counts(tube_ids: list[int]) -> dict[int, int]:
    return dict(
        TubeMember.objects.filter(tube_id__in=tube_ids)
        .values("tube_id")
        .annotate(n=Count("id"))
        .values_list("tube_id", "n")
    )


@transaction.atomic
def tubes_receive(*, actor: Any, barcodes: Iterable[str], lab: Lab) -> int:
    """Sent → received at `lab`; a tube sent to another lab, or not sent, is refused."""
    require(actor, Cap.RESULTS_UPLOAD)
    if not labs_for_user(actor).filter(pk=lab.pk).exists():
        raise field_error("lab", _("This lab is outside your jurisdiction"))
    wanted = _barcode_list(barcodes)
    if not wanted:
        raise field_error("barcodes", _("Scan or type at least one barcode"))
    found = list(
        Tube.objects.filter(barcode__in=wanted).select_related("result").order_by("barcode")
    )
    missing = sorted(set(wanted) - {t.barcode for t in found})
    if missing:
        raise field_error(
            "barcodes", _("Unknown tubes: %(list)s") % {"list": ", ".join(missing[:20])}
        )
    elsewhere = [t.barcode for t in found if t.lab_id not in (None, lab.pk)]
    if elsewhere:
        raise field_error(
            "barcodes",
            _("Sent to another lab: %(list)s") % {"list": ", ".join(elsewhere[:20])},
        )
    return _custody_move(
        actor=actor,
        tubes=found,
        to=TubeStatus.RECEIVED,
        lab=lab,
        extra={},
        at_field="received_at",
        action="tube.received",
    )
