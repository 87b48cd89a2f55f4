"""What the values of medical care's events mean (read by the audit log:
`fangkong.audit.labels`)."""

from fangkong.audit.labels import usernames_reading
from fangkong.care.admission.models import IncidentKind
from fangkong.care.dispatch.models import Stage
from fangkong.care.facilities.services import FACILITY_STATES
from fangkong.care.models import Capability, FacilityKind, RequestStatus
from fangkong.core.words import listing


def capabilities_reading(value: str) -> str | None:
    """ "emergency, dialysis" (the codes a facility's capabilities were set to) in words."""
    if not value:
        return None
    known = dict(Capability.choices)
    return listing(str(known.get(code, code)) for code in value.split(", "))


VALUES = {
    ("care.facility", "active"): FACILITY_STATES,
    ("care.facility", "kind"): FacilityKind,
    ("care.facility", "staff"): usernames_reading,
    ("care.facility", "capabilities"): capabilities_reading,
    ("care.carerequest", "status"): RequestStatus,
    ("care.dispatch", "stage"): Stage,
    ("care.incident", "kind"): IncidentKind,
}
