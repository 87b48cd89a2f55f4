"""Daily health checks (site floors and homes), missed check-ins, alerts to the medical task force.

One screen saves many rows at once (all or nothing, errors per row); an abnormal check (a
temperature at or over the profile's fever line, or any symptom) raises a `HealthAlert`.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.audit.services import EventRow, event_record, events_record_bulk
from fangkong.core import dates
from fangkong.core.access import Cap, acting_user, key_filter, require
from fangkong.core.errors import BulkErrors, field_error
from fangkong.people.models import Resident
from fangkong.places.models import Division
from fangkong.policy.accessor import current
from fangkong.quarantine.measures.daily import event_row
from fangkong.quarantine.measures.selectors import (
    ALERT,
    CHECK,
    COMMUNITY_WIDTH,
    measures_for_user,
    with_today,
)
from fangkong.quarantine.models import (
    AlertStatus,
    HealthAlert,
    HealthCheck,
    Measure,
    MeasureStatus,
    PhaseKind,
    Room,
    Site,
    Stay,
    StayStatus,
)

# What a clinical thermometer can read; outside it the entry is a typing error, not a fever.
TEMPERATURE_MIN, TEMPERATURE_MAX = Decimal("34.0"), Decimal("43.0")


class Symptom(models.TextChoices):
    FEVER = "fever", gettext_lazy("Fever")
    COUGH = "cough", gettext_lazy("Cough")
    SORE_THROAT = "sore_throat", gettext_lazy("Sore throat")
    FATIGUE = "fatigue", gettext_lazy("Fatigue")
    TASTE_SMELL = "taste_smell", gettext_lazy("Loss of taste or smell")
    DIARRHOEA = "diarrhoea", gettext_lazy("Diarrhoea")
    OTHER = "other", gettext_lazy("Other")


def symptom_labels(codes: Iterable[str], other: str = "") -> list[str]:
    labels = [str(Symptom(c).label) for c in codes if c in Symptom.values and c != Symptom.OTHER]
    if other or Symptom.OTHER in codes:
        labels.append(other or str(Symptom.OTHER.label))
    return labels


# Daily health checks ------------------------------------------------------------------------------


@dataclass
class CheckEntry:
    """One person's line on the floor screen or the home list."""

    measure: Measure
    stay: Stay | None = None
    temperature: Any = None  # text, Decimal or float; blank = not measured yet
    symptoms: Sequence[str] = ()
    symptom_other: str = ""
    note: str = ""

    @property
    def blank(self) -> bool:
        return (
            self.temperature in (None, "")
            and not self.symptoms
            and not (self.symptom_other or "").strip()
        )


@dataclass
class CheckResult:
    saved: list[HealthCheck] = field(default_factory=list)
    alerts: list[HealthAlert] = field(default_factory=list)


def _temperature(raw: Any) -> Decimal:
    try:
        value = Decimal(str(raw).strip().replace(",", "."))
    except InvalidOperation:
        raise field_error("temperature", _("Enter a temperature such as 36.6")) from None
    if not value.is_finite() or not TEMPERATURE_MIN <= value <= TEMPERATURE_MAX:
        raise field_error(
            "temperature",
            _("A body temperature is between %(low)s and %(high)s °C")
            % {"low": TEMPERATURE_MIN, "high": TEMPERATURE_MAX},
        )
    return value.quantize(Decimal("0.1"))


def _clean_entry(entry: CheckEntry, day: dt.date, visible: set[int]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}

    def err(name: str, message: str) -> None:
        errors.setdefault(name, []).append(str(message))

    m = entry.measure
    if m.pk not in visible:
        err("person", _("This person is outside your jurisdiction"))
    elif m.status != MeasureStatus.ACTIVE:
        err("person", _("This measure is closed"))
    elif not m.starts_on <= day <= m.ends_on:
        err(
            "day",
            _("%(day)s is not a day of this measure (%(first)s to %(last)s)")
            % {"day": day, "first": m.starts_on, "last": m.ends_on},
        )
    temperature = None
    if entry.temperature in (None, ""):
        err("temperature", _("Give the temperature"))
    else:
        try:
            temperature = _temperature(entry.temperature)
        except ValidationError as exc:
            err("temperature", exc.messages[0])
    symptoms = sorted(set(entry.symptoms))
    if any(s not in Symptom.values for s in symptoms):
        err("symptoms", _("Unknown symptom"))
    other = (entry.symptom_other or "").strip()[:100]
    if other and Symptom.OTHER not in symptoms:
        symptoms.append(Symptom.OTHER)
    if errors:
        raise ValidationError(errors)
    return {"temperature": temperature, "symptoms": symptoms, "symptom_other": other}


def fever_line() -> Decimal:
    """A temperature at or above this is abnormal (the active profile's rule)."""
    return Decimal(str(current().rules.quarantine.fever_celsius))


def _abnormal_reason(temperature: Decimal, symptoms: list[str], other: str) -> str:
    parts = []
    if temperature >= fever_line():
        parts.append(_("Temperature %(t)s °C") % {"t": temperature})
    parts += symptom_labels(symptoms, other)
    return "; ".join(parts)[:300]


def _check_event(actor: Any, check: HealthCheck, now: dt.datetime) -> EventRow:
    value = f"{check.temperature} °C"
    if check.symptoms:
        value += "; " + ", ".join(symptom_labels(check.symptoms, check.symptom_other))
    obj = (CHECK, check.pk, f"{check.person_id} {check.day}")
    change = ("temperature", "", value)
    return event_row(
        actor, now, "health_check.recorded", obj, check.person_id, check.division_key, change
    )


def _alert_event(actor: Any, alert: HealthAlert, now: dt.datetime) -> EventRow:
    obj = (ALERT, alert.pk, alert.reason)
    change = ("status", "", AlertStatus.OPEN)
    return event_row(
        actor,
        now,
        "health_alert.raised",
        obj,
        alert.person_id,
        alert.division_key,
        change,
        reason=alert.reason,
    )


def _validate_entries(
    actor: Any, day: dt.date, entries: list[CheckEntry]
) -> list[tuple[CheckEntry, dict[str, Any]]]:
    visible = set(
        measures_for_user(actor)
        .filter(pk__in=[e.measure.pk for e in entries])
        .values_list("pk", flat=True)
    )
    errors: dict[int, dict[str, list[str]]] = {}
    cleaned: list[tuple[CheckEntry, dict[str, Any]]] = []
    seen: set[int] = set()
    for index, entry in enumerate(entries):
        if entry.blank:
            continue
        try:
            if entry.measure.pk in seen:
                raise field_error("person", _("This person appears twice"))
            seen.add(entry.measure.pk)
            cleaned.append((entry, _clean_entry(entry, day, visible)))
        except ValidationError as exc:
            errors[index] = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
    if errors:
        raise BulkErrors(errors)
    return cleaned


@transaction.atomic
def checks_record(
    *, actor: Any, day: dt.date, entries: Iterable[CheckEntry], today: dt.date | None = None
) -> CheckResult:
    """Save a screen of daily checks at once: all rows or none (`BulkErrors` names the rows).

    Blank rows are skipped; a row equal to what is recorded already is not written again.
    An abnormal check (temperature at or over the profile's fever line, or any symptom) raises
    an alert for the medical task force, or re-opens that day's alert.
    """
    require(actor, Cap.MEASURES_KEEP)
    today = today or timezone.localdate()
    dates.check_date("day", day, today=today)
    cleaned = _validate_entries(actor, day, list(entries))
    if not cleaned:
        return CheckResult()
    existing = {
        c.measure_id: c
        for c in HealthCheck.objects.select_for_update(of=("self",))
        .filter(measure_id__in=[e.measure.pk for e, _values in cleaned], day=day)
        .select_related("alert")
    }
    user = acting_user(actor)
    now = timezone.now()
    new: list[HealthCheck] = []
    changed: list[HealthCheck] = []
    abnormal: list[tuple[HealthCheck, str]] = []
    for entry, values in cleaned:
        reason = _abnormal_reason(
            values["temperature"], values["symptoms"], values["symptom_other"]
        )
        fields = {**values, "abnormal": bool(reason), "missed": False, "note": entry.note[:300]}
        check = existing.get(entry.measure.pk)
        if check is None:
            stay = entry.stay
            check = HealthCheck(
                measure=entry.measure,
                person_id=entry.measure.person_id,
                stay=stay,
                day=day,
                division_key=stay.division_key if stay else entry.measure.division_key,
            )
            new.append(check)
        elif all(getattr(check, k) == v for k, v in fields.items()):
            continue
        else:
            changed.append(check)
        for k, v in fields.items():
            setattr(check, k, v)
        check.recorded_at, check.recorded_by = now, user
        if reason:
            abnormal.append((check, reason))
    HealthCheck.objects.bulk_create(new)
    HealthCheck.objects.bulk_update(changed, [*CHECK_VALUES, "recorded_at", "recorded_by"])
    alerts = _raise_alerts(abnormal, now)
    saved = new + changed
    events_record_bulk(
        [_check_event(actor, c, now) for c in saved] + [_alert_event(actor, a, now) for a in alerts]
    )
    return CheckResult(saved=saved, alerts=alerts)


CHECK_VALUES = ("temperature", "symptoms", "symptom_other", "abnormal", "missed", "note")


def _alert_of(check: HealthCheck) -> HealthAlert | None:
    if check.pk is None:
        return None
    try:
        return check.alert  # loaded by select_related with the check
    except HealthAlert.DoesNotExist:
        return None


def _raise_alerts(abnormal: list[tuple[HealthCheck, str]], now: dt.datetime) -> list[HealthAlert]:
    new: list[HealthAlert] = []
    reopened: list[HealthAlert] = []
    for check, reason in abnormal:
        alert = _alert_of(check)
        if alert is None:
            new.append(
                HealthAlert(
                    check_record=check,
                    person_id=check.person_id,
                    reason=reason,
                    raised_at=now,
                    division_key=check.division_key,
                )
            )
        elif alert.status != AlertStatus.OPEN or alert.reason != reason:
            alert.status, alert.reason, alert.raised_at = AlertStatus.OPEN, reason, now
            alert.handled_at, alert.handled_by, alert.outcome = None, None, ""
            reopened.append(alert)
    HealthAlert.objects.bulk_create(new)
    HealthAlert.objects.bulk_update(
        reopened, ["status", "reason", "raised_at", "handled_at", "handled_by", "outcome"]
    )
    return new + reopened


@dataclass
class RosterRow:
    """One person on a checks screen, with the day's check if one is recorded."""

    person: Resident
    measure: Measure | None
    stay: Stay | None = None
    room: Room | None = None
    check: HealthCheck | None = None
    phase: str = ""
    from_site: str = ""  # home list: the site the person came home from
    errors: dict[str, list[str]] = field(default_factory=dict)
    posted: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        if self.stay is not None:
            return f"s{self.stay.pk}"
        return f"m{self.measure.pk}" if self.measure is not None else ""


def _attach_checks(rows: list[RosterRow], day: dt.date) -> list[RosterRow]:
    ids = [r.measure.pk for r in rows if r.measure is not None]
    checks = {
        c.measure_id: c
        for c in HealthCheck.objects.filter(measure_id__in=ids, day=day, missed=False)
    }
    for r in rows:
        if r.measure is not None:
            r.check = checks.get(r.measure.pk)
    return rows


def site_buildings(site: Site) -> list[str]:
    return sorted(set(Room.objects.filter(site=site).values_list("building", flat=True)))


def site_floors(site: Site, building: str) -> list[int]:
    rooms = Room.objects.filter(site=site, building=building)
    return sorted(set(rooms.values_list("floor", flat=True)))


def floor_roster(site: Site, building: str, floor: int, day: dt.date) -> list[RosterRow]:
    """The people in the rooms of one floor (the caller has checked the site), room order."""
    stays = list(
        Stay.objects.filter(
            site=site, room__building=building, room__floor=floor, status=StayStatus.IN
        )
        .select_related("room", "person", "measure")
        .order_by("room__number", "person__name", "id")
    )
    active = {
        m.person_id: m
        for m in Measure.objects.filter(
            person_id__in=[s.person_id for s in stays], status=MeasureStatus.ACTIVE
        )
    }
    rows = [
        RosterRow(person=s.person, measure=active.get(s.person_id), stay=s, room=s.room)
        for s in stays
    ]
    return _attach_checks(rows, day)


def home_communities(user: Any, today: dt.date) -> list[tuple[str, str]]:
    """(key, name) of the communities with people at home under an active measure."""
    qs = with_today(measures_for_user(user), today).filter(
        Q(site_now=None), status=MeasureStatus.ACTIVE
    )
    keys = {k[:COMMUNITY_WIDTH] for k in qs.values_list("division_key", flat=True).distinct()}
    names = dict(Division.objects.filter(key__in=keys).values_list("key", "name"))
    return sorted(((k, names.get(k, k)) for k in keys), key=lambda kv: (kv[1], kv[0]))


def home_roster(user: Any, community: str, day: dt.date, today: dt.date) -> list[RosterRow]:
    """People at home under an active measure in one community (or all in scope), by place."""
    qs = with_today(measures_for_user(user), day).filter(
        Q(site_now=None), status=MeasureStatus.ACTIVE, starts_on__lte=day, ends_on__gte=day
    )
    if community:
        qs = qs.filter(key_filter(community))
    measures = list(qs.select_related("person__division").order_by("division_key", "id")[:500])
    came_home = {
        s.person_id: s.site.name
        for s in Stay.objects.filter(
            person_id__in=[m.person_id for m in measures], status=StayStatus.RELEASED
        )
        .select_related("site")
        .order_by("checked_out_at")
    }
    rows = [
        RosterRow(
            person=m.person,
            measure=m,
            phase=_phase_label(m.phase_today),  # type: ignore[attr-defined]
            from_site=came_home.get(m.person_id, ""),
        )
        for m in measures
    ]
    return _attach_checks(rows, day)


def _phase_label(kind: str | None) -> str:
    return str(PhaseKind(kind).label) if kind in PhaseKind.values else ""


def missed_checkins(user: Any, community: str = "") -> QuerySet[HealthCheck]:
    qs = HealthCheck.objects.filter(
        missed=True,
        measure__status=MeasureStatus.ACTIVE,
        measure__in=measures_for_user(user).values("pk"),
    )
    if community:
        qs = qs.filter(key_filter(community))
    return qs.select_related("person").order_by("-day", "id")


# Alerts ------------------------------------------------------------------------------------------


def alerts_for_user(user: Any, status: str = AlertStatus.OPEN) -> QuerySet[HealthAlert]:
    qs = HealthAlert.objects.filter(
        check_record__measure__in=measures_for_user(user).values("pk")
    ).select_related(
        "person",
        "check_record__measure",
        "check_record__stay__room",
        "check_record__stay__site",
        "handled_by",
    )
    return qs.filter(status=status) if status else qs


@transaction.atomic
def alert_handle(*, actor: Any, alert: HealthAlert, outcome: str) -> HealthAlert:
    """The medical task force records what it did (seen by a doctor, sent to a fever clinic…)."""
    require(actor, Cap.QUARANTINE_MANAGE)
    alert = HealthAlert.objects.select_for_update().select_related("check_record").get(pk=alert.pk)
    if not alerts_for_user(actor, status="").filter(pk=alert.pk).exists():
        raise field_error("alert", _("This alert is outside your jurisdiction"))
    if alert.status != AlertStatus.OPEN:
        raise field_error("status", _("This alert is already handled"))
    outcome = (outcome or "").strip()
    if not outcome:
        raise field_error("outcome", _("Say what was done"))
    alert.status, alert.outcome = AlertStatus.HANDLED, outcome[:300]
    alert.handled_at = timezone.now()
    alert.handled_by = acting_user(actor)
    alert.save(update_fields=["status", "outcome", "handled_at", "handled_by"])
    event_record(
        actor=actor,
        action="health_alert.handled",
        obj=alert,
        person_id=alert.person_id,
        field="status",
        from_value=AlertStatus.OPEN,
        to_value=AlertStatus.HANDLED,
        reason=alert.outcome,
    )
    return alert
