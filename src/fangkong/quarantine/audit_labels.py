"""What the codes and labels of the quarantine events mean (read by the audit log:
`fangkong.audit.labels`)."""

import re

from fangkong.audit.labels import Choices, per_request, usernames_reading
from fangkong.quarantine.measures.checks import Symptom
from fangkong.quarantine.measures.selectors import ALERT, CHECK, TEST
from fangkong.quarantine.measures.services import PROFILE_CHANGED
from fangkong.quarantine.models import (
    AlertStatus,
    AllocationBatch,
    DueTestStatus,
    MeasureStatus,
    PhaseKind,
    RoomStatus,
    Site,
    StayStatus,
    TransferStatus,
)
from fangkong.quarantine.sites.services import SITE_STATES

MEASURE, STAY = "quarantine.measure", "quarantine.stay"
SITE_ROOM = re.compile(r"^(\d+):(.+)$")  # a move records "<site id>:<room>"
_symptoms = Choices(Symptom)


def check_reading(value: str) -> str | None:
    """ "38.2 °C; Fever, Cough" (the symptoms in the writer's language) in the reader's."""
    temperature, sep, symptoms = value.partition("; ")
    if not sep:
        return None
    return temperature + sep + ", ".join(_symptoms(s) or s for s in symptoms.split(", "))


@per_request
def _site_names() -> dict[int, str]:
    return dict(Site.objects.values_list("pk", "name"))


def room_reading(value: str) -> str | None:
    """ "12:A-101" as "<site name> A-101"."""
    found = SITE_ROOM.match(value)
    name = _site_names().get(int(found.group(1))) if found else None
    return f"{name} {found.group(2)}" if found and name else None


VALUES = {
    ("quarantine.site", "staff"): usernames_reading,
    ("quarantine.site", "active"): SITE_STATES,
    (MEASURE, "status"): MeasureStatus,
    (MEASURE, "phase"): PhaseKind,
    (TEST, "status"): DueTestStatus,
    (CHECK, "temperature"): check_reading,
    (ALERT, "status"): AlertStatus,
    ("quarantine.room", "status"): RoomStatus,
    (STAY, "status"): StayStatus,
    (STAY, "room"): room_reading,
    ("quarantine.allocationbatch", "status"): AllocationBatch.Status,
    ("quarantine.transfer", "status"): TransferStatus,
}
ACTION_VALUES = {("measure.started", ""): MeasureStatus}  # older events name no field
REASONS = {"measure.replanned": {"profile_changed": PROFILE_CHANGED}}
