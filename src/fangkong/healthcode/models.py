"""Health-code status, manual overrides and appeals.

The tables keep the names they had in the epi app (epi_codestatus, epi_codeoverride, epi_appeal):
the models moved here without moving data (see migrations/0001_initial.py).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.people.idnumber import mask_phone
from fangkong.people.models import Resident


class Colour(models.TextChoices):
    RED = "red", _("Red")
    YELLOW = "yellow", _("Yellow")
    GREEN = "green", _("Green")


class CodeStatus(models.Model):
    """A person's current health-code colour, derived from facts by the active profile's rules.

    `rule` names the profile rule that decided it; `facts` lists the facts with their dates so
    the page can say why, since when and until when.
    """

    person = models.OneToOneField(Resident, on_delete=models.CASCADE, related_name="code_status")
    colour = models.CharField(_("colour"), max_length=8, choices=Colour.choices)
    rule = models.CharField(_("rule"), max_length=64, blank=True)
    facts = models.JSONField(default=list, blank=True)
    since = models.DateTimeField(_("since"))
    until = models.DateTimeField(_("until"), null=True, blank=True)
    profile_code = models.CharField(max_length=40, blank=True)
    overridden = models.BooleanField(default=False)
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    computed_at = models.DateTimeField(default=timezone.now)
    verify_token = models.CharField(max_length=32, unique=True)

    class Meta:
        db_table = "epi_codestatus"  # the table it had in the epi app: no data moved
        verbose_name = _("health-code status")
        verbose_name_plural = _("health-code statuses")

    def __str__(self) -> str:
        return f"{self.person} {self.colour}"


class CodeOverride(models.Model):
    """A manual colour for a person, only with a reason and a legal/policy basis."""

    person = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="code_overrides")
    colour = models.CharField(_("colour"), max_length=8, choices=Colour.choices)
    reason = models.TextField(_("reason"))
    basis = models.CharField(_("basis"), max_length=300)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    division_key = models.CharField(max_length=24, db_index=True, editable=False)

    class Meta:
        db_table = "epi_codeoverride"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.person} → {self.colour}"


class AppealStatus(models.TextChoices):
    OPEN = "open", _("Open")
    UPHELD = "upheld", _("Upheld (status corrected)")
    REJECTED = "rejected", _("Rejected")


class Appeal(models.Model):
    person = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="code_appeals")
    colour_appealed = models.CharField(max_length=8, choices=Colour.choices)
    rule_appealed = models.CharField(max_length=64, blank=True)
    statement = models.TextField(_("statement"))
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=AppealStatus.choices, default=AppealStatus.OPEN
    )
    decision = models.TextField(_("decision"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "epi_appeal"
        ordering = ["-created_at"]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")

    def __str__(self) -> str:
        return f"{self.person} ({self.get_status_display()})"

    @property
    def contact_phone_masked(self) -> str:
        return mask_phone(self.contact_phone) if self.contact_phone else ""
