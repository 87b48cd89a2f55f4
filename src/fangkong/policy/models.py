from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class PolicyProfile(models.Model):
    """A dated, versioned set of rules (days, tests, zones, thresholds), stored as data.

    A version is a draft (`is_draft`) until it is activated; from then on it never changes, so
    every record made under it (`profile_code`, `profile_version`) keeps meaning what it did."""

    code = models.SlugField(_("code"), max_length=40)
    version = models.PositiveIntegerField(_("version"), default=1)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    issued_by = models.CharField(_("issued by"), max_length=200)
    published_on = models.DateField(_("published on"))
    source = models.CharField(_("source document"), max_length=300)
    rules = models.JSONField(_("rules"))
    is_active = models.BooleanField(_("active"), default=False)
    activated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    is_draft = models.BooleanField(_("draft"), default=False)
    based_on = models.ForeignKey(
        "self",
        verbose_name=_("copied from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="copies",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["published_on", "code", "version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="policy_code_version"),
            models.UniqueConstraint(
                fields=["is_active"], condition=models.Q(is_active=True), name="one_active_policy"
            ),
            models.CheckConstraint(
                condition=~models.Q(is_draft=True, is_active=True), name="policy_draft_not_active"
            ),
        ]
        verbose_name = _("policy profile")
        verbose_name_plural = _("policy profiles")

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh

    @property
    def label(self) -> str:
        """Its name and version in the reader's language (`code vN` is for machines)."""
        return str(
            _("%(name)s · version %(version)d") % {"name": self.name, "version": self.version}
        )

    @property
    def reference(self) -> str:
        """How records name the profile they were made under (`20-measures v1`)."""
        return f"{self.code} v{self.version}"


class PolicyActivation(models.Model):
    """A decision that a version is in force from a moment on. The version in force at a time
    is the one of the latest activation (not withdrawn) whose `effective_from` has come;
    `applied_at` is when the platform switched to it (re-planned measures, re-derived codes)."""

    profile = models.ForeignKey(
        PolicyProfile,
        verbose_name=_("policy profile"),
        on_delete=models.PROTECT,
        related_name="activations",
    )
    effective_from = models.DateTimeField(_("in force from"), db_index=True)
    reason = models.TextField(_("reason"))
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdraw_reason = models.TextField(_("reason for withdrawing"), blank=True)

    class Meta:
        ordering = ["-effective_from", "-id"]
        verbose_name = _("policy activation")
        verbose_name_plural = _("policy activations")

    def __str__(self) -> str:
        return f"{self.profile.reference} @ {self.effective_from:%Y-%m-%d %H:%M}"
