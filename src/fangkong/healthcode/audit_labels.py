"""What the colours, appeal statuses and rules of the health-code events mean (read by the audit
log: `fangkong.audit.labels`)."""

from fangkong.healthcode.appeals import APPEAL_TYPE, OVERRIDE_TYPE
from fangkong.healthcode.models import AppealStatus, Colour
from fangkong.healthcode.rules import RULE_LABELS
from fangkong.healthcode.store import EXPIRED

VALUES = {
    ("people.resident", "colour"): Colour,  # code.changed
    (OVERRIDE_TYPE, "colour"): Colour,
    (APPEAL_TYPE, "status"): AppealStatus,
}
# a change nobody gave a reason for records the deciding rule's name (or the expiry)
REASONS = {"code.changed": {**RULE_LABELS, "expired": EXPIRED}}
