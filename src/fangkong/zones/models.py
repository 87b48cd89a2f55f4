"""Risk zones (风险区 / 封控区·管控区·防范区): their area, level history and daily evaluations.

A zone covers jurisdiction nodes (`ZoneArea` rows with a Division); a drawn polygon is kept as
GeoJSON on an area row without a Division, and the buildings found inside it become node rows
that point back to it. Everything that asks "who is in the zone" reads the node rows' keys.

Levels are the names of the active profile's scheme (`rules.zones.levels`, most restrictive
first); the least restrictive level means the zone is lifted. `ZoneChange` keeps every level a
zone had and when, so figures for a past day come from history, not from today's state.
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.epi.models import Case
from fangkong.places.models import Division


class ZoneStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed (not in force)")
    ACTIVE = "active", _("In force")
    LIFTED = "lifted", _("Lifted")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Zone(models.Model):
    name = models.CharField(pgettext_lazy("of a thing", "name"), max_length=200)
    level = models.CharField(_("level"), max_length=20)
    status = models.CharField(
        _("status"), max_length=10, choices=ZoneStatus.choices, default=ZoneStatus.ACTIVE
    )
    started_at = models.DateTimeField(_("in force since"))
    level_since = models.DateTimeField(_("at this level since"))
    ended_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    reason = models.TextField(_("reason"))
    cases = models.ManyToManyField(Case, related_name="zones", blank=True)
    profile_code = models.CharField(max_length=40)
    profile_version = models.PositiveIntegerField(default=1)
    people = models.PositiveIntegerField(_("people"), default=0)  # registry count, refreshed daily
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["status", "level"], name="zone_status_level")]
        verbose_name = _("risk zone")
        verbose_name_plural = _("risk zones")

    def __str__(self) -> str:
        return self.name


class ZoneArea(models.Model):
    """A node the zone covers, or the drawn polygon (division empty, geometry set)."""

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="areas")
    division = models.ForeignKey(
        Division, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    division_key = models.CharField(max_length=24, db_index=True, blank=True)
    geometry = models.JSONField(null=True, blank=True)  # GeoJSON Polygon, lon/lat order
    polygon = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="inside"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["division_key", "id"]
        verbose_name = _("zone area")
        verbose_name_plural = _("zone areas")

    def __str__(self) -> str:
        return self.division_key or "polygon"


class ChangeKind(models.TextChoices):
    DRAWN = "drawn", _("Put in force")
    DOWNGRADED = "downgraded", _("Downgraded")
    ESCALATED = "escalated", _("Escalated")
    LIFTED = "lifted", _("Lifted")
    EXTENDED = "extended", _("Area extended")


class ZoneChange(models.Model):
    """One step in a zone's history: its level (and people inside) from `at` on.

    `at` is when it happened (valid time: typed or sent, now by default), `recorded_at` when
    it was entered (system time); the figures as of a moment read `at`."""

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(_("change"), max_length=12, choices=ChangeKind.choices)
    from_level = models.CharField(_("from"), max_length=20, blank=True)
    to_level = models.CharField(_("to"), max_length=20)
    at = models.DateTimeField(_("time"), db_index=True)
    recorded_at = models.DateTimeField(_("recorded at"), db_default=Now(), editable=False)
    people = models.PositiveIntegerField(_("people"), default=0)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    evidence = models.JSONField(default=dict, blank=True)
    evaluation = models.ForeignKey(
        "ZoneEvaluation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    division_key = models.CharField(max_length=24, db_index=True, editable=False)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("zone change")
        verbose_name_plural = _("zone changes")

    def __str__(self) -> str:
        return f"{self.zone_id} {self.from_level}→{self.to_level}"


class Verdict(models.TextChoices):
    NOT_MET = "not_met", _("Rule not met")
    PROPOSED = "proposed", _("Change proposed")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SUPERSEDED = "superseded", _("Superseded")


class ZoneEvaluation(models.Model):
    """A day's check of one zone against its profile's rule, with the evidence used."""

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="evaluations")
    day = models.DateField(_("day"))
    level = models.CharField(_("level"), max_length=20)
    clock_from = models.DateField(_("clean days counted from"))
    days_clean = models.IntegerField(_("days without infection"))
    last_infection_on = models.DateField(_("last infection"), null=True, blank=True)
    rule = models.JSONField(default=dict, blank=True)  # the profile rule applied, as written
    rounds = models.JSONField(default=list, blank=True)  # the testing rounds used and results
    new_cases = models.JSONField(default=list, blank=True)  # case numbers inside since the level
    qualifies = models.BooleanField(default=False)
    proposed_level = models.CharField(_("proposed level"), max_length=20, blank=True)
    proposed_change = models.CharField(
        _("proposed change"), max_length=12, choices=ChangeKind.choices, blank=True
    )
    notes = models.JSONField(default=list, blank=True)  # why the rule is (not) met
    verdict = models.CharField(
        _("decision"), max_length=12, choices=Verdict.choices, default=Verdict.NOT_MET
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(_("reason"), blank=True)
    profile_code = models.CharField(max_length=40)
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-day", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["zone", "day"], name="zone_evaluation_once_a_day"),
        ]
        indexes = [models.Index(fields=["verdict", "day"], name="zone_eval_verdict_day")]
        verbose_name = _("zone evaluation")
        verbose_name_plural = _("zone evaluations")

    def __str__(self) -> str:
        return f"{self.zone_id} {self.day}"
