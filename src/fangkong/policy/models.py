from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class PolicyProfile(models.Model):
    """A dated, versioned set of rules (days, tests, zones, thresholds), stored as data."""

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

    class Meta:
        ordering = ["published_on", "code", "version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="policy_code_version"),
            models.UniqueConstraint(
                fields=["is_active"], condition=models.Q(is_active=True), name="one_active_policy"
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
