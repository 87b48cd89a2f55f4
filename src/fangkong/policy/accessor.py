"""The one door to policy numbers: `current()` returns the typed rules in force now."""

import copy
import datetime as dt
from dataclasses import dataclass

from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from fangkong.policy.models import PolicyActivation, PolicyProfile
from fangkong.policy.schema import Rules


class NoActivePolicy(RuntimeError):
    pass


@dataclass(frozen=True)
class Policy:
    profile: PolicyProfile
    rules: Rules


def load(profile: PolicyProfile) -> Policy:
    return Policy(profile=profile, rules=Rules.model_validate(profile.rules))


def current() -> Policy:
    """The profile in force now: the active one, or one whose activation has come into force
    since the platform last switched (`services.activations_apply` switches, after midnight
    or at once for an activation from now). One query."""
    due = PolicyActivation.objects.filter(
        profile=OuterRef("pk"),
        applied_at__isnull=True,
        withdrawn_at__isnull=True,
        effective_from__lte=timezone.now(),
    ).order_by("-effective_from", "-pk")
    profile = (
        PolicyProfile.objects.annotate(due_from=Subquery(due.values("effective_from")[:1]))
        .filter(Q(is_active=True) | Q(due_from__isnull=False))
        .order_by(F("due_from").desc(nulls_last=True), "-pk")
        .first()
    )
    if profile is None:
        raise NoActivePolicy("no policy profile is active; run `fangkong migrate`")
    return _validated(profile)


def in_force(at: dt.datetime) -> PolicyProfile:
    """The profile in force at `at`, now or ahead: the one of the latest activation (not
    withdrawn) from `at` or before; with none on record, the profile in force now. (Before
    activations were recorded, the audit events say what was in force.)"""
    latest = (
        PolicyActivation.objects.filter(withdrawn_at__isnull=True, effective_from__lte=at)
        .select_related("profile")
        .order_by("-effective_from", "-pk")
        .first()
    )
    return latest.profile if latest is not None else current().profile


# Rules already validated, per profile version, with the stored rules they were made from.
_parsed: dict[tuple[str, int], tuple[dict, Rules]] = {}


def at(code: str, version: int) -> Policy | None:
    """The policy a record was made under (its profile's code and version), or None when that
    version is not on record. One query; the rules are validated once per process and again
    only if the stored rules changed."""
    profile = PolicyProfile.objects.filter(code=code, version=version).first()
    return None if profile is None else _validated(profile)


def _validated(profile: PolicyProfile) -> Policy:
    """The profile with its rules, validated once per process and version, and again only
    if the stored rules changed (a draft being edited): validation is most of the cost."""
    key = (profile.code, profile.version)
    stored, rules = _parsed.get(key, (None, None))
    if rules is None or stored != profile.rules:
        rules = load(profile).rules
        _parsed[key] = (copy.deepcopy(profile.rules), rules)  # a copy: callers may edit theirs
    return Policy(profile=profile, rules=rules)
