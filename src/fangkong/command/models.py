"""Issues of the daily report: what the command centre issued for a day, kept as issued.

The report of a past day changes when facts are entered late (a case registered yesterday
evening is typed in today): the figures as of 8:00 yesterday are then not what was issued
at 8:00 yesterday. An issue keeps what was issued (the figures as structured data, the text in
every language, who issued it, when it was recorded, under which policy version) and never
changes; re-issuing the day later makes the next issue (2, 3 …), and each issue shows which
figures changed since the first and since the one before (`command/issues.py`).
"""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IssueImmutable(RuntimeError):
    """An issue is never changed or deleted: issue the day again instead."""


class ReportIssue(models.Model):
    # The place the report is about (a division key; "" for every place) and its name then
    division_key = models.CharField(max_length=24, blank=True, db_index=True)
    place_code = models.CharField(_("place code"), max_length=24, blank=True)
    place_name = models.CharField(_("place"), max_length=200)
    day = models.DateField(_("report date"))
    hour = models.PositiveSmallIntegerField(_("report time (hour)"))
    as_of = models.DateTimeField(_("as of"))  # the cut-off: `day` at `hour`:00
    number = models.PositiveIntegerField(_("issue"))  # 1 for the first issue of the day, 2 …
    sections = models.JSONField(default=list)  # the parts of the report issued
    # {"total": {...}, "lines": [...], "columns": [...], "areas": [...]} (issues.snapshot)
    figures = models.JSONField(default=dict)
    # {language: {"title", "heading", "paragraphs": [{"section", "text"}]}}
    text = models.JSONField(default=dict)
    profile_code = models.CharField(max_length=64)
    profile_version = models.PositiveIntegerField()
    reason = models.TextField(_("reason"), blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_by_name = models.CharField(_("issued by"), max_length=150)
    # System time, never editable: when the platform recorded the issue
    recorded_at = models.DateTimeField(
        _("issued at"), default=timezone.now, db_default=Now(), editable=False
    )

    class Meta:
        ordering = ["-day", "division_key", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["division_key", "day", "number"], name="command_issue_number"
            )
        ]
        verbose_name = _("report issue")
        verbose_name_plural = _("report issues")

    def __str__(self) -> str:
        return f"{self.place_name} {self.day:%Y-%m-%d} #{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise IssueImmutable(self.pk)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise IssueImmutable(self.pk)

    @property
    def profile(self) -> str:
        return f"{self.profile_code} v{self.profile_version}"
