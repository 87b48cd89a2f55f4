"""How the audit log reads a policy profile recorded as `code vN`: its name and version (read by
`fangkong.audit.labels`)."""

from fangkong.audit.labels import per_request
from fangkong.policy.models import PolicyProfile


@per_request
def _profiles() -> dict[str, PolicyProfile]:
    profiles = PolicyProfile.objects.only("code", "version", "name_zh", "name_en")
    return {p.reference: p for p in profiles}


def profile_label(reference: str) -> str | None:
    profile = _profiles().get(reference)
    return profile.label if profile is not None else None


VALUES = {("policy.policyprofile", "active_profile"): profile_label}
# A draft names the version it was copied from and its own (no field)
ACTION_VALUES = {
    ("policy.drafted", ""): profile_label,
    ("policy.draft_discarded", ""): profile_label,
}
