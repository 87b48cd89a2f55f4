"""What the codes and labels of the case and contact events mean (read by the audit log:
`fangkong.audit.labels`)."""

from fangkong.audit.labels import Choices
from fangkong.epi.models import (
    CandidateDecision,
    CaseKind,
    CaseStatus,
    ContactStatus,
    Degree,
    Destination,
    RequestStatus,
)

VALUES = {
    ("epi.case", "kind"): CaseKind,
    ("epi.case", "status"): CaseStatus,
    ("epi.case", "destination"): Choices(Destination, prefix=True),  # the kind, then the name
    ("epi.contact", "degree"): Degree,  # "<degree> ← <case number>"
    ("epi.contact", "status"): ContactStatus,
    ("epi.contactrequest", "status"): RequestStatus,
    ("epi.candidate", "decision"): CandidateDecision,
}
