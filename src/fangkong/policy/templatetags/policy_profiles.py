"""`{% profile_label code version %}`: the policy profile a record was made under, by its name
and version in the reader's language (records keep its code, `20-measures`)."""

from django import template

from fangkong.policy.models import PolicyProfile

register = template.Library()


@register.simple_tag
def profile_label(code: str, version: int | None = None) -> str:
    if not code:
        return "—"
    profiles = PolicyProfile.objects.filter(code=code)
    if version is not None:
        profiles = profiles.filter(version=version)
    profile = profiles.order_by("-is_active", "-version").first()
    return profile.label if profile is not None else f"{code} v{version}" if version else code
