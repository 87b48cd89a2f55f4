from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.people.idnumber import mask_id_number, mask_phone
from fangkong.places.models import Division


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Household(models.Model):
    """A household (户) living at one unit; `code` is the idempotent key used by imports."""

    code = models.CharField(_("household code"), max_length=40, unique=True)
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="households")
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    address = models.CharField(_("address"), max_length=300, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.address or self.code


class Relation(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDCHILD = "grandchild", _("Grandchild")
    GRANDPARENT = "grandparent", _("Grandparent")
    SIBLING = "sibling", _("Sibling")
    OTHER = "other", _("Other")


class Residency(models.TextChoices):
    REGISTERED = "registered", _("Resident")
    FLOATING = "floating", _("Floating population")
    VISITOR = "visitor", _("Non-resident (visitor)")


class Resident(models.Model):
    """A person the platform knows: registered residents and, for cases and contacts,
    non-residents found in the city (kept at the place where they stay)."""

    id_number = models.CharField(_("ID number"), max_length=18, unique=True)
    name = models.CharField(_("name"), max_length=60, db_index=True)
    name_initials = models.CharField(max_length=20, db_index=True, editable=False)
    name_pinyin = models.CharField(max_length=80, editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"))
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    relation = models.CharField(
        _("relation to head"), max_length=20, choices=Relation.choices, blank=True
    )
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="residents")
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    residency = models.CharField(
        _("residency"),
        max_length=12,
        choices=Residency.choices,
        default=Residency.REGISTERED,
        db_default=Residency.REGISTERED,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["division_key", "id"]
        indexes = [models.Index(fields=["division_key", "id"], name="resident_place_order")]
        verbose_name = _("resident")
        verbose_name_plural = _("residents")

    def __str__(self) -> str:
        return self.name

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


class KeyCategory(models.TextChoices):
    ELDERLY_ALONE = "elderly_alone", _("Elderly living alone")
    CHILD_DIFFICULTY = "child_difficulty", _("Child in difficulty")
    PREGNANT = "pregnant", _("Pregnant")
    CHRONIC = "chronic", _("Chronic disease")
    DIALYSIS = "dialysis", _("Dialysis")
    CHEMO = "chemo", _("Chemo- / radiotherapy")
    DISABLED = "disabled", _("Disabled")


class KeyPerson(models.Model):
    """One line of the key-person ledger (重点人员清单): a resident in one category."""

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="key_entries")
    category = models.CharField(_("category"), max_length=20, choices=KeyCategory.choices)
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    note = models.CharField(_("note"), max_length=300, blank=True)
    since = models.DateField(_("since"), default=timezone.localdate)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["division_key", "resident_id", "category"]
        constraints = [
            models.UniqueConstraint(fields=["resident", "category"], name="key_person_once"),
        ]
        verbose_name = _("key person")
        verbose_name_plural = _("key persons")

    def __str__(self) -> str:
        return f"{self.resident} · {self.get_category_display()}"


class NeedKind(models.TextChoices):
    MEDICINE = "medicine", _("Medicine")
    DIALYSIS_SESSION = "dialysis_session", _("Dialysis session")
    TREATMENT = "treatment", _("Hospital treatment")
    PRENATAL = "prenatal", _("Prenatal check")
    FOOD = "food", _("Food and daily necessities")
    CARE = "care", _("Personal care / visits")
    MOBILITY = "mobility", _("Transport / mobility aid")
    OTHER = "other", _("Other")


class NeedStatus(models.TextChoices):
    OPEN = "open", _("Open")
    MET = "met", _("Met")
    CANCELLED = "cancelled", _("Cancelled")


class Need(models.Model):
    """One line of a person's needs list (需求清单)."""

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="needs")
    kind = models.CharField(_("kind"), max_length=20, choices=NeedKind.choices)
    description = models.CharField(_("description"), max_length=300)
    recurrence_days = models.PositiveSmallIntegerField(_("every (days)"), null=True, blank=True)
    next_due = models.DateField(_("next due"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=NeedStatus.choices, default=NeedStatus.OPEN
    )
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["next_due", "id"]
        verbose_name = _("need")
        verbose_name_plural = _("needs")

    def __str__(self) -> str:
        return self.description
