"""Lab-wide reads: the jurisdiction overlap every sub-domain scopes by, the laboratories and
the tubes a user works on.

Rounds, sites and tubes belong to a node (a round's area, a site's place) that may be above
the caller's own node: a street round is the grid worker's round too, and a street sampling
site serves every grid below it. They are visible when their node and the caller's node lie
on one branch ("overlap"). Lists of people (members, retests) stay strictly in scope.

Laboratories are scoped like quarantine sites: by the lab's place, and an account with the
lab role sees only the labs whose staff it is on, and of the tubes only those sent to them
(and the ones it collected itself). Any sampler may send tubes to any lab in use.
The sub-domains' own reads are in rounds/selectors.py and pools/selectors.py.
"""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.core.access import NO_SCOPE, Cap, can, key_filter, require, scope_key, scoped
from fangkong.core.roles import Role
from fangkong.lab.models import Lab, Tube, TurnaroundClass
from fangkong.places.models import KEY_LENGTH
from fangkong.policy.accessor import current


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


def is_lab_staff(user: Any) -> bool:
    """A laboratory's own account (role "lab"): it works for the labs whose staff it is on."""
    return not getattr(user, "is_superuser", False) and getattr(user, "role", "") == Role.LAB


def labs() -> QuerySet[Lab]:
    """Every lab: tubes may go to a lab in another district."""
    return Lab.objects.all()


def labs_for_user(user: Any, cap: Cap | None = None) -> QuerySet[Lab]:
    """Labs in the caller's jurisdiction (a lab's staff: only the labs they are on the staff
    of): those they may receive tubes at, or, given `cap` (Cap.RESULTS_UPLOAD, Cap.LABS_VIEW,
    Cap.LABS_MANAGE), work on, refused to one without it."""
    if cap is not None:
        require(user, cap)
    qs = scoped(Lab.objects.all(), user)
    if is_lab_staff(user):
        qs = qs.filter(staff=user)
    return qs


def lab_for_user(user: Any, pk: int, cap: Cap = Cap.LABS_VIEW) -> Lab:
    lab = labs_for_user(user, cap).select_related("division", "area").filter(pk=pk).first()
    if lab is None:
        raise Http404
    return lab


def labs_for_sending(user: Any) -> tuple[list[Lab], list[Lab]]:
    """The labs in use a sampler may send tubes to: (those serving the caller's area, the
    others), each by code. A lab serves an area when its area and the caller's node lie on
    one branch."""
    serving: list[Lab] = []
    others: list[Lab] = []
    for lab in labs().filter(active=True).order_by("code"):
        (serving if overlaps(user, lab.served_key) else others).append(lab)
    return serving, others


def tubes_q(user: Any) -> Q:
    """The tubes a user works on: those whose site or round overlaps their jurisdiction; a
    lab's staff, those sent to their labs and those they collected themselves."""
    q = overlap_q(user)
    if is_lab_staff(user):
        return Q(lab__in=labs_for_user(user)) | (q & Q(collected_by=user))
    return q


def turnaround_hours() -> dict[str, int]:
    """The hours each turnaround class promises, from the active policy profile (a class it
    names no hours for is missing)."""
    return dict(current().rules.testing.turnaround_hours)


def turnaround_labels() -> dict[str, str]:
    """Each class as "Fever-clinic standard (within 6 h)", the hours from the active policy
    profile (read once)."""
    hours = turnaround_hours()
    out = {}
    for value, label in TurnaroundClass.choices:
        promised = hours.get(value)
        out[value] = (
            str(label)
            if promised is None
            else _("%(label)s (within %(hours)s h)") % {"label": label, "hours": promised}
        )
    return out


def tubes_sent_on(lab_ids: list[int], day: dt.date) -> dict[int, int]:
    """Tubes sent to each lab on `day` (local time), against its capacity; one query."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    end = start + dt.timedelta(days=1)
    rows = (
        Tube.objects.filter(lab_id__in=lab_ids, sent_at__gte=start, sent_at__lt=end)
        .values("lab_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("lab_id", "n")
    )
    return dict(rows)
