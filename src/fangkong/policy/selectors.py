"""Reads of the policy app: the versions a user may see, where each stands, the timeline."""

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.core.access import Cap, can
from fangkong.policy import accessor
from fangkong.policy.models import PolicyActivation, PolicyProfile

STATUS_LABELS = {
    "draft": _("draft"),
    "in_force": _("in force"),
    "scheduled": _("scheduled"),
    "retired": _("no longer in force"),
    "available": _("never in force"),
}
ACTIVATION_LABELS = {
    "scheduled": _("to come into force"),
    "due": _("in force; measures and codes follow at the next daily run"),
    "applied": _("came into force"),
    "withdrawn": _("withdrawn"),
}


def profiles_for_user(user: Any) -> QuerySet[PolicyProfile]:
    """Every version; drafts only for those who write profiles."""
    qs = PolicyProfile.objects.select_related("based_on")
    return qs if can(user, Cap.POLICY_MANAGE) else qs.filter(is_draft=False)


def profile_for_user(user: Any, pk: int) -> PolicyProfile:
    found = profiles_for_user(user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def activation_for_user(user: Any, pk: int) -> PolicyActivation:
    found = PolicyActivation.objects.select_related("profile").filter(pk=pk).first()
    if found is None or (found.profile.is_draft and not can(user, Cap.POLICY_MANAGE)):
        raise Http404
    return found


@dataclass
class Version:
    profile: PolicyProfile
    status: str
    scheduled_from: Any = None  # the next moment it comes into force, if scheduled

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])


@dataclass
class Step:
    activation: PolicyActivation
    status: str

    @property
    def status_label(self) -> str:
        return str(ACTIVATION_LABELS[self.status])


def activation_status(a: PolicyActivation, now: Any) -> str:
    if a.withdrawn_at is not None:
        return "withdrawn"
    if a.applied_at is not None:
        return "applied"
    return "due" if a.effective_from <= now else "scheduled"


def timeline() -> list[Step]:
    """Every activation, latest first. Two queries however many."""
    now = timezone.now()
    rows = PolicyActivation.objects.select_related("profile", "decided_by", "withdrawn_by")
    return [Step(a, activation_status(a, now)) for a in rows]


def versions(user: Any, steps: list[Step]) -> list[Version]:
    """The versions `user` may see, each with where it stands, newest of each code last."""
    in_force = accessor.current().profile.pk
    coming: dict[int, Any] = {}
    was_in_force = set()
    for step in steps:
        if step.status == "scheduled":
            when = coming.get(step.activation.profile_id)
            coming[step.activation.profile_id] = min(
                filter(None, [when, step.activation.effective_from])
            )
        elif step.status in ("applied", "due"):
            was_in_force.add(step.activation.profile_id)
    out = []
    for p in profiles_for_user(user).order_by("code", "version"):
        if p.pk == in_force:
            status = "in_force"
        elif p.is_draft:
            status = "draft"
        elif p.pk in coming:
            status = "scheduled"
        elif p.pk in was_in_force or p.activated_at is not None:
            status = "retired"
        else:
            status = "available"
        out.append(Version(p, status, coming.get(p.pk)))
    return out
