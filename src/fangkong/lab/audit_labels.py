"""What the statuses and results of the testing events mean (read by the audit log:
`fangkong.audit.labels`)."""

from fangkong.lab.models import ControlStatus, Outcome, RetestStatus, RoundStatus, TubeStatus

VALUES = {
    ("lab.testinground", "status"): RoundStatus,
    ("lab.tube", "status"): TubeStatus,
    ("lab.tube", "outcome"): Outcome,
    ("lab.retest", "status"): RetestStatus,
    ("lab.temporarycontrol", "status"): ControlStatus,
}
