"""Lab-wide reads: the jurisdiction overlap every sub-domain scopes by, and the laboratories.

Rounds, sites and tubes belong to a node (a round's area, a site's place) that may be above
the caller's own node: a street round is the grid worker's round too, and a street sampling
site serves every grid below it. They are visible when their node and the caller's node lie
on one branch ("overlap"). Lists of people (members, retests) stay strictly in scope.
The sub-domains' own reads are in rounds/selectors.py and pools/selectors.py.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from fangkong.core.access import NO_SCOPE, Cap, can, key_filter, require, scope_key, scoped
from fangkong.lab.models import Lab
from fangkong.places.models import KEY_LENGTH


def ancestor_keys(prefix: str) -> list[str]:
    """Keys of the nodes strictly above the node `prefix` (none for the whole city or nobody)."""
    if prefix in ("", NO_SCOPE):
        return []
    return [prefix[:n] for n in sorted(set(KEY_LENGTH.values())) if n < len(prefix)]


def overlap_q(user: Any, field: str = "division_key") -> Q:
    """Rows whose node is the caller's node, below it, or above it."""
    prefix = scope_key(user)
    q = key_filter(prefix, field)
    above = ancestor_keys(prefix)
    return q | Q(**{f"{field}__in": above}) if above else q


def overlaps(user: Any, key: str) -> bool:
    prefix = scope_key(user)
    if prefix == NO_SCOPE:
        return False
    return key.startswith(prefix) or prefix.startswith(key)


def require_any(user: Any, *caps: Cap) -> None:
    if not any(can(user, c) for c in caps):
        raise PermissionDenied(caps[0])


# Labs -----------------------------------------------------------------------------------


def labs() -> QuerySet[Lab]:
    """Every lab: tubes may go to a lab in another district."""
    return Lab.objects.all()


def labs_for_user(user: Any, cap: Cap | None = None) -> QuerySet[Lab]:
    """Labs in the caller's jurisdiction: those they may receive tubes at, or, given `cap`
    (Cap.RESULTS_UPLOAD), upload results for, refused to one without it."""
    if cap is not None:
        require(user, cap)
    return scoped(Lab.objects.all(), user)
