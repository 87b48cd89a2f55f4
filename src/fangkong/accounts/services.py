import datetime as dt
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from fangkong.accounts.models import ApiToken, User, hash_token
from fangkong.accounts.roles import Role
from fangkong.audit.services import event_record


@transaction.atomic
def token_create(*, user: User, name: str, valid_days: int | None = None) -> tuple[ApiToken, str]:
    """Create a token and return it with its raw value, which is never stored."""
    raw = ApiToken.new_raw()
    token = ApiToken.objects.create(
        user=user,
        name=name.strip() or "API",
        lookup=raw[:10],
        digest=hash_token(raw),
        expires_at=timezone.now() + dt.timedelta(days=valid_days) if valid_days else None,
    )
    event_record(actor=user, action="token.created", obj=token)
    return token, raw


@transaction.atomic
def token_revoke(*, token: ApiToken, actor: Any) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        event_record(actor=actor, action="token.revoked", obj=token)


def user_for_token(raw: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user", "user__jurisdiction")
        .filter(digest=hash_token(raw))
        .first()
    )
    if token is None or not token.is_usable or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


SYSTEM_USERNAME = "system"


def system_actor() -> User:
    """The platform's own account, for changes that follow from data, not from a person's
    decision: a positive single-tube result opens a case at once, wherever the person lives.

    Made on first use: the command-centre role (every capability) over the root of the place
    tree; inactive and without a usable password, so nobody can log in as it or get a token.
    Its events name whom it acted for in their basis and data.
    """
    from fangkong.places.models import Division

    root = Division.objects.filter(parent__isnull=True).order_by("key").first()
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"role": Role.COMMAND, "is_active": False, "jurisdiction": root},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    elif user.is_active or user.has_usable_password():
        raise ImproperlyConfigured(
            f"The account {SYSTEM_USERNAME!r} belongs to a person; rename it so the system "
            "account can be made"
        )
    if root is not None and user.jurisdiction_id != root.pk:
        user.jurisdiction = root
        user.save(update_fields=["jurisdiction"])
    return user
