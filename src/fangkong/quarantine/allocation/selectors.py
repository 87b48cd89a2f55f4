"""Reads of allocation: whom to allocate (waiting close contacts, pasted ID numbers), the
batches a user may see, and a batch's lines, sites and unplaced people for its page.
"""

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, Max, OuterRef, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from fangkong.core.access import Cap, require, scoped
from fangkong.core.errors import field_error
from fangkong.epi.contacts.selectors import contacts_for_user
from fangkong.epi.models import Contact, ContactStatus, Degree
from fangkong.people.idnumber import IdNumberError, mask_id_number, parse_id_number
from fangkong.people.models import Resident
from fangkong.policy import accessor
from fangkong.policy.schema import CATEGORIES
from fangkong.quarantine.allocation.engine import (
    R_BAD_ID,
    R_UNKNOWN,
    chunks,
    reason_text,
    unplaced_entry,
)
from fangkong.quarantine.measures.services import category_label
from fangkong.quarantine.models import (
    STAY_OPEN,
    AllocationBatch,
    Measure,
    MeasureStatus,
    Room,
    Site,
    Stay,
)
from fangkong.quarantine.sites.selectors import is_site_manager

CENTRALISED_PHASES = {"centralised", "centralised_or_home"}
MAX_PEOPLE = 20000

# Whom to allocate -----------------------------------------------------------------------


def category_rule(category: str) -> Any:
    """The active profile's rule for `category`, refused unless it has centralised quarantine."""
    if not category or category not in CATEGORIES:
        raise field_error("category", _("Choose the people's category: it decides the schedule"))
    policy = accessor.current()
    rule = policy.rules.measure(category)
    if not rule.identified or not rule.phases:
        raise field_error(
            "category",
            _("The active policy (%(profile)s) sets no measures for %(category)s")
            % {"profile": policy.profile.name, "category": category_label(category)},
        )
    if rule.phases[0].kind not in CENTRALISED_PHASES:
        raise field_error(
            "category",
            _(
                "Under the active policy (%(profile)s), %(category)s has no centralised "
                "quarantine: start home measures instead"
            )
            % {"profile": policy.profile.name, "category": category_label(category)},
        )
    return rule


def _degree_of(category: str) -> str:
    degrees = {"close_contact": Degree.CLOSE, "secondary_contact": Degree.SECONDARY}
    if category not in degrees:
        raise field_error(
            "category",
            _("Contacts are close or secondary contacts: choose one of those categories"),
        )
    return degrees[category]


def waiting_contacts(
    user: Any, *, category: str = "close_contact", since: dt.date | None = None
) -> QuerySet[Contact]:
    """Contacts identified or located, whose person has no active measure and no room yet."""
    qs = contacts_for_user(user, degree=_degree_of(category)).filter(
        status__in=(ContactStatus.IDENTIFIED, ContactStatus.LOCATED)
    )
    if since is not None:
        qs = qs.filter(created_at__date__gte=since)
    active = Measure.objects.filter(person=OuterRef("person"), status=MeasureStatus.ACTIVE)
    housed = Stay.objects.filter(person=OuterRef("person"), status__in=STAY_OPEN)
    return qs.filter(~Exists(active), ~Exists(housed))


def people_from_contacts(
    user: Any, *, category: str, since: dt.date | None = None
) -> dict[int, dt.date]:
    """Person → last exposure (the latest over their contact records): the anchor."""
    rows = (
        waiting_contacts(user, category=category, since=since)
        .values("person_id")
        .annotate(anchor=Max("last_exposure_on"))
        .order_by("person_id")
        .values_list("person_id", "anchor")
    )
    return dict(rows)


def people_from_id_numbers(
    user: Any, text: str, *, anchor_on: dt.date | None
) -> tuple[dict[int, dt.date], list[dict[str, Any]]]:
    """Pasted ID numbers (one per line, or separated by spaces, commas or semicolons)."""
    if anchor_on is None:
        raise field_error("anchor_on", _("Enter the date the schedule counts from"))
    unplaced: list[dict[str, Any]] = []
    numbers: list[str] = []
    for token in (text or "").replace(",", " ").replace(";", " ").replace("，", " ").split():
        try:
            numbers.append(parse_id_number(token).number)
        except IdNumberError as exc:
            unplaced.append(
                unplaced_entry(None, R_BAD_ID, {"reason": str(exc)}, label=_masked(token))
            )
    numbers = list(dict.fromkeys(numbers))
    if not numbers and not unplaced:
        raise field_error("id_numbers", _("Paste the ID numbers of the people to allocate"))
    if len(numbers) > MAX_PEOPLE:
        raise field_error(
            "id_numbers", _("Allocate at most %(max)s people at once") % {"max": MAX_PEOPLE}
        )
    found: dict[str, int] = {}
    for chunk in chunks(numbers):
        found.update(
            scoped(Resident.objects.filter(id_number__in=chunk), user).values_list(
                "id_number", "id"
            )
        )
    for number in numbers:
        if number not in found:
            unplaced.append(unplaced_entry(None, R_UNKNOWN, label=mask_id_number(number)))
    return {found[n]: anchor_on for n in numbers if n in found}, unplaced


def _masked(token: str) -> str:
    return mask_id_number(token) if len(token) == 18 else token[:3] + "…"


# Batches --------------------------------------------------------------------------------


def batches_for(user: Any) -> QuerySet[AllocationBatch]:
    """Batches proposed in the user's jurisdiction; a site manager sees their own."""
    require(user, Cap.QUARANTINE_MANAGE)
    qs = scoped(AllocationBatch.objects.all(), user)
    if is_site_manager(user):
        qs = qs.filter(created_by=user)
    return qs


def batch_for(user: Any, pk: int) -> AllocationBatch:
    batch = batches_for(user).select_related("created_by").filter(pk=pk).first()
    if batch is None:
        raise Http404
    return batch


# Reading a batch ------------------------------------------------------------------------


@dataclass
class Line:
    person: Resident
    room: Room
    group: int
    anchor: dt.date
    household: int | None
    shares: int  # people of this batch in the same room


@dataclass
class SiteShare:
    site: Site
    people: int
    rooms: int


def batch_allocated_at(batch: AllocationBatch) -> dt.datetime | None:
    """When a confirmed batch's rooms were allocated (valid time, as confirmed); one query."""
    if batch.status != AllocationBatch.Status.CONFIRMED:
        return None
    return batch.stays.order_by("allocated_at").values_list("allocated_at", flat=True).first()


def batch_lines(batch: AllocationBatch, lines: Sequence[dict[str, Any]]) -> list[Line]:
    """Rows for a page of a batch's lines (two queries)."""
    people = Resident.objects.in_bulk([line["person"] for line in lines])
    rooms = Room.objects.select_related("site").in_bulk([line["room"] for line in lines])
    in_room = Counter(line["room"] for line in batch.plan)
    return [
        Line(
            person=people[line["person"]],
            room=rooms[line["room"]],
            group=line["group"],
            anchor=dt.date.fromisoformat(line["anchor"]),
            household=line.get("household"),
            shares=in_room[line["room"]],
        )
        for line in lines
        if line["person"] in people and line["room"] in rooms
    ]


def batch_sites(batch: AllocationBatch) -> list[SiteShare]:
    """People and rooms per site in a batch (one query)."""
    people = Counter(line["site"] for line in batch.plan)
    rooms: dict[int, set[int]] = defaultdict(set)
    for line in batch.plan:
        rooms[line["site"]].add(line["room"])
    sites = Site.objects.in_bulk(list(people))
    return [
        SiteShare(sites[pk], n, len(rooms[pk]))
        for pk, n in sorted(people.items(), key=lambda kv: -kv[1])
        if pk in sites
    ]


@dataclass
class Unplaced:
    person: Resident | None
    label: str
    reason: str
    anchor: str | None


def batch_unplaced(batch: AllocationBatch, limit: int = 500) -> list[Unplaced]:
    entries = batch.unplaced[:limit]
    people = Resident.objects.in_bulk([e["person"] for e in entries if e.get("person")])
    return [
        Unplaced(
            person=people.get(e["person"]) if e.get("person") else None,
            label=e.get("label", ""),
            reason=reason_text(e),
            anchor=e.get("anchor"),
        )
        for e in entries
    ]
