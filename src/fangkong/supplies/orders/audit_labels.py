"""What the values of the order events mean (merged into supplies/audit_labels.py)."""

from fangkong.supplies.models import Enterprise
from fangkong.supplies.orders.models import OrderStatus, ProblemKind


def enterprise_reading(value: str) -> str | None:
    """An enterprise's id (the batch's assignee) as its name."""
    if not value.isdigit():
        return None
    return Enterprise.objects.filter(pk=int(value)).values_list("name", flat=True).first()


VALUES = {
    ("supplies.order", "status"): OrderStatus,
    ("supplies.order", "problem"): ProblemKind,
    ("supplies.orderbatch", "enterprise"): enterprise_reading,
}
