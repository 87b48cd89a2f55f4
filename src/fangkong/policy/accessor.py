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


_parsed: dict[tuple[str, int], Policy] = {}  # rules already validated, per profile version


def at(code: str, version: int) -> Policy | None:
    """The policy a record was made under (its profile's code and version), or None when that
    version is not on record. One query; the rules are validated once per process and again
    only if the stored rules changed."""
    profile = PolicyProfile.objects.filter(code=code, version=version).first()
    if profile is None:
        return None
    known = _parsed.get((code, version))
    if known is None or known.profile.rules != profile.rules:
        known = _parsed[(code, version)] = load(profile)
    return Policy(profile=profile, rules=known.rules)
