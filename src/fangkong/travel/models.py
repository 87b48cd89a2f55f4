"""Trip reports (报备), arrival tests (落地检) and hand-overs to the destination (落地管).

A `Trip` is one journey into the city: who (matched to a `Resident` by ID number; a traveller the
registry does not know is registered as a non-resident at the destination when staff first handle
the trip), from where, leaving when, arriving when and where to. Its destination is the smallest
place the address names (a unit, in a grid) and its `division_key` the destination's, so the
grid's worker sees it, and the community, street and district above. At the checkpoint an
`ArrivalTest` is recorded and the trip is handed over: the active profile's measure for the
origin (left a high-risk area, inbound from abroad) is started and the destination community gets
a `Handover` with the obligations in plain words, which it acknowledges.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.lab.models import Outcome, SamplingSite, Tube
from fangkong.people.idnumber import mask_id_number, mask_phone
from fangkong.people.models import Resident
from fangkong.places.models import Division
from fangkong.quarantine.models import Measure


class OriginKind(models.TextChoices):
    HIGH_RISK_AREA = "high_risk_area", _("Domestic high-risk area")
    DOMESTIC = "domestic", _("Elsewhere in China")
    ABROAD = "abroad", _("Abroad (inbound)")


class Transport(models.TextChoices):
    FLIGHT = "flight", _("Flight")
    TRAIN = "train", _("Train")
    COACH = "coach", _("Coach")
    CAR = "car", _("Car")
    SHIP = "ship", _("Ship")
    OTHER = "other", _("Other")


class ReportedBy(models.TextChoices):
    SELF = "self", _("The traveller (public form)")
    STAFF = "staff", _("Staff")


class TripStatus(models.TextChoices):
    REPORTED = "reported", _("Reported")
    ARRIVED = "arrived", _("Arrived")
    HANDED_OVER = "handed_over", _("Handed over")
    COMPLETED = "completed", _("Completed")
    NO_OBLIGATIONS = "no_obligations", _("Completed: no obligations")


class Trip(models.Model):
    """One journey into the city, reported by the traveller or by staff."""

    code = models.CharField(_("trip code"), max_length=12, unique=True)
    person = models.ForeignKey(
        Resident, null=True, blank=True, on_delete=models.PROTECT, related_name="trips"
    )
    name = models.CharField(_("name"), max_length=60)
    id_number = models.CharField(_("ID number"), max_length=18)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    origin = models.CharField(_("coming from"), max_length=200)
    origin_kind = models.CharField(_("origin"), max_length=16, choices=OriginKind.choices)
    departed_on = models.DateField(_("left on"))
    arriving_at = models.DateTimeField(_("arriving at"))
    arriving_on = models.DateField(_("arrival day"), editable=False)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    transport = models.CharField(_("transport"), max_length=8, choices=Transport.choices)
    transport_number = models.CharField(_("flight / train / plate"), max_length=40, blank=True)
    destination = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    address = models.CharField(_("address"), max_length=200, blank=True)
    reported_by = models.CharField(_("reported by"), max_length=8, choices=ReportedBy.choices)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=TripStatus.choices, default=TripStatus.REPORTED
    )
    category = models.CharField(_("category"), max_length=24, blank=True)
    basis = models.CharField(_("basis"), max_length=300, blank=True)
    outcome_note = models.CharField(_("note"), max_length=300, blank=True)
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-arriving_at", "-id"]
        constraints = [  # its index also serves look-ups by ID number at the checkpoint
            models.UniqueConstraint(fields=["id_number", "arriving_on"], name="trip_once_a_day"),
        ]
        indexes = [
            models.Index(fields=["arriving_on", "status"], name="trip_day_status"),
        ]
        verbose_name = _("trip")
        verbose_name_plural = _("trips")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


class ArrivalTest(models.Model):
    """The test taken at the checkpoint; its result is the tube's once the lab reports it."""

    __test__ = False  # not a pytest class

    trip = models.OneToOneField(Trip, on_delete=models.CASCADE, related_name="arrival_test")
    checkpoint = models.CharField(_("checkpoint"), max_length=120)
    site = models.ForeignKey(
        SamplingSite, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sampled_at = models.DateTimeField(_("sampled at"))
    barcode = models.CharField(_("tube barcode"), max_length=40, blank=True)
    tube = models.ForeignKey(
        Tube, null=True, blank=True, on_delete=models.SET_NULL, related_name="arrival_tests"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    division_key = models.CharField(max_length=24, db_index=True, editable=False)

    class Meta:
        ordering = ["-sampled_at", "-id"]
        verbose_name = _("arrival test")
        verbose_name_plural = _("arrival tests")

    def __str__(self) -> str:
        return f"{self.trip_id} {self.barcode}"

    @property
    def result(self) -> str:
        """The lab's outcome ("negative"/"positive"), or "" while it is not known."""
        found = getattr(self.tube, "result", None) if self.tube is not None else None
        return str(found.outcome) if found is not None else ""

    def get_result_display(self) -> str:
        return str(Outcome(self.result).label) if self.result else ""


class Handover(models.Model):
    """A traveller handed to the destination community with the measure they must keep."""

    trip = models.OneToOneField(Trip, on_delete=models.CASCADE, related_name="handover")
    measure = models.OneToOneField(Measure, on_delete=models.PROTECT, related_name="handover")
    community = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    obligations = models.JSONField(
        _("obligations"), default=dict
    )  # {"category", "phases": [[kind, first, last]], "tests": [day, …], "profile"}
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    division_key = models.CharField(max_length=24, db_index=True, editable=False)

    class Meta:
        ordering = ["acknowledged_at", "-created_at", "-id"]
        verbose_name = _("hand-over")
        verbose_name_plural = _("hand-overs")

    def __str__(self) -> str:
        return f"{self.trip} → {self.community}"
