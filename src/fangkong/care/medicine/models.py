"""Medicine for chronic patients (送药, issue 17 item 6): each patient's course (daily dose, the
supply on hand and the day it runs out), and the orders delivered to them, batched per pharmacy,
sourced (a substitute accepted or declined by the patient), delivered and confirmed."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.care.models import Facility
from fangkong.people.models import Resident


class MedicineCourse(models.Model):
    """A chronic patient's medicine: `supply` units on hand on `supply_on`, `daily_dose` a day;
    `runs_out_on` is the first day without any (stored, so the warning list is one query)."""

    person = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="medicine_courses")
    medicine = models.CharField(_("medicine"), max_length=100)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    daily_dose = models.DecimalField(_("daily dose"), max_digits=8, decimal_places=2)
    supply = models.DecimalField(_("supply on hand"), max_digits=10, decimal_places=2)
    supply_on = models.DateField(_("counted on"))
    runs_out_on = models.DateField(_("runs out on"), db_index=True)
    pharmacy = models.ForeignKey(
        Facility,
        verbose_name=_("pharmacy"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    active = models.BooleanField(_("active"), default=True)
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["runs_out_on", "id"]
        verbose_name = _("medicine course")
        verbose_name_plural = _("medicine courses")

    def __str__(self) -> str:
        return f"{self.medicine} · {self.person}"


class DeliverTo(models.TextChoices):
    POINT = "point", _("The receiving point")
    DOOR = "door", _("The door")


class MedicineOrderStatus(models.TextChoices):
    NEEDED = "needed", _("Needed")
    BATCHED = "batched", _("Batched at the pharmacy")
    SUBSTITUTE = "substitute", _("Substitute proposed")
    SOURCED = "sourced", _("Sourced")
    DELIVERED = "delivered", _("Delivered")
    CONFIRMED = "confirmed", _("Received (confirmed)")
    CANCELLED = "cancelled", _("Cancelled")


# The API's documents name an enum by its class: "OrderStatus" is the supply orders'.
OrderStatus = MedicineOrderStatus


class MedicineBatch(models.Model):
    """The open medicine orders of one pharmacy, gathered to be sourced together."""

    pharmacy = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    batched_at = models.DateTimeField(_("batched at"), default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-batched_at", "-id"]
        verbose_name = _("medicine batch")
        verbose_name_plural = _("medicine batches")

    def __str__(self) -> str:
        return f"{self.pharmacy} #{self.pk}"


class MedicineOrder(models.Model):
    """Medicine to bring to a person; each step's time is when it happened (given or now), its
    audit event says when it was recorded."""

    person = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="medicine_orders")
    course = models.ForeignKey(
        MedicineCourse, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    medicine = models.CharField(_("medicine"), max_length=100)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2)
    pharmacy = models.ForeignKey(
        Facility, verbose_name=_("pharmacy"), on_delete=models.PROTECT, related_name="+"
    )
    deliver_to = models.CharField(
        _("deliver to"), max_length=8, choices=DeliverTo.choices, default=DeliverTo.POINT
    )
    status = models.CharField(
        _("status"), max_length=12, choices=OrderStatus.choices, default=OrderStatus.NEEDED
    )
    batch = models.ForeignKey(
        MedicineBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    substitute = models.CharField(_("substitute"), max_length=100, blank=True)
    needed_at = models.DateTimeField(_("needed since"), default=timezone.now)
    sourced_at = models.DateTimeField(_("sourced at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("received at"), null=True, blank=True)
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-needed_at", "-id"]
        indexes = [models.Index(fields=["pharmacy", "status"], name="care_medorder_pharmacy")]
        verbose_name = _("medicine order")
        verbose_name_plural = _("medicine orders")

    def __str__(self) -> str:
        return f"{self.medicine} · {self.person}"
