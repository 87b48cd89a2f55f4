"""120 linkage (issue 17, item 4): the ambulances of the 120 centres and the dispatch of each
emergency request routed by 120 (or handed over by 110): vehicle assigned, picked up, arrived,
handed over, each with the time it happened (valid time) and the time it was written."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Vehicle(models.Model):
    """An ambulance of a 120 dispatch centre."""

    centre = models.ForeignKey(
        "care.Facility",
        verbose_name=_("120 centre"),
        on_delete=models.PROTECT,
        related_name="vehicles",
    )
    plate = models.CharField(_("number plate"), max_length=16, unique=True)
    call_sign = models.CharField(_("call sign"), max_length=32, blank=True)
    active = models.BooleanField(_("in service"), default=True)
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["plate"]
        verbose_name = _("ambulance")
        verbose_name_plural = _("ambulances")

    def __str__(self) -> str:
        return f"{self.plate} {self.call_sign}".strip()


class Stage(models.TextChoices):
    QUEUED = "queued", _("Waiting for a vehicle")
    ASSIGNED = "assigned", _("Vehicle assigned")
    PICKED_UP = "picked_up", _("Patient picked up")
    ARRIVED = "arrived", _("Arrived at the hospital")
    HANDED_OVER = "handed_over", _("Handed over to the hospital")


class Source(models.TextChoices):
    CARE = "care", _("Routed by the care table")
    POLICE_110 = "110", _("Transferred from 110")


class Dispatch(models.Model):
    """The 120 side of one request; the four steps, each dated twice."""

    request = models.OneToOneField(
        "care.CareRequest",
        on_delete=models.PROTECT,
        related_name="dispatch",
        verbose_name=_("request"),
    )
    source = models.CharField(_("came from"), max_length=8, choices=Source.choices)
    ref_110 = models.CharField(_("110 reference number"), max_length=32, blank=True)
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices, default=Stage.QUEUED)
    vehicle = models.ForeignKey(
        Vehicle,
        verbose_name=_("vehicle"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dispatches",
    )
    assigned_at = models.DateTimeField(_("vehicle assigned at"), null=True, blank=True)
    assigned_recorded = models.DateTimeField(null=True, blank=True, editable=False)
    picked_up_at = models.DateTimeField(_("picked up at"), null=True, blank=True)
    picked_up_recorded = models.DateTimeField(null=True, blank=True, editable=False)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    arrived_recorded = models.DateTimeField(null=True, blank=True, editable=False)
    handed_over_at = models.DateTimeField(_("handed over at"), null=True, blank=True)
    handed_over_recorded = models.DateTimeField(null=True, blank=True, editable=False)
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("120 dispatch")
        verbose_name_plural = _("120 dispatches")

    def __str__(self) -> str:
        return f"120 #{self.request_id}"
