"""Who may do what, and where. Every selector scopes through `scope_key`."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from fangkong.accounts.roles import ROLE_CAPS, Cap
from fangkong.db import prefix_q

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
