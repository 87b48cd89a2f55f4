"""What the values of the supplies events mean (read by the audit log: `fangkong.audit.labels`)."""

from fangkong.audit.labels import usernames_reading
from fangkong.supplies.models import AlertStatus, PassStatus, WhitelistStatus
from fangkong.supplies.orders.audit_labels import VALUES as ORDER_VALUES

VALUES = {
    ("supplies.enterprise", "status"): WhitelistStatus,
    ("supplies.courier", "status"): WhitelistStatus,
    ("supplies.vehicle", "status"): WhitelistStatus,
    ("supplies.enterprise", "staff"): usernames_reading,
    ("supplies.supplypass", "status"): PassStatus,
    ("supplies.pricealert", "status"): AlertStatus,
    **ORDER_VALUES,
}
