"""Orders into sealed compounds (封闭小区配送, 最后一米): the compounds' fixed receiving points
(固定接收点), the catalogue of standard packages and items, the orders residents place (or a
grid worker or the 12345 operator places for them), the batches they are assigned to
whitelisted enterprises in, the problems recorded on them and the photos proving delivery.

Re-exported from `supplies/models.py` (one models module for the app). Rows are scoped by
`division_key`: the compound's key for points, orders and batches. The enterprise is named by
string ("supplies.Enterprise"), so this module does not import the app's models module.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.people.models import Resident
from fangkong.places.models import Division

__all__ = [
    "DeliveryPhoto",
    "Order",
    "OrderBatch",
    "OrderChannel",
    "OrderLine",
    "OrderProblem",
    "OrderStatus",
    "ProblemKind",
    "Product",
    "ProductKind",
    "ReceivingPoint",
]


class ReceivingPoint(models.Model):
    """A fixed receiving point (固定接收点) of a compound: where the enterprises leave the
    goods and the volunteers take them to the doors."""

    compound = models.ForeignKey(
        Division,
        verbose_name=_("compound"),
        on_delete=models.PROTECT,
        related_name="receiving_points",
    )
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    name = models.CharField(pgettext_lazy("of a thing", "name"), max_length=100)
    location = models.CharField(_("where exactly"), max_length=300)
    hours = models.CharField(_("opening hours"), max_length=100)
    contact_name = models.CharField(_("contact person"), max_length=60)
    phone = models.CharField(_("phone"), max_length=20)
    active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["division_key", "pk"]
        verbose_name = _("receiving point")
        verbose_name_plural = _("receiving points")

    def __str__(self) -> str:
        return self.name


class ProductKind(models.TextChoices):
    PACKAGE = "package", _("Standard package")
    ITEM = "item", _("Single item")


class Product(models.Model):
    """A standard package (蔬菜包, 米面油包, 母婴包…) or a single item residents may order,
    with its price: data the supply task force keeps, not code."""

    kind = models.CharField(_("kind"), max_length=10, choices=ProductKind.choices)
    name = models.CharField(pgettext_lazy("of a thing", "name"), max_length=100, unique=True)
    contents = models.CharField(_("contents"), max_length=300, blank=True)
    unit = models.CharField(_("unit"), max_length=20)
    price = models.DecimalField(_("price (yuan)"), max_digits=9, decimal_places=2)
    for_infants = models.BooleanField(_("for infants and mothers"), default=False)
    active = models.BooleanField(_("on offer"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("package or item")
        verbose_name_plural = _("packages and items")

    def __str__(self) -> str:
        return self.name


class OrderStatus(models.TextChoices):
    PLACED = "placed", _("Placed")
    ACCEPTED = "accepted", _("Accepted")
    DISPATCHED = "dispatched", _("Dispatched")
    AT_POINT = "at_point", _("At the receiving point")
    DELIVERED = "delivered", _("Delivered to the door")
    CANCELLED = "cancelled", _("Cancelled")


class OrderChannel(models.TextChoices):
    RESIDENT = "resident", _("The resident's phone")
    GRID = "grid", _("Grid worker, on the resident's behalf")
    HOTLINE = "hotline", _("12345 hotline, on the resident's behalf")
    STAFF = "staff", _("Community or task-force staff")


class OrderBatch(models.Model):
    """Orders of one compound and receiving point assigned together to one enterprise.
    `key_orders`: how many are for key persons (batches with any are served first)."""

    compound = models.ForeignKey(
        Division, verbose_name=_("compound"), on_delete=models.PROTECT, related_name="+"
    )
    point = models.ForeignKey(
        ReceivingPoint,
        verbose_name=_("receiving point"),
        on_delete=models.PROTECT,
        related_name="batches",
    )
    enterprise = models.ForeignKey(
        "supplies.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="order_batches",
    )
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    orders_count = models.PositiveIntegerField(_("orders"), default=0)
    key_orders = models.PositiveIntegerField(_("orders for key persons"), default=0)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=OrderStatus.choices,
        default=OrderStatus.PLACED,
        db_index=True,
    )
    created_at = models.DateTimeField(_("assigned at"), default=timezone.now)

    class Meta:
        ordering = ["-key_orders", "created_at", "pk"]
        verbose_name = _("order batch")
        verbose_name_plural = _("order batches")

    def __str__(self) -> str:
        return f"#{self.pk}"


class Order(models.Model):
    """An order of packages or items for one person, to be delivered to their door through
    their compound's receiving point. `due_at` is the deadline the policy in force when it
    was placed set (`profile_code`/`profile_version`); `key_person` flags the key-person
    ledger's people (served first)."""

    person = models.ForeignKey(
        Resident, verbose_name=_("for"), on_delete=models.PROTECT, related_name="supply_orders"
    )
    compound = models.ForeignKey(
        Division,
        verbose_name=_("compound"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # read by division_key
    )
    point = models.ForeignKey(
        ReceivingPoint,
        verbose_name=_("receiving point"),
        on_delete=models.PROTECT,
        related_name="orders",
        db_index=False,  # the (point, status) index below
    )
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    channel = models.CharField(_("placed through"), max_length=10, choices=OrderChannel.choices)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=OrderStatus.choices,
        default=OrderStatus.PLACED,
    )
    key_person = models.BooleanField(_("key person"), default=False)
    key_categories = models.CharField(_("key-person categories"), max_length=120, blank=True)
    total = models.DecimalField(_("total (yuan)"), max_digits=10, decimal_places=2)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    confirmation_code = models.CharField(_("confirmation code"), max_length=6)
    placed_at = models.DateTimeField(_("placed at"), default=timezone.now)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)
    due_at = models.DateTimeField(_("due by"))
    # The level of the risk zone in force over the compound (or the home inside it) when the
    # order was placed; blank: none. It chose the deadline (policy `supplies.orders`).
    zone_level = models.CharField(_("zone level when placed"), max_length=20, blank=True)
    profile_code = models.CharField(max_length=60, blank=True)
    profile_version = models.PositiveIntegerField(default=1)
    batch = models.ForeignKey(
        OrderBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    enterprise = models.ForeignKey(
        "supplies.Enterprise",
        verbose_name=_("enterprise"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    at_point_at = models.DateTimeField(_("at the receiving point at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    delivered_by = models.CharField(_("delivered by (volunteer)"), max_length=60, blank=True)
    proof = models.CharField(_("proof"), max_length=20, blank=True)
    # When the cancellation happened (entered, default now) and when it was recorded (never
    # edited): an order cancelled after T was still open at T.
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_recorded_at = models.DateTimeField(
        _("cancellation recorded at"), null=True, blank=True, editable=False
    )
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    class Meta:
        # Few indexes: batching writes every order row once, and each index is another write.
        ordering = ["-key_person", "placed_at", "pk"]
        indexes = [
            models.Index(fields=["point", "status"], name="order_point_status"),
            models.Index(fields=["status", "due_at"], name="order_status_due"),
        ]
        verbose_name = _("supply order")
        verbose_name_plural = _("supply orders")

    def __str__(self) -> str:
        return f"#{self.pk}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        Product, verbose_name=_("package or item"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveSmallIntegerField(_("quantity"))
    price = models.DecimalField(_("price (yuan)"), max_digits=9, decimal_places=2)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")

    def __str__(self) -> str:
        return f"{self.product_id} × {self.quantity}"


class ProblemKind(models.TextChoices):
    MISSING = "missing", _("Missing items")
    LATE = "late", _("Late")
    WRONG = "wrong", _("Wrong items")
    DAMAGED = "damaged", _("Damaged or spoiled")
    OTHER = "other", _("Other")


class OrderProblem(models.Model):
    """A problem with an order (missing items, late, wrong…), as reported."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="problems")
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    kind = models.CharField(_("problem"), max_length=10, choices=ProblemKind.choices)
    note = models.CharField(_("note"), max_length=300)
    at = models.DateTimeField(_("when"), default=timezone.now)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["order", "at", "pk"]
        verbose_name = _("order problem")
        verbose_name_plural = _("order problems")

    def __str__(self) -> str:
        return self.kind


class DeliveryPhoto(models.Model):
    """A photo taken at the door as proof of delivery (JPEG, PNG or WebP, size-limited)."""

    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="photo")
    content_type = models.CharField(max_length=20)
    data = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("delivery photo")
        verbose_name_plural = _("delivery photos")

    def __str__(self) -> str:
        return self.sha256[:12]
