"""Living supplies for sealed and controlled areas (保供): the enterprises that keep people fed
(their whitelist status, staff accounts, vehicles and couriers) and the signed electronic
passes (电子通行证) their couriers and vehicles carry through checkpoints.

Every row that a person sees is scoped by `division_key` (the enterprise's place; a courier's
and a vehicle's are their enterprise's). An account with the `supply` role sees only the
enterprises whose staff it is on, and only their couriers, vehicles and passes. Price reports
(`prices/`) and orders (`orders/`) keep their models here too: one models.py for the app.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.people.models import Resident
from fangkong.places.models import Division


class EnterpriseKind(models.TextChoices):
    SUPERMARKET = "supermarket", _("Supermarket")
    WHOLESALE = "wholesale", _("Wholesale market")
    PLATFORM = "platform", _("E-commerce / group-buying platform")
    PHARMACY = "pharmacy", _("Pharmacy")
    FARM = "farm", _("Farm")
    SLAUGHTERHOUSE = "slaughterhouse", _("Slaughterhouse")
    LOGISTICS = "logistics", _("Logistics")


class WhitelistStatus(models.TextChoices):
    """Where an enterprise, a courier or a vehicle stands on the whitelist (白名单). Only
    `granted` may carry passes; `suspended` may be granted again, `revoked` is final."""

    PENDING = "pending", _("Pending")
    GRANTED = "granted", _("Granted")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")


class Whitelisted(models.Model):
    """The whitelist status of a row and the reason and basis of its last change (every
    change is an audit event too)."""

    status = models.CharField(
        _("whitelist status"),
        max_length=16,
        choices=WhitelistStatus.choices,
        default=WhitelistStatus.PENDING,
        db_index=True,
    )
    status_reason = models.CharField(_("reason"), max_length=300, blank=True)
    status_basis = models.CharField(_("basis"), max_length=300, blank=True)
    status_at = models.DateTimeField(_("status since"), default=timezone.now)

    class Meta:
        abstract = True

    @property
    def granted(self) -> bool:
        return self.status == WhitelistStatus.GRANTED


class Enterprise(Whitelisted):
    """A supply enterprise (保供企业): where it is registered (`division`, its scope), what it
    is, whom to call, and its staff (accounts with the supply role, who see only it)."""

    kind = models.CharField(_("kind"), max_length=20, choices=EnterpriseKind.choices)
    name = models.CharField(pgettext_lazy("of a thing", "name"), max_length=200)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="enterprises")
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    address = models.CharField(_("address"), max_length=300, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="enterprises")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("supply enterprise")
        verbose_name_plural = _("supply enterprises")

    def __str__(self) -> str:
        return self.name


class Vehicle(Whitelisted):
    """A vehicle of an enterprise (保供车辆), known by its plate."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="vehicles")
    plate = models.CharField(_("plate number"), max_length=10, unique=True)
    area = models.ForeignKey(
        Division,
        verbose_name=_("delivery area"),
        on_delete=models.PROTECT,
        related_name="supply_vehicles",
    )
    area_key = models.CharField(max_length=24, db_index=True, editable=False)
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["plate"]
        verbose_name = _("supply vehicle")
        verbose_name_plural = _("supply vehicles")

    def __str__(self) -> str:
        return self.plate


class Courier(Whitelisted):
    """A courier (保供人员) of an enterprise: a person of the registry, where they deliver
    (`area`, a node of the jurisdiction tree) and where they live."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="couriers")
    person = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="courier_roles")
    area = models.ForeignKey(
        Division,
        verbose_name=_("delivery area"),
        on_delete=models.PROTECT,
        related_name="supply_couriers",
    )
    area_key = models.CharField(max_length=24, db_index=True, editable=False)
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    home_address = models.CharField(_("home address"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["enterprise", "pk"]
        verbose_name = _("courier")
        verbose_name_plural = _("couriers")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "person"], name="courier_once_per_firm")
        ]

    def __str__(self) -> str:
        return self.person.name


class SigningKey(models.Model):
    """A pass-signing key (ECDSA P-256). The newest active key signs; a retired key still
    verifies until `retired_at` + the profile's grace, then passes signed by it fail.
    `kid`: the first 8 bytes of the SHA-256 of the public key (DER), as the EU DCC does."""

    kid = models.CharField(_("key id"), max_length=16, db_index=True)
    public_der = models.BinaryField()
    private_pem = models.BinaryField()  # PKCS#8, encrypted with a key derived from SECRET_KEY
    created_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("pass-signing key")
        verbose_name_plural = _("pass-signing keys")

    def __str__(self) -> str:
        return self.kid


class PassStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    REVOKED = "revoked", _("Revoked")


class HolderKind(models.TextChoices):
    COURIER = "courier", _("Courier")
    VEHICLE = "vehicle", _("Vehicle")


class SupplyPass(models.Model):
    """An electronic pass (电子通行证) issued to a whitelisted courier or vehicle: the signed
    code it carries (`code`, "FK1:" + Base45), when it expires, and whether it was revoked and
    why (revocation is at once, when the holder's conditions fail)."""

    serial = models.CharField(_("serial"), max_length=32, unique=True)
    holder_kind = models.CharField(_("holder"), max_length=10, choices=HolderKind.choices)
    courier = models.ForeignKey(
        Courier, null=True, blank=True, on_delete=models.PROTECT, related_name="passes"
    )
    vehicle = models.ForeignKey(
        Vehicle, null=True, blank=True, on_delete=models.PROTECT, related_name="passes"
    )
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="passes")
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    key = models.ForeignKey(SigningKey, on_delete=models.PROTECT, related_name="passes")
    code = models.TextField(_("pass code"))
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    profile_code = models.CharField(max_length=60, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=PassStatus.choices,
        default=PassStatus.VALID,
        db_index=True,
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_reason = models.CharField(_("reason"), max_length=300, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-issued_at", "-pk"]
        verbose_name = _("supply pass")
        verbose_name_plural = _("supply passes")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(holder_kind="courier", courier__isnull=False, vehicle=None)
                | models.Q(holder_kind="vehicle", vehicle__isnull=False, courier=None),
                name="pass_one_holder",
            )
        ]

    def __str__(self) -> str:
        return self.serial
