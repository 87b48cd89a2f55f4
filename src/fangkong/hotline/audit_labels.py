"""What the values of citizen requests' events mean (read by the audit log:
`fangkong.audit.labels`)."""

from fangkong.hotline.models import DepartmentKind, HotlineCategory, HotlineStatus


def count_reading(value: str) -> str | None:
    return value if value.isdigit() else None


VALUES = {
    ("hotline.hotlinerequest", "status"): HotlineStatus,
    ("hotline.hotlinerequest", "category"): HotlineCategory,
    ("hotline.hotlinerequest", "escalation_level"): count_reading,
    ("hotline.department", "kind"): DepartmentKind,
}
