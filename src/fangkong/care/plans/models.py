"""Health plans for key persons (健康安全保障方案, issue 17 item 1): a plan per person kept by the
community, with the contact hospital, what to do in an emergency, and the standing needs that
raise care requests on their days (`care/plans/generate.py`)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.care.models import CareRequest, Facility, RequestType
from fangkong.core.words import listing
from fangkong.people.models import Resident


class PlanCategory(models.TextChoices):
    ELDERLY_ALONE = "elderly_alone", _("Elderly living alone")
    DIALYSIS = "dialysis", _("Dialysis")
    PREGNANT = "pregnant", _("Pregnant")
    CHEMO = "chemo", _("Chemo- / radiotherapy")
    CHRONIC = "chronic", _("Chronic disease")
    INFANT = "infant", _("Infant")
    DISABLED = "disabled", _("Disabled")
    MENTAL = "mental", _("Mental illness")
    OTHER = "other", _("Other")


class HealthPlan(models.Model):
    """One key person's plan: who they are (category), their contact hospital, what to do in
    an emergency; the standing needs hang off it."""

    person = models.OneToOneField(Resident, on_delete=models.PROTECT, related_name="health_plan")
    category = models.CharField(_("category"), max_length=16, choices=PlanCategory.choices)
    contact_hospital = models.ForeignKey(
        Facility,
        verbose_name=_("contact hospital"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    emergency = models.CharField(_("in an emergency"), max_length=500, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    kept_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["division_key", "id"]
        verbose_name = _("health plan")
        verbose_name_plural = _("health plans")

    def __str__(self) -> str:
        return str(self.person)


# Monday = 0, as `date.weekday()`.
WEEKDAYS = (
    ("0", _("Mon")),
    ("1", _("Tue")),
    ("2", _("Wed")),
    ("3", _("Thu")),
    ("4", _("Fri")),
    ("5", _("Sat")),
    ("6", _("Sun")),
)


class Repeat(models.TextChoices):
    WEEKLY = "weekly", _("On days of the week")
    EVERY = "every", _("Every so many days")
    ONCE = "once", _("Once, on a day")


class StandingNeed(models.Model):
    """A need that falls due on known days: dialysis Mon/Wed/Fri at centre X, insulin every 30
    days, a due date. Each day it falls due, the daily job raises a care request of `type`."""

    plan = models.ForeignKey(HealthPlan, on_delete=models.CASCADE, related_name="needs")
    type = models.CharField(_("request type"), max_length=16, choices=RequestType.choices)
    description = models.CharField(_("description"), max_length=300, blank=True)
    facility = models.ForeignKey(
        Facility,
        verbose_name=_("at"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    repeat = models.CharField(_("repeats"), max_length=8, choices=Repeat.choices)
    # Days of the week, Monday = 0: "024" is Monday, Wednesday and Friday.
    weekdays = models.CharField(_("days of the week"), max_length=7, blank=True)
    every_days = models.PositiveSmallIntegerField(_("every (days)"), null=True, blank=True)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["plan_id", "id"]
        indexes = [models.Index(fields=["active", "division_key"], name="care_need_active_key")]
        verbose_name = _("standing need")
        verbose_name_plural = _("standing needs")

    def __str__(self) -> str:
        return f"{self.get_type_display()} · {self.plan}"

    @property
    def weekday_labels(self) -> str:
        names = dict(WEEKDAYS)
        return listing(str(names[c]) for c in self.weekdays if c in names)


class NeedOccurrence(models.Model):
    """A day a standing need fell due and the request raised for it: (need, day) once only,
    so the daily job may run again the same day and raise nothing new."""

    need = models.ForeignKey(StandingNeed, on_delete=models.CASCADE, related_name="occurrences")
    day = models.DateField(_("day"))
    request = models.OneToOneField(CareRequest, on_delete=models.PROTECT, related_name="occurrence")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-day", "id"]
        constraints = [models.UniqueConstraint(fields=["need", "day"], name="care_need_day_once")]
        verbose_name = _("need falling due")
        verbose_name_plural = _("needs falling due")

    def __str__(self) -> str:
        return f"{self.need} · {self.day.isoformat()}"
