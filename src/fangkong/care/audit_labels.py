"""What the values of medical care's events mean (read by the audit log:
`fangkong.audit.labels`)."""

from fangkong.audit.labels import usernames_reading
from fangkong.care.admission.models import IncidentKind
from fangkong.care.dispatch.models import Stage
from fangkong.care.facilities.services import FACILITY_STATES
from fangkong.care.models import (
    WEEKDAYS,
    Capability,
    FacilityKind,
    OrderStatus,
    PlanCategory,
    Repeat,
    RequestStatus,
    RequestType,
)
from fangkong.core.words import listing


def capabilities_reading(value: str) -> str | None:
    """ "emergency, dialysis" (the codes a facility's capabilities were set to) in words."""
    if not value:
        return None
    known = dict(Capability.choices)
    return listing(str(known.get(code, code)) for code in value.split(", "))


def weekdays_reading(value: str) -> str | None:
    """ "024" (the days of the week a standing need falls on, Monday 0) in words."""
    names = dict(WEEKDAYS)
    if not value or any(c not in names for c in value):
        return None
    return listing(str(names[c]) for c in value)


VALUES = {
    ("care.facility", "active"): FACILITY_STATES,
    ("care.facility", "kind"): FacilityKind,
    ("care.facility", "staff"): usernames_reading,
    ("care.facility", "capabilities"): capabilities_reading,
    ("care.carerequest", "status"): RequestStatus,
    ("care.healthplan", "category"): PlanCategory,
    ("care.standingneed", "type"): RequestType,
    ("care.standingneed", "repeat"): Repeat,
    ("care.standingneed", "weekdays"): weekdays_reading,
    ("care.medicineorder", "status"): OrderStatus,
    ("care.dispatch", "stage"): Stage,
    ("care.incident", "kind"): IncidentKind,
}
