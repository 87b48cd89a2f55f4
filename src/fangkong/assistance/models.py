"""Social assistance (issue 18, item 5; seed 004, 许昌民政): applications for 低保 (minimum
living allowance), 特困 (support of people in extreme poverty) and 临时救助 (temporary
assistance), filed by the resident online or by a street or grid worker for them, reviewed and
decided at the street (审核确认权下放), and the payments made.

An application's `division_key` is the applicant's home, so the street of the place where the
person lives decides it. The household's members are taken from the registry when the
application is filed (`Member`), never typed again; the rules it was judged by (thresholds,
amounts, deadline, documents) are those of the policy profile in force then (`profile_code`,
`profile_version`).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.people.models import Household, Relation, Resident


class Programme(models.TextChoices):
    DIBAO = "dibao", _("Minimum living allowance (低保)")
    TEKUN = "tekun", _("Support for people in extreme poverty (特困)")
    TEMPORARY = "temporary", _("Temporary assistance (临时救助)")


class Coverage(models.TextChoices):
    HOUSEHOLD = "household", _("Whole household (整户保)")
    SINGLE = "single", _("One person (单人保)")


class Procedure(models.TextChoices):
    STANDARD = "standard", _("Standard procedure")
    EMERGENCY = "emergency", _("Emergency simplified procedure")


class ApplicationChannel(models.TextChoices):
    RESIDENT = "resident", _("The resident, online")
    STAFF = "staff", _("A street or grid worker")


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    REVIEWED = "reviewed", _("Reviewed")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class DocumentKind(models.TextChoices):
    """What an applicant may upload (`policy.schema.DocumentKind`); the ID card and household
    register are never asked: the registry has them."""

    AUTHORISATION = "authorisation", _("Authorisation to check the family's finances")
    INCOME_PROOF = "income_proof", _("Proof of income")
    PROPERTY_STATEMENT = "property_statement", _("Statement of savings and property")
    MEDICAL_RECORD = "medical_record", _("Proof of serious illness or disability")
    RESIDENCE_PERMIT = "residence_permit", _("Residence permit")
    NO_INCOME_STATEMENT = "no_income_statement", _("Statement of months without income")
    WORK_RECORD = "work_record", _("Proof of work (where the person worked)")


class Application(models.Model):
    number = models.CharField(_("application number"), max_length=24, unique=True)
    programme = models.CharField(_("programme"), max_length=12, choices=Programme.choices)
    coverage = models.CharField(_("coverage"), max_length=12, choices=Coverage.choices)
    procedure = models.CharField(_("procedure"), max_length=12, choices=Procedure.choices)
    channel = models.CharField(_("filed by"), max_length=12, choices=ApplicationChannel.choices)
    applicant = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="assistance_applications"
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    # What the applicant declares (a month's income of the whole household, its savings and
    # property), and the circumstances the rules read.
    monthly_income = models.DecimalField(
        _("household income a month (yuan)"), max_digits=12, decimal_places=2
    )
    assets = models.DecimalField(_("savings and property (yuan)"), max_digits=14, decimal_places=2)
    seriously_ill_or_disabled = models.BooleanField(
        _("seriously ill or severely disabled"), default=False
    )
    months_without_income = models.PositiveSmallIntegerField(_("months without income"), default=0)
    unemployment_insurance = models.BooleanField(
        _("covered by unemployment insurance"), default=False
    )
    circumstances = models.CharField(_("circumstances"), max_length=1000, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    # What the rules made of it when filed.
    members_counted = models.PositiveSmallIntegerField(_("people counted"), default=1)
    covered = models.PositiveSmallIntegerField(_("people covered"), default=1)
    income_per_person = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    eligible = models.BooleanField(_("meets the rules"), default=False)
    findings = models.JSONField(default=list, blank=True)  # codes of the rules' findings
    monthly_amount = models.DecimalField(
        _("amount a month (yuan)"), max_digits=12, decimal_places=2, default=0
    )
    one_off_amount = models.DecimalField(
        _("one-off amount (yuan)"), max_digits=12, decimal_places=2, default=0
    )
    documents_required = models.JSONField(default=list, blank=True)
    due_at = models.DateTimeField(_("decide by"), db_index=True)
    profile_code = models.CharField(max_length=60)
    profile_version = models.PositiveIntegerField()
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.SUBMITTED,
        db_index=True,
    )
    review_note = models.CharField(_("review finding"), max_length=1000, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.CharField(_("reason"), max_length=1000, blank=True)
    decision_basis = models.CharField(_("basis"), max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    applied_at = models.DateTimeField(_("applied at"))  # when it happened (valid time)
    created_at = models.DateTimeField(default=timezone.now, editable=False)  # when recorded
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-applied_at", "-pk"]
        indexes = [models.Index(fields=["status", "due_at"], name="assist_open_due")]
        verbose_name = _("assistance application")
        verbose_name_plural = _("assistance applications")

    def __str__(self) -> str:
        return self.number


class Member(models.Model):
    """A person of the applicant's household as the registry had them when the application was
    filed (`counted` in the household's income per person)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="+")
    relation = models.CharField(
        _("relation to head"), max_length=20, choices=Relation.choices, blank=True
    )
    covered = models.BooleanField(_("covered"), default=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["application", "person"], name="assist_member_once")
        ]

    def __str__(self) -> str:
        return f"{self.application_id}:{self.person_id}"


class Document(models.Model):
    """An uploaded document, kept in the database (small scans and photos, the size limited as
    every upload is)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("document"), max_length=24, choices=DocumentKind.choices)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class Payment(models.Model):
    """Money paid on an approved application: `paid_on` when it was paid (valid time),
    `recorded_at` when it was entered."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="payments")
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    paid_on = models.DateField(_("paid on"))
    period = models.CharField(_("for the month"), max_length=7, blank=True)  # YYYY-MM
    reference = models.CharField(_("bank or voucher reference"), max_length=60, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-paid_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.paid_on} {self.amount}"
