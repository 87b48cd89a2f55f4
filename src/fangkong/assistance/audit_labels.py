"""What the values of social assistance's events mean (read by the audit log:
`fangkong.audit.labels`)."""

from fangkong.assistance.models import ApplicationStatus, DocumentKind

VALUES = {
    ("assistance.application", "status"): ApplicationStatus,
    ("assistance.application", "documents"): DocumentKind,
}
