"""The hospital side (issue 17, item 5): a refusal, or no confirmation of admission within the
request's SLA clock, is a first-diagnosis-responsibility incident (首诊负责制), escalated to the
command centre at once."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IncidentKind(models.TextChoices):
    REFUSED = "refused", _("Refused the patient")
    NOT_CONFIRMED = "not_confirmed", _("No confirmation within the SLA")


class RefusalReason(models.TextChoices):
    """What a facility may give as its reason. "No test result" is never one: no reason excuses
    a refusal, and a missing test result least of all."""

    NO_BED = "no_bed", _("No bed free")
    NO_DEPARTMENT = "no_department", _("The department or equipment needed is not available")
    NO_STAFF = "no_staff", _("No doctor on duty for this")
    OTHER = "other", _("Other (say what)")


class Incident(models.Model):
    """A first-diagnosis-responsibility incident: who, which request, why, when."""

    request = models.ForeignKey(
        "care.CareRequest",
        on_delete=models.PROTECT,
        related_name="incidents",
        verbose_name=_("request"),
    )
    facility = models.ForeignKey(
        "care.Facility",
        on_delete=models.PROTECT,
        related_name="incidents",
        verbose_name=_("facility"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=IncidentKind.choices)
    reason = models.CharField(_("reason"), max_length=16, choices=RefusalReason.choices, blank=True)
    reason_text = models.CharField(_("in the facility's words"), max_length=500, blank=True)
    # The reason says "no test result" (无核酸结果) in some words: never an accepted reason.
    flagged = models.BooleanField(_("gives no test result as the reason"), default=False)
    happened_at = models.DateTimeField(_("happened at"))
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    escalated_at = models.DateTimeField(_("escalated to the command centre at"))
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Resolved by the command centre (or the task force): what was done, on what basis, when it
    # happened (valid time) and when it was written (system time).
    resolution = models.CharField(_("what was done"), max_length=500, blank=True)
    resolution_basis = models.CharField(_("basis"), max_length=300, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution_recorded_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-happened_at", "-id"]
        constraints = [
            # The sweep and the board both record a missed SLA: once per request and facility.
            models.UniqueConstraint(
                fields=["request", "facility"],
                condition=Q(kind="not_confirmed"),
                name="care_incident_missed_once",
            )
        ]
        indexes = [models.Index(fields=["happened_at"], name="care_incident_happened")]
        verbose_name = _("first-diagnosis incident")
        verbose_name_plural = _("first-diagnosis incidents")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"
