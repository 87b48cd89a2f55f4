"""The one door to policy numbers: `current()` returns the active profile's typed rules."""

from dataclasses import dataclass

from fangkong.policy.models import PolicyProfile
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
    profile = PolicyProfile.objects.filter(is_active=True).first()
    if profile is None:
        raise NoActivePolicy("no policy profile is active; run `fangkong migrate`")
    return load(profile)
