"""What the statuses and results of the testing events mean (read by the audit log:
`fangkong.audit.labels`)."""

from fangkong.audit.labels import usernames_reading
from fangkong.lab.labs.services import LAB_STATES
from fangkong.lab.models import (
    ControlStatus,
    Outcome,
    RetestStatus,
    RoundStatus,
    TubeFill,
    TubeStatus,
    TurnaroundClass,
)

VALUES = {
    ("lab.testinground", "status"): RoundStatus,
    ("lab.tube", "status"): TubeStatus,
    ("lab.tube", "outcome"): Outcome,
    ("lab.tube", "fill"): TubeFill,
    ("lab.retest", "status"): RetestStatus,
    ("lab.temporarycontrol", "status"): ControlStatus,
    ("lab.lab", "active"): LAB_STATES,
    ("lab.lab", "turnaround"): TurnaroundClass,
    ("lab.lab", "staff"): usernames_reading,
}
