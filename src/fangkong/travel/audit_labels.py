"""What the statuses of the trip events mean (read by the audit log: `fangkong.audit.labels`)."""

from fangkong.quarantine.models import DueTestStatus
from fangkong.travel.models import TripStatus

VALUES = {("travel.trip", "status"): TripStatus}
# the arrival sample taken as a measure's test day, recorded on the measure
ACTION_VALUES = {("measure.test_sampled", "status"): DueTestStatus}
