"""Writes for trips: report, arrival at the checkpoint, hand-over to the destination, receipt.

Each change is audited. A trip report is idempotent per traveller and arrival day. On arrival the
trip is handed over at once: the active profile's measure for the origin is started (the
checkpoint is outside the destination community, so the measure service's own scope check is
skipped: the caller's authority over the destination was checked here), or the trip is completed
with no obligations and the profile as the basis.
"""

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.services import (
    SELF_SERVICE,
    SYSTEM,
    EventRow,
    event_record,
    events_record_bulk,
)
from fangkong.core import dates
from fangkong.core.access import Cap, in_scope, require
from fangkong.core.errors import field_error
from fangkong.lab.models import Purpose, SamplingSite, Tube
from fangkong.lab.rounds import services as lab_services
from fangkong.people.idnumber import IdNumberError, parse_id_number
from fangkong.people.models import Resident
from fangkong.people.services import clean_name, clean_phone, person_register_non_resident
from fangkong.places.addressing import place_of_address
from fangkong.places.models import KEY_LENGTH, Division, Level
from fangkong.policy import accessor
from fangkong.policy.models import PolicyProfile
from fangkong.quarantine.measures.services import active_measure, basis_of, measure_start
from fangkong.quarantine.models import DueTestStatus, Measure, MeasureStatus, ScheduledTest
from fangkong.travel import obligations
from fangkong.travel.models import (
    ArrivalTest,
    Handover,
    OriginKind,
    ReportedBy,
    Transport,
    Trip,
    TripStatus,
)

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out over the phone
CODE_LENGTH = 8


def _is_staff(actor: Any) -> bool:
    return bool(getattr(actor, "is_authenticated", False))


def _new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not Trip.objects.filter(code=code).exists():
            return code


def _under_measure_error(person: Resident, measure: Measure) -> ValidationError:
    return field_error(
        "id_number",
        _("%(person)s is already under a measure (%(category)s since %(since)s)")
        % {
            "person": person.name,
            "category": measure.get_category_display(),
            "since": measure.starts_on.isoformat(),
        },
    )


# Reporting a trip ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reported:
    trip: Trip
    created: bool  # False: the same traveller had already reported a trip arriving that day


def destination_unknown() -> ValidationError:
    return field_error(
        "destination", _("Unknown destination: choose a community or a building in the city")
    )


def _check_destination(actor: Any, destination: Division | None) -> Division:
    if destination is None:
        raise field_error("destination", _("Choose the destination community"))
    if destination.level < Level.COMMUNITY:
        raise field_error(
            "destination", _("Choose a community (or a building in it) as the destination")
        )
    if _is_staff(actor) and not in_scope(actor, destination.key):
        raise field_error("destination", _("This destination is outside your jurisdiction"))
    return destination


def _check_dates(
    departed_on: dt.date | None, arriving_at: dt.datetime | None, today: dt.date, born: dt.date
) -> dt.date:
    if departed_on is None:
        raise field_error("departed_on", _("Give the day you left"))
    dates.check_date("departed_on", departed_on, born=born, today=today)
    if arriving_at is None:
        raise field_error("arriving_at", _("Give the arrival time"))
    dates.check_date("arriving_at", arriving_at, plan=True, today=today)
    arrival_day = timezone.localtime(arriving_at).date()
    if arrival_day < departed_on:
        raise field_error("arriving_at", _("Arrival cannot be before departure"))
    return arrival_day


def _clean_trip(
    *, origin: str, origin_kind: str, transport: str, transport_number: str, address: str
) -> dict[str, str]:
    origin = (origin or "").strip()
    if not origin:
        raise field_error("origin", _("Say where you are coming from"))
    if origin_kind not in OriginKind.values:
        raise field_error("origin_kind", _("Choose where you are coming from"))
    if transport not in Transport.values:
        raise field_error("transport", _("Choose how you travel"))
    return {
        "origin": origin[:200],
        "origin_kind": origin_kind,
        "transport": transport,
        "transport_number": (transport_number or "").strip().upper()[:40],
        "address": (address or "").strip()[:200],
    }


def _traveller_known(actor: Any, number: str) -> Resident | None:
    person = Resident.objects.filter(id_number=number).first()
    if person is None:
        return None
    measure = active_measure(person)
    if measure is not None:
        if _is_staff(actor):
            raise _under_measure_error(person, measure)
        raise field_error(
            "id_number",
            _("This ID number is under a control measure; call your community before travelling"),
        )
    return person


@transaction.atomic
def trip_report(
    *,
    actor: Any,
    id_number: str,
    name: str,
    phone: str,
    origin: str,
    origin_kind: str,
    departed_on: dt.date | None,
    arriving_at: dt.datetime | None,
    transport: str,
    transport_number: str = "",
    destination: Division | None,
    address: str = "",
    today: dt.date | None = None,
) -> Reported:
    """Report a trip into the city: by staff (`actor` a user) or by the traveller (`actor` None).

    The destination becomes the smallest place the address names below the one chosen (the
    unit of "幸福小区 1号楼 1单元 101" in the chosen community), so the trip is in its grid.
    Refused: an unknown or too coarse destination, a departure in the future, an arrival before
    the departure, a traveller already under a measure. The same traveller reporting again for
    the same arrival day gets the trip already reported.
    """
    if _is_staff(actor):
        require(actor, Cap.TRIPS_RECORD)
    today = today or timezone.localdate()
    try:
        info = parse_id_number(id_number)
    except IdNumberError as exc:
        raise field_error("id_number", exc.args[0]) from None
    number = info.number
    name = clean_name(name)
    phone = clean_phone(phone)
    if not phone:
        raise field_error("phone", _("Give a phone number to reach you"))
    fields = _clean_trip(
        origin=origin,
        origin_kind=origin_kind,
        transport=transport,
        transport_number=transport_number,
        address=address,
    )
    # The trip (and its hand-over) belongs to the smallest place the address names: the grid
    # worker of the traveller's building sees it, and everyone above through the key.
    place = place_of_address(_check_destination(actor, destination), fields["address"])
    arrival_day = _check_dates(departed_on, arriving_at, today, info.birth_date)
    assert departed_on is not None and arriving_at is not None
    existing = Trip.objects.filter(id_number=number, arriving_on=arrival_day).first()
    if existing is not None:
        return Reported(existing, created=False)
    person = _traveller_known(actor, number)
    if person is None and _is_staff(actor):
        person = person_register_non_resident(
            actor=actor,
            id_number=number,
            name=name,
            division=place,
            phone=phone,
            reason=_("Trip report"),
            field="destination",
        )
    try:
        with transaction.atomic():
            trip = Trip.objects.create(
                code=_new_code(),
                person=person,
                name=name,
                id_number=number,
                phone=phone,
                departed_on=departed_on,
                arriving_at=arriving_at,
                arriving_on=arrival_day,
                destination=place,
                reported_by=ReportedBy.STAFF if _is_staff(actor) else ReportedBy.SELF,
                reporter=actor if _is_staff(actor) else None,
                division_key=place.key,
                **fields,
            )
    except IntegrityError:  # the same report, submitted twice at once
        return Reported(Trip.objects.get(id_number=number, arriving_on=arrival_day), False)
    event_record(
        actor=actor if _is_staff(actor) else SELF_SERVICE,
        action="trip.reported",
        obj=trip,
        person_id=person.pk if person else None,
        field="status",
        to_value=TripStatus.REPORTED,
        data={
            "code": trip.code,
            "origin_kind": trip.origin_kind,
            "origin": trip.origin,
            "departed_on": departed_on.isoformat(),
            "arriving_at": arriving_at.isoformat(),
            "destination": place.key,
            "reported_by": trip.reported_by,
        },
    )
    return Reported(trip, created=True)


# Arrival at the checkpoint -------------------------------------------------------------------


def _check_trip(actor: Any, trip: Trip) -> None:
    require(actor, Cap.TRIPS_RECORD)
    if not in_scope(actor, trip.division_key):
        raise field_error("trip", _("This trip is outside your jurisdiction"))


def _traveller(actor: Any, trip: Trip) -> Resident:
    """The trip's person: matched by ID number, or registered as a non-resident at the
    destination (a traveller who reported on the public form and is new to the registry)."""
    if trip.person is not None:
        return trip.person
    person = Resident.objects.filter(id_number=trip.id_number).first()
    if person is None:
        person = person_register_non_resident(
            actor=actor,
            id_number=trip.id_number,
            name=trip.name,
            division=trip.destination,
            phone=trip.phone,
            reason=_("Trip %(code)s") % {"code": trip.code},
            field="trip",
        )
    return person


def _arrival_tube(
    actor: Any, barcode: str, site: SamplingSite | None, person: Resident
) -> Tube | None:
    """The arrival tube: an existing arrival tube with this barcode, or a new one opened at
    `site`; the traveller is added to it. Without a site a new barcode is only noted."""
    tube = Tube.objects.filter(barcode=barcode).first()
    if tube is None:
        if site is None:
            return None
        tube = lab_services.tube_open(
            actor=actor, barcode=barcode, site=site, capacity=1, purpose=Purpose.ARRIVAL
        )
    elif tube.purpose != Purpose.ARRIVAL:
        raise field_error(
            "barcode",
            _("Tube %(barcode)s is not an arrival tube (%(purpose)s)")
            % {"barcode": barcode, "purpose": tube.get_purpose_display()},
        )
    if not tube.members.filter(person=person).exists():
        lab_services.tube_add_member(actor=actor, tube=tube, person=person)
    return tube


@transaction.atomic
def arrival_record(
    *,
    actor: Any,
    trip: Trip,
    checkpoint: str,
    arrived_at: dt.datetime | None = None,
    barcode: str = "",
    site: SamplingSite | None = None,
    today: dt.date | None = None,
) -> Trip:
    """The traveller arrived and was tested at `checkpoint`; the trip is handed over at once."""
    _check_trip(actor, trip)
    trip = (
        Trip.objects.select_for_update(of=("self",))
        .select_related("destination", "person")
        .get(pk=trip.pk)
    )
    if trip.status != TripStatus.REPORTED:
        raise field_error(
            "trip",
            _("This trip's arrival was already recorded (%(status)s)")
            % {"status": trip.get_status_display()},
        )
    checkpoint = (checkpoint or "").strip()[:120]
    if not checkpoint:
        raise field_error("checkpoint", _("Name the checkpoint"))
    now = timezone.now()
    arrived_at = arrived_at or now
    dates.check_date("arrived_at", arrived_at)
    if timezone.localtime(arrived_at).date() < trip.departed_on:
        raise field_error("arrived_at", _("Arrival cannot be before departure"))
    person = _traveller(actor, trip)
    measure = active_measure(person)
    if measure is not None:
        raise _under_measure_error(person, measure)
    barcode = lab_services.clean_barcode(barcode) if (barcode or "").strip() else ""
    tube = _arrival_tube(actor, barcode, site, person) if barcode else None
    ArrivalTest.objects.create(
        trip=trip,
        checkpoint=checkpoint,
        site=site,
        sampled_at=arrived_at,
        barcode=barcode,
        tube=tube,
        recorded_by=actor,
        division_key=trip.division_key,
    )
    trip.person, trip.status, trip.arrived_at = person, TripStatus.ARRIVED, arrived_at
    trip.save(update_fields=["person", "status", "arrived_at"])
    event_record(
        actor=actor,
        action="trip.arrived",
        obj=trip,
        person_id=person.pk,
        field="status",
        from_value=TripStatus.REPORTED,
        to_value=TripStatus.ARRIVED,
        data={"checkpoint": checkpoint, "barcode": barcode, "arrived_at": arrived_at.isoformat()},
    )
    handover(actor=actor, trip=trip, today=today)
    return trip


# Hand-over to the destination ----------------------------------------------------------------


def _complete_without_obligations(
    actor: Any, trip: Trip, profile: PolicyProfile, reason: str
) -> None:
    trip.status = TripStatus.NO_OBLIGATIONS
    trip.basis = basis_of(profile)
    trip.outcome_note = reason[:300]
    trip.save(update_fields=["status", "basis", "outcome_note"])
    event_record(
        actor=actor,
        action="trip.completed",
        obj=trip,
        person_id=trip.person_id,
        field="status",
        from_value=TripStatus.ARRIVED,
        to_value=TripStatus.NO_OBLIGATIONS,
        reason=trip.outcome_note,
        basis=trip.basis,
    )


def _arrival_counts_as_test(actor: Any, trip: Trip, measure: Measure) -> None:
    """The arrival sample is the measure's test when one is due on the day it was taken."""
    test = ArrivalTest.objects.filter(trip=trip).first()
    if test is None:
        return
    day = timezone.localtime(test.sampled_at).date()
    done = ScheduledTest.objects.filter(measure=measure, due_on=day, status=DueTestStatus.DUE)
    if done.update(status=DueTestStatus.SAMPLED, tube=test.tube, sampled_at=test.sampled_at):
        event_record(
            actor=actor,
            action="measure.test_sampled",
            obj=measure,
            person_id=measure.person_id,
            field="status",
            from_value=DueTestStatus.DUE,
            to_value=DueTestStatus.SAMPLED,
            reason=_("Arrival test at %(checkpoint)s") % {"checkpoint": test.checkpoint},
            data={"due_on": day.isoformat(), "barcode": test.barcode},
        )


@transaction.atomic
def handover(*, actor: Any, trip: Trip, today: dt.date | None = None) -> Handover | None:
    """Hand an arrived trip to its destination: start the profile's measure for its origin and
    tell the community, or complete the trip with no obligations (the profile as the basis)."""
    _check_trip(actor, trip)
    if trip.status != TripStatus.ARRIVED or trip.person is None or trip.arrived_at is None:
        raise field_error("trip", _("Only an arrived trip can be handed over"))
    policy = accessor.current()
    arrival_day = timezone.localtime(trip.arrived_at).date()
    found = obligations.category_and_anchor(trip.origin_kind, trip.departed_on, arrival_day)
    if found is None:
        reason = _("Travellers from elsewhere in China have no obligations after the arrival test")
        _complete_without_obligations(actor, trip, policy.profile, reason)
        return None
    category, anchor = found
    try:
        with transaction.atomic():
            measure = measure_start(
                actor=actor,
                person=trip.person,
                category=category,
                anchor_on=anchor,
                source=f"trip:{trip.pk}",
                note=_("Trip %(code)s from %(origin)s")
                % {"code": trip.code, "origin": trip.origin},
                today=today,
                check_scope=False,
            )
    except ValidationError as exc:
        # The profile acts on no one of this category, or the schedule is already over.
        if not hasattr(exc, "error_dict") or set(exc.error_dict) - {"category", "anchor_on"}:
            raise
        _complete_without_obligations(actor, trip, policy.profile, " ".join(exc.messages))
        return None
    _arrival_counts_as_test(actor, trip, measure)
    community = Division.objects.get(key=trip.division_key[: KEY_LENGTH[Level.COMMUNITY]])
    entry = Handover.objects.create(
        trip=trip,
        measure=measure,
        community=community,
        obligations=obligations.of_measure(measure, policy.profile.name),
        division_key=trip.division_key,
    )
    trip.status, trip.category, trip.basis = (
        TripStatus.HANDED_OVER,
        category,
        basis_of(policy.profile),
    )
    trip.save(update_fields=["status", "category", "basis"])
    event_record(
        actor=actor,
        action="trip.handed_over",
        obj=trip,
        person_id=trip.person_id,
        field="status",
        from_value=TripStatus.ARRIVED,
        to_value=TripStatus.HANDED_OVER,
        basis=trip.basis,
        data={"handover": entry.pk, "measure": measure.pk, "community": community.key},
    )
    return entry


@transaction.atomic
def handover_acknowledge(*, actor: Any, handover: Handover) -> Handover:
    """The destination community confirms it received the traveller and their obligations."""
    require(actor, Cap.TRIPS_VIEW)
    require(actor, Cap.MEASURES_KEEP)
    if not in_scope(actor, handover.division_key):
        raise field_error("handover", _("This hand-over is outside your jurisdiction"))
    locked = Handover.objects.select_for_update().get(pk=handover.pk)
    if locked.acknowledged_at is not None:
        raise field_error(
            "handover",
            _("This hand-over was already acknowledged on %(day)s")
            % {"day": timezone.localtime(locked.acknowledged_at).date().isoformat()},
        )
    locked.acknowledged_at, locked.acknowledged_by = timezone.now(), actor
    locked.save(update_fields=["acknowledged_at", "acknowledged_by"])
    event_record(
        actor=actor,
        action="handover.acknowledged",
        obj=locked,
        person_id=locked.measure.person_id,
        field="acknowledged_at",
        to_value=locked.acknowledged_at.isoformat(),
    )
    handover.acknowledged_at, handover.acknowledged_by = locked.acknowledged_at, actor
    return locked


def trips_settle() -> int:
    """Complete handed-over trips whose measure has ended (run daily); returns how many."""
    with transaction.atomic():
        ended = list(
            Trip.objects.filter(status=TripStatus.HANDED_OVER)
            .exclude(handover__measure__status=MeasureStatus.ACTIVE)
            .values_list("pk", "code", "name", "person_id", "division_key")
        )
        if not ended:
            return 0
        Trip.objects.filter(pk__in=[row[0] for row in ended], status=TripStatus.HANDED_OVER).update(
            status=TripStatus.COMPLETED
        )
        now = timezone.now()
        reason = _("The traveller's measure has ended")
        events_record_bulk(
            EventRow(
                at=now,
                actor=None,
                actor_name=SYSTEM,
                action="trip.completed",
                object_type="travel.trip",
                object_id=str(pk),
                object_label=f"{code} {name}"[:200],
                person_id=person_id,
                division_key=key,
                field="status",
                from_value=TripStatus.HANDED_OVER,
                to_value=TripStatus.COMPLETED,
                reason=reason,
                data=json.dumps({}),
            )
            for pk, code, name, person_id, key in ended
        )
    return len(ended)
