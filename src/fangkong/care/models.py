"""Medical care for people under control (issue 17): the facilities patients are routed to and
the requests for care, each routed by the routing table of the policy profile in force
(`policy.schema.CareRouting`).

A facility's `division_key` is its place's; a request's is the person's home, so the community
that must act sees it; `facility` is where the rule sent it (a hospital account sees only the
requests routed to the facilities it staffs).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.people.models import Resident
from fangkong.places.models import Division


class FacilityKind(models.TextChoices):
    """The kinds a routing rule sends requests to (`policy.schema.FacilityKind`)."""

    DESIGNATED = "designated", _("Designated hospital campus")
    GENERAL = "general", _("General hospital")
    FEVER_CLINIC = "fever_clinic", _("Fever clinic")
    DIALYSIS = "dialysis", _("Dialysis centre")
    MATERNITY = "maternity", _("Maternity hospital")
    PHARMACY = "pharmacy", _("Pharmacy")
    INTERNET = "internet", _("Internet hospital")
    DISPATCH_120 = "dispatch_120", _("120 dispatch centre")


class Capability(models.TextChoices):
    EMERGENCY = "emergency", _("Emergency department")
    DIALYSIS = "dialysis", _("Haemodialysis")
    DELIVERY = "delivery", _("Obstetrics and delivery")
    CHEMO = "chemo", _("Chemo- and radiotherapy")
    FEVER = "fever", _("Fever clinic")
    PAEDIATRICS = "paediatrics", _("Paediatrics")
    PSYCHIATRY = "psychiatry", _("Psychiatry and counselling")
    PHARMACY = "pharmacy", _("Dispensing")
    ONLINE = "online", _("Online consultations")


class Facility(models.Model):
    """A hospital, clinic, pharmacy or dispatch centre requests can be routed to."""

    code = models.CharField(_("facility code"), max_length=32, unique=True)
    name = models.CharField(pgettext_lazy("of a thing", "name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=FacilityKind.choices)
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="facilities")
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("direct line"), max_length=20, blank=True)
    capabilities = models.JSONField(_("capabilities"), default=list, blank=True)
    active = models.BooleanField(_("in service"), default=True)
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="facilities")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["kind", "active"], name="care_facility_kind_active")]
        verbose_name = _("medical facility")
        verbose_name_plural = _("medical facilities")

    def __str__(self) -> str:
        return self.name


class RequestType(models.TextChoices):
    """What a request asks for (`policy.schema.RequestType`)."""

    EMERGENCY = "emergency", _("Emergency")
    FEVER = "fever", _("Fever or respiratory symptoms")
    DIALYSIS = "dialysis", _("Dialysis session")
    DELIVERY = "delivery", _("Pregnancy / delivery")
    CHEMO = "chemo", _("Chemo / radiotherapy")
    MEDICINE = "medicine", _("Medicine refill")
    MENTAL_HEALTH = "mental_health", _("Mental health")
    OTHER = "other", _("Other")


class ControlState(models.TextChoices):
    """The person's control state when the request was raised, most restrictive first
    (`policy.schema.ControlState`)."""

    CASE = "case", _("Case (confirmed or suspected)")
    SEALED_ZONE = "sealed_zone", _("In a sealed zone")
    CONTROLLED_ZONE = "controlled_zone", _("In a controlled zone")
    QUARANTINE = "quarantine", _("Under a quarantine measure")
    RED_CODE = "red_code", _("Red health code")
    YELLOW_CODE = "yellow_code", _("Yellow health code")
    NONE = "none", _("Not under control")


class Channel(models.TextChoices):
    RESIDENT = "resident", _("The resident (phone page)")
    GRID = "grid", _("Grid worker")
    QUARANTINE_SITE = "quarantine_site", _("Quarantine site")
    HOTLINE = "hotline", _("Hotline operator")
    TASK_FORCE = "task_force", _("Medical task force")
    PLAN = "plan", _("Health plan (a standing need)")


class CareRequestStatus(models.TextChoices):
    """FHIR Task-like: requested → routed → accepted → completed; cancelled with a reason."""

    REQUESTED = "requested", _("Requested (not yet routed)")
    ROUTED = "routed", _("Routed")
    ACCEPTED = "accepted", _("Accepted by the facility")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


# The API document names an enum by its class: `CareRequestStatus`, not a second `RequestStatus`.
RequestStatus = CareRequestStatus


class CareRequest(models.Model):
    """A person's request for medical care, with the control state it was raised in and the
    routing rule that sent it where it went (rule number, profile code and version, in words)."""

    person = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="care_requests")
    type = models.CharField(_("request type"), max_length=16, choices=RequestType.choices)
    control_state = models.CharField(
        _("control state"), max_length=16, choices=ControlState.choices
    )
    state_basis = models.CharField(_("control state from"), max_length=300, blank=True)
    channel = models.CharField(_("raised by"), max_length=16, choices=Channel.choices)
    description = models.CharField(_("description"), max_length=1000, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=RequestStatus.choices, default=RequestStatus.REQUESTED
    )
    # Where the rule sent it, and which rule (index in the profile's table, from 1).
    destination = models.CharField(
        _("destination"), max_length=16, choices=FacilityKind.choices, blank=True
    )
    facility = models.ForeignKey(
        Facility,
        verbose_name=_("facility"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
        # (facility, status) below serves every lookup by facility: one index less to write
        # for each request routed.
        db_index=False,
    )
    via_120 = models.BooleanField(_("by 120"), default=False)
    closed_loop = models.BooleanField(_("closed-loop vehicle"), default=False)
    sla_minutes = models.PositiveIntegerField(_("answer within (minutes)"), null=True, blank=True)
    due_at = models.DateTimeField(_("due by"), null=True, blank=True)
    # How the facility was chosen: "named" by the rule, "none" in service, or the level of
    # the node it shares with the person's home ("community", "street"…): care/routing/engine.py.
    facility_match = models.CharField(max_length=12, blank=True)
    rule_number = models.PositiveSmallIntegerField(_("rule"), null=True, blank=True)
    profile_code = models.CharField(_("policy profile"), max_length=40, blank=True)
    profile_version = models.PositiveIntegerField(_("profile version"), null=True, blank=True)
    routed_at = models.DateTimeField(_("routed at"), null=True, blank=True)
    # When it was completed or cancelled (valid time, given or now; the audit event records
    # when it was written): figures "as of T" count it open until then.
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    # When the need arose (valid time, given or now) and when it was written (system time).
    raised_at = models.DateTimeField(_("raised at"), default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(fields=["status", "division_key"], name="care_request_status_key"),
            models.Index(fields=["facility", "status"], name="care_request_facility"),
            # The board: open requests, the clock that runs out first on top.
            models.Index(
                fields=["due_at", "id"],
                condition=Q(status__in=["requested", "routed", "accepted"]),
                name="care_request_open_due",
            ),
        ]
        verbose_name = _("medical request")
        verbose_name_plural = _("medical requests")

    def __str__(self) -> str:
        return f"{self.get_type_display()} #{self.pk}"


# 120 dispatch, the hospital side, health plans, medicine delivery and direct lines live in their
# subpackages; imported here so Django finds them as the care app's models.
from fangkong.care.admission.models import Incident  # noqa: E402, F401
from fangkong.care.dispatch.models import Dispatch, Vehicle  # noqa: E402, F401
from fangkong.care.lines.models import DirectLine, LineKind  # noqa: E402, F401
from fangkong.care.medicine.models import (  # noqa: E402, F401
    DeliverTo,
    MedicineBatch,
    MedicineCourse,
    MedicineOrder,
    OrderStatus,
)
from fangkong.care.plans.models import (  # noqa: E402, F401
    WEEKDAYS,
    HealthPlan,
    NeedOccurrence,
    PlanCategory,
    Repeat,
    StandingNeed,
)
