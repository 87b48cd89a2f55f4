"""A community's direct lines (issue 17 item 7): to hospitals and pharmacies, its dedicated
vehicle (小区配备专车) and the counselling line, kept by the community and shown to its
residents on /my-care/."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.care.models import Facility
from fangkong.places.models import Division


class LineKind(models.TextChoices):
    HOSPITAL = "hospital", _("Hospital")
    PHARMACY = "pharmacy", _("Pharmacy")
    VEHICLE = "vehicle", _("Dedicated vehicle")
    COUNSELLING = "counselling", _("Counselling line")
    OTHER = "other", _("Other")


class DirectLine(models.Model):
    community = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="direct_lines")
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    kind = models.CharField(_("kind"), max_length=12, choices=LineKind.choices)
    name = models.CharField(pgettext_lazy("of a thing", "name"), max_length=200)
    phone = models.CharField(_("phone"), max_length=20)
    facility = models.ForeignKey(
        Facility,
        verbose_name=_("facility"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["division_key", "kind", "id"]
        verbose_name = _("direct line")
        verbose_name_plural = _("direct lines")

    def __str__(self) -> str:
        return self.name
