"""What the codes of the registry's events mean (read by the audit log: `fangkong.audit.labels`)."""

from fangkong.people.models import KeyCategory, NeedStatus, Relation

VALUES = {
    ("people.resident", "relation"): Relation,
    ("people.keyperson", "category"): KeyCategory,
    ("people.need", "status"): NeedStatus,
}
