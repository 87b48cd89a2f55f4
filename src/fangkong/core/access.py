"""Who may do what, and where. Every selector scopes through `scope_key`."""

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from fangkong.core.db import prefix_q
from fangkong.core.roles import ROLE_CAPS, TWO_FACTOR_CAPS, Cap

NO_SCOPE = "\x00"  # matches no division key: a user without a jurisdiction sees nothing


def caps_of(user: Any) -> frozenset[Cap]:
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    if user.is_superuser:
        return frozenset(Cap)
    return ROLE_CAPS.get(user.role, frozenset())


def can(user: Any, cap: Cap) -> bool:
    return cap in caps_of(user)


def require(user: Any, cap: Cap) -> None:
    if not can(user, cap):
        raise PermissionDenied(cap)


def two_factor_caps() -> frozenset[Cap]:
    """The capabilities whose roles need two-factor: settings.TWO_FACTOR_CAPS, or the default."""
    named = settings.TWO_FACTOR_CAPS
    return frozenset(Cap(c) for c in named) if named else TWO_FACTOR_CAPS


def two_factor_required(user: Any) -> bool:
    """Superusers, staff and every role holding one of `two_factor_caps()`."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or user.is_staff:
        return True
    return bool(ROLE_CAPS.get(user.role, frozenset()) & two_factor_caps())


def scope_key(user: Any) -> str:
    """The division-key prefix of everything the user may see."""
    if getattr(user, "is_superuser", False):
        return ""
    jurisdiction = getattr(user, "jurisdiction", None)
    return jurisdiction.key if jurisdiction is not None else NO_SCOPE


def is_city_wide(user: Any) -> bool:
    """The user's jurisdiction is the whole place tree (its root), or they are a superuser."""
    if getattr(user, "is_superuser", False):
        return True
    jurisdiction = getattr(user, "jurisdiction", None)
    return jurisdiction is not None and jurisdiction.parent_id is None


def in_scope(user: Any, key: str) -> bool:
    prefix = scope_key(user)
    return prefix != NO_SCOPE and key.startswith(prefix)


def key_filter(prefix: str, field: str = "division_key") -> Q:
    if prefix == NO_SCOPE:
        return Q(pk__in=[])  # matches nothing, without sending the sentinel to the database
    return prefix_q(field, prefix)


def scoped[M: Any](qs: QuerySet[M], user: Any, field: str = "division_key") -> QuerySet[M]:
    return qs.filter(key_filter(scope_key(user), field))


def acting_user(actor: Any) -> Any | None:
    """The user behind an action, or None when a process (a name, or None) acted."""
    return actor if getattr(actor, "is_authenticated", False) else None
