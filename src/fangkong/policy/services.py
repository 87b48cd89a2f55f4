import json
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from fangkong.audit.services import event_record
from fangkong.core import changes
from fangkong.core.access import Cap, can, is_city_wide
from fangkong.policy.models import PolicyProfile
from fangkong.policy.schema import Rules

SHIPPED_DIR = Path(__file__).parent / "profiles"
DEFAULT_ACTIVE = "20-measures"


def shipped_documents() -> list[dict[str, Any]]:
    return [json.loads(p.read_text("utf-8")) for p in sorted(SHIPPED_DIR.glob("*.json"))]


def profiles_install_shipped(*, using: str = "default") -> int:
    """Insert shipped profiles that are missing (by code and version); activate one if none is."""
    created = 0
    objects = PolicyProfile.objects.using(using)
    for doc in shipped_documents():
        Rules.model_validate(doc["rules"])
        _, was_created = objects.get_or_create(
            code=doc["code"], version=doc["version"], defaults=doc
        )
        created += was_created
    if not objects.filter(is_active=True).exists():
        first = objects.filter(code=DEFAULT_ACTIVE).order_by("-version").first()
        if first is not None:
            objects.filter(pk=first.pk).update(is_active=True, activated_at=timezone.now())
    return created


def may_activate(user: Any) -> bool:
    """The active profile rules the whole city: only a city-wide command centre changes it."""
    return can(user, Cap.POLICY_MANAGE) and is_city_wide(user)


@transaction.atomic
def profile_activate(*, profile: PolicyProfile, actor: Any, reason: str) -> PolicyProfile:
    previous = PolicyProfile.objects.select_for_update().filter(is_active=True).first()
    if previous is not None and previous.pk == profile.pk:
        return profile
    PolicyProfile.objects.filter(is_active=True).update(is_active=False)
    profile.is_active = True
    profile.activated_at = timezone.now()
    profile.save(update_fields=["is_active", "activated_at"])
    event_record(
        actor=actor,
        action="policy.activated",
        obj=profile,
        field="active_profile",
        from_value=previous.reference if previous else "",
        to_value=profile.reference,
        reason=reason,
        basis=profile.source,
    )
    changes.changed("policy", [profile.pk], actor=actor, objects=[profile])  # codes, measures
    return profile
