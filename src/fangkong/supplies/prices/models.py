"""Daily volume and price monitoring (生活必需品量价监测): the catalogue of necessities (data,
kept by the supply task force), the stores that report (a store of a supply enterprise at a
place of the jurisdiction tree), their daily reports (price, stock, arrivals; one per store,
item and day) and the alerts a red light opens for the task force.

Re-exported by `fangkong.supplies.models` (one models.py for the app). Rows are scoped by
`division_key`: a store's and its reports' are the store's place, an alert's its area's.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from fangkong.places.models import Division


class Unit(models.TextChoices):
    KG = "kg", _("kg")
    LITRE = "l", _("litre")
    CAN = "can", _("can")
    PACK = "pack", _("pack")
    BOTTLE = "bottle", _("bottle")
    BOX = "box", _("box")


class Necessity(models.Model):
    """An item of the catalogue (生活必需品目录): its group (which price thresholds of the
    policy apply), its unit, what one person uses a day (for days of stock) and the highest
    price a report may give before it is refused as impossible."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(pgettext_lazy("of a thing", "name"), max_length=40)
    name_en = models.CharField(_("English name"), max_length=60)
    group = models.CharField(_("group"), max_length=20)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)
    per_capita_daily = models.DecimalField(
        _("consumption per person per day"), max_digits=9, decimal_places=4
    )
    max_price = models.DecimalField(_("highest plausible price"), max_digits=9, decimal_places=2)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("monitored"), default=True)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("necessity")
        verbose_name_plural = _("necessities")

    def __str__(self) -> str:
        return self.name


class Store(models.Model):
    """A reporting point (监测点): a store, market stall or pharmacy of a supply enterprise,
    at a place of the jurisdiction tree (a district or finer)."""

    enterprise = models.ForeignKey(
        "supplies.Enterprise", on_delete=models.PROTECT, related_name="stores"
    )
    name = models.CharField(pgettext_lazy("of a thing", "name"), max_length=100)
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="supply_stores")
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["division_key", "name", "pk"]
        verbose_name = _("reporting store")
        verbose_name_plural = _("reporting stores")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "name"], name="store_name_per_firm")
        ]

    def __str__(self) -> str:
        return self.name


class ReportSource(models.TextChoices):
    FORM = "form", _("Report form")
    FILE = "file", _("File upload")
    API = "api", _("API call")


class PriceReport(models.Model):
    """A store's day (日报): the retail price of an item, the stock at the close and what
    arrived, in the item's unit. One per store, item and day: reporting again replaces it."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="reports")
    necessity = models.ForeignKey(Necessity, on_delete=models.PROTECT, related_name="reports")
    day = models.DateField(_("day"))
    price = models.DecimalField(_("price (yuan per unit)"), max_digits=9, decimal_places=2)
    stock = models.DecimalField(_("stock"), max_digits=12, decimal_places=2)
    arrivals = models.DecimalField(_("arrivals"), max_digits=12, decimal_places=2, default=0)
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    source = models.CharField(_("source"), max_length=8, choices=ReportSource.choices)
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-day", "store", "necessity"]
        verbose_name = _("price report")
        verbose_name_plural = _("price reports")
        constraints = [
            models.UniqueConstraint(
                fields=["store", "necessity", "day"], name="price_report_once_a_day"
            )
        ]
        indexes = [models.Index(fields=["day", "necessity"], name="price_report_day_item")]

    def __str__(self) -> str:
        return f"{self.store} {self.necessity} {self.day}"


class PriceAlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


# The API document names an enum by its class: `PriceAlertStatus`, not a second `AlertStatus`.
AlertStatus = PriceAlertStatus


class PriceAlert(models.Model):
    """A task for the supply task force, opened when an item turns red in an area (the
    district, or the finer place of the jurisdiction that computed it). One live alert per
    item and area: a red light computed again updates it instead of opening another."""

    necessity = models.ForeignKey(Necessity, on_delete=models.PROTECT, related_name="alerts")
    area = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="price_alerts")
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    day = models.DateField(_("red since"))
    last_day = models.DateField(_("last red on"))
    reason = models.JSONField(_("reason"), default=dict)  # {"zh-hans": …, "en": …}
    status = models.CharField(
        _("status"),
        max_length=14,
        choices=AlertStatus.choices,
        default=AlertStatus.OPEN,
        db_index=True,
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    closed_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-day", "pk"]
        verbose_name = _("price alert")
        verbose_name_plural = _("price alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["necessity", "area"],
                condition=~models.Q(status="resolved"),
                name="price_alert_one_live",
            )
        ]

    def __str__(self) -> str:
        return f"{self.necessity} {self.area}"

    def reason_text(self) -> str:
        """The reason in the reader's language (Chinese when it has none in theirs)."""
        reason = self.reason or {}
        return str(reason.get(get_language() or "", reason.get("zh-hans", "")))
