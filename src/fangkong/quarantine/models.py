"""Quarantine and isolation: measures (a person's schedule), sites, rooms, stays, checks, transfers.

A `Measure` is what one person must do under one category (close contact, left a high-risk area,
inbound traveller, …): phases (centralised quarantine, home quarantine, home health monitoring)
and test days, computed from the active policy profile and counted from the category's anchor
date (last exposure, departure, arrival, leaving the closed loop). Its `division_key` is where
the person lives: the community owns the home phases. A `Stay` puts the person in a room of a
quarantine `Site`; its `division_key` is the site's, so the site's staff see who is there.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.people.models import Resident
from fangkong.places.models import Division


class Category(models.TextChoices):
    CLOSE_CONTACT = "close_contact", _("Close contact")
    SECONDARY_CONTACT = "secondary_contact", _("Secondary contact")
    HIGH_RISK_AREA_LEAVER = "high_risk_area_leaver", _("Left a high-risk area")
    INBOUND_TRAVELLER = "inbound_traveller", _("Inbound traveller")
    RISK_POST_LEAVER = "risk_post_leaver", _("Risk post leaving the closed loop")


class PhaseKind(models.TextChoices):
    CENTRALISED = "centralised", _("Centralised quarantine")
    HOME_QUARANTINE = "home_quarantine", _("Home quarantine")
    HOME_MONITORING = "home_monitoring", _("Home health monitoring")
    CENTRALISED_OR_HOME = "centralised_or_home", _("Centralised or home quarantine")


class MeasureStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    RELEASED = "released", _("Released")
    TRANSFERRED = "transferred", _("Transferred (closed loop)")
    ENDED = "ended", _("Ended")


class Measure(models.Model):
    """One person's control measure under one category, planned from a policy profile."""

    person = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="measures")
    category = models.CharField(_("category"), max_length=24, choices=Category.choices)
    anchor_on = models.DateField(
        _("counted from"), help_text=_("Last exposure, departure, arrival or leaving the loop")
    )
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    status = models.CharField(
        _("status"), max_length=12, choices=MeasureStatus.choices, default=MeasureStatus.ACTIVE
    )
    profile_code = models.CharField(_("policy profile"), max_length=40)
    profile_version = models.PositiveIntegerField(_("profile version"))
    source = models.CharField(_("source"), max_length=40, blank=True)  # e.g. "contact:12"
    note = models.CharField(_("note"), max_length=300, blank=True)
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    # When the person was placed under the measure (valid time, given or now); `created_at` is
    # when the row was written (system time). Figures as of a moment count it from `started_at`
    # until `closed_at` (when it ended, released or transferred: valid time too).
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.CharField(_("reason"), max_length=300, blank=True)
    certificate_number = models.CharField(_("certificate number"), max_length=40, blank=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status="active"),
                name="one_active_measure_per_person",
            ),
            models.UniqueConstraint(
                fields=["certificate_number"],
                condition=~Q(certificate_number=""),
                name="release_certificate_once",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "ends_on"], name="measure_status_end"),
            models.Index(fields=["started_at"], name="measure_started"),  # command dashboard
            models.Index(fields=["closed_at"], name="measure_closed"),
        ]
        verbose_name = _("control measure")
        verbose_name_plural = _("control measures")

    def __str__(self) -> str:
        return f"{self.person} · {self.get_category_display()}"


class MeasurePhase(models.Model):
    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="phases")
    order = models.PositiveSmallIntegerField()
    kind = models.CharField(_("phase"), max_length=24, choices=PhaseKind.choices)
    first_day = models.DateField(_("from"))
    last_day = models.DateField(_("until"))

    class Meta:
        ordering = ["measure_id", "order"]
        constraints = [
            models.UniqueConstraint(fields=["measure", "order"], name="measure_phase_order")
        ]
        verbose_name = _("phase")
        verbose_name_plural = _("phases")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.first_day}–{self.last_day}"


class DueTestStatus(models.TextChoices):
    DUE = "due", _("Due")
    SAMPLED = "sampled", _("Sampled")
    NEGATIVE = "negative", _("Negative")
    POSITIVE = "positive", _("Positive")
    MISSED = "missed", _("Missed")


class ScheduledTest(models.Model):
    """A test day of a measure: a sampling task for the site (centralised) or the community."""

    __test__ = False  # not a pytest class

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="tests")
    person = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("due on"))
    phase_kind = models.CharField(_("phase"), max_length=24, choices=PhaseKind.choices)
    day_number = models.PositiveSmallIntegerField(_("day of phase"))
    status = models.CharField(
        _("status"), max_length=10, choices=DueTestStatus.choices, default=DueTestStatus.DUE
    )
    tube = models.ForeignKey(
        "lab.Tube", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sampled_at = models.DateTimeField(_("sampled at"), null=True, blank=True)
    resulted_at = models.DateTimeField(_("result at"), null=True, blank=True)
    division_key = models.CharField(max_length=24, db_index=True, editable=False)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["measure", "due_on"], name="scheduled_test_once_a_day")
        ]
        indexes = [models.Index(fields=["due_on", "status"], name="scheduled_test_due")]
        verbose_name = _("scheduled test")
        verbose_name_plural = _("scheduled tests")

    def __str__(self) -> str:
        return f"{self.person_id} {self.due_on}"


# Sites, rooms, stays ------------------------------------------------------------------------


class SiteKind(models.TextChoices):
    HOTEL = "hotel", _("Hotel")
    PURPOSE_BUILT = "purpose_built", _("Purpose-built quarantine facility")
    DORMITORY = "dormitory", _("Dormitory / training centre")
    OTHER = "other", _("Other")


class Site(models.Model):
    """A centralised quarantine site (集中隔离点)."""

    code = models.CharField(
        pgettext_lazy("quarantine site", "site code"), max_length=20, unique=True
    )
    name = models.CharField(pgettext_lazy("of a thing", "name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=SiteKind.choices)
    address = models.CharField(_("address"), max_length=200, blank=True)
    division = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="quarantine_sites"
    )
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    active = models.BooleanField(_("in use"), default=True)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="quarantine_sites"
    )
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    # When the site opened (valid time, given or now) and, while out of use, when it was closed
    # or suspended; `created_at` is when the row was written. Each change of `active` is an
    # audit event dated when it happened, so the figures read whether a site was in use at T.
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["division_key", "code"]
        verbose_name = _("quarantine site")
        verbose_name_plural = _("quarantine sites")

    def __str__(self) -> str:
        return self.name


class RoomStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    OCCUPIED = "occupied", _("Occupied")
    CLEANING = "cleaning", _("Awaiting disinfection")
    CLOSED = "closed", _("Closed")


class Room(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="rooms")
    building = models.CharField(_("building"), max_length=20, blank=True)
    floor = models.SmallIntegerField(_("floor"))
    number = models.CharField(_("room"), max_length=20)
    beds = models.PositiveSmallIntegerField(_("beds"), default=1)
    accessible = models.BooleanField(_("accessible"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=RoomStatus.choices, default=RoomStatus.AVAILABLE
    )
    division_key = models.CharField(max_length=24, db_index=True, editable=False)

    class Meta:
        ordering = ["site_id", "building", "floor", "number"]
        constraints = [
            models.UniqueConstraint(fields=["site", "building", "number"], name="room_once")
        ]
        indexes = [models.Index(fields=["site", "status"], name="room_site_status")]
        verbose_name = _("room")
        verbose_name_plural = _("rooms")

    def __str__(self) -> str:
        return f"{self.building}-{self.number}" if self.building else self.number


class StayStatus(models.TextChoices):
    PLANNED = "planned", _("Allocated, not yet arrived")
    IN = "in", _("In the room")
    RELEASED = "released", _("Released")
    TRANSFERRED = "transferred", _("Transferred out")
    MOVED = "moved", _("Moved to another room")
    CANCELLED = "cancelled", _("Cancelled")


STAY_OPEN = (StayStatus.PLANNED, StayStatus.IN)


class AllocationBatch(models.Model):
    """A reviewed set of room assignments: confirmed whole, or not at all."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft (not yet confirmed)")
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    category = models.CharField(_("category"), max_length=24, choices=Category.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    plan = models.JSONField(default=list)  # [{"person": id, "room": id, "household": id}, …]
    unplaced = models.JSONField(default=list)  # [{"person": id, "reason": "…"}, …]
    division_key = models.CharField(max_length=24, db_index=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("allocation batch")
        verbose_name_plural = _("allocation batches")

    def __str__(self) -> str:
        return f"#{self.pk}"


class Stay(models.Model):
    person = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="stays")
    measure = models.ForeignKey(Measure, null=True, on_delete=models.PROTECT, related_name="stays")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="stays")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="stays")
    batch = models.ForeignKey(
        AllocationBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="stays"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=StayStatus.choices, default=StayStatus.PLANNED
    )
    allocated_at = models.DateTimeField(default=timezone.now)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out"), null=True, blank=True)
    division_key = models.CharField(max_length=24, db_index=True, editable=False)  # the site's

    class Meta:
        ordering = ["-allocated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status__in=["planned", "in"]),
                name="one_open_stay_per_person",
            )
        ]
        indexes = [
            models.Index(fields=["room", "status"], name="stay_room_status"),
            models.Index(fields=["checked_in_at"], name="stay_checked_in"),  # command dashboard
            models.Index(fields=["checked_out_at"], name="stay_checked_out"),
        ]
        verbose_name = _("stay")
        verbose_name_plural = _("stays")

    def __str__(self) -> str:
        return f"{self.person} @ {self.room}"


# Daily health checks ---------------------------------------------------------------------------


class HealthCheck(models.Model):
    """A day's temperature and symptoms for a person under a measure (site or home).

    A day of a home phase that ended with nothing recorded gets a row with `missed` set and no
    temperature (the daily job writes them); recording that day later fills the same row.
    """

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="checks")
    person = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="+")
    stay = models.ForeignKey(
        Stay, null=True, blank=True, on_delete=models.SET_NULL, related_name="checks"
    )
    day = models.DateField(_("day"))
    temperature = models.DecimalField(
        _("temperature (°C)"), max_digits=3, decimal_places=1, null=True, blank=True
    )
    symptoms = models.JSONField(_("symptoms"), default=list, blank=True)
    symptom_other = models.CharField(_("other symptom"), max_length=100, blank=True)
    abnormal = models.BooleanField(_("abnormal"), default=False)
    missed = models.BooleanField(_("missed"), default=False)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    division_key = models.CharField(max_length=24, db_index=True, editable=False)

    class Meta:
        ordering = ["-day", "id"]
        constraints = [
            models.UniqueConstraint(fields=["measure", "day"], name="health_check_once_a_day")
        ]
        indexes = [models.Index(fields=["missed", "day"], name="health_check_missed")]
        verbose_name = _("health check")
        verbose_name_plural = _("health checks")

    def __str__(self) -> str:
        return f"{self.person_id} {self.day} {self.temperature}"


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    HANDLED = "handled", _("Handled")


class HealthAlert(models.Model):
    """An abnormal health check, raised to the medical task force."""

    check_record = models.OneToOneField(HealthCheck, on_delete=models.CASCADE, related_name="alert")
    person = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=300)
    status = models.CharField(
        _("status"), max_length=10, choices=AlertStatus.choices, default=AlertStatus.OPEN
    )
    raised_at = models.DateTimeField(default=timezone.now)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=300, blank=True)
    division_key = models.CharField(max_length=24, db_index=True, editable=False)

    class Meta:
        ordering = ["-raised_at"]
        verbose_name = _("health alert")
        verbose_name_plural = _("health alerts")

    def __str__(self) -> str:
        return self.reason


# Transfers ---------------------------------------------------------------------------------------


class TransferStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    DEPARTED = "departed", _("On the way")
    HANDED_OVER = "handed_over", _("Handed over")
    CANCELLED = "cancelled", _("Cancelled")


class TransferDestination(models.TextChoices):
    DESIGNATED_HOSPITAL = "designated_hospital", _("Designated hospital")
    SHELTER_HOSPITAL = "shelter_hospital", _("Shelter hospital")


class Transfer(models.Model):
    """A closed-loop transfer (闭环转运) of a positive person to a hospital."""

    person = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="transfers")
    stay = models.ForeignKey(
        Stay, null=True, blank=True, on_delete=models.SET_NULL, related_name="transfers"
    )
    measure = models.ForeignKey(
        Measure, null=True, blank=True, on_delete=models.SET_NULL, related_name="transfers"
    )
    case = models.ForeignKey(
        "epi.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    destination_kind = models.CharField(
        _("destination"), max_length=24, choices=TransferDestination.choices
    )
    destination = models.CharField(_("hospital"), max_length=120)
    vehicle = models.CharField(_("vehicle"), max_length=40, blank=True)
    escort = models.CharField(_("escort"), max_length=60, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=TransferStatus.choices, default=TransferStatus.REQUESTED
    )
    requested_at = models.DateTimeField(default=timezone.now)
    departed_at = models.DateTimeField(_("departed at"), null=True, blank=True)
    handed_over_at = models.DateTimeField(_("handed over at"), null=True, blank=True)
    received_by = models.CharField(_("received by"), max_length=60, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    division_key = models.CharField(max_length=24, db_index=True, editable=False)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status__in=["requested", "departed"]),
                name="one_open_transfer_per_person",
            )
        ]
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")

    def __str__(self) -> str:
        return f"{self.person} → {self.destination}"
