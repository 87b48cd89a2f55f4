"""What the statuses and levels of the risk-zone events mean (read by the audit log:
`fangkong.audit.labels`)."""

from fangkong.policy.compare import LEVEL_LABELS
from fangkong.zones.models import ZoneStatus

VALUES = {
    ("zones.zone", "status"): ZoneStatus,
    ("zones.zone", "level"): LEVEL_LABELS,
}
