"""Reading quarantine sites, their rooms and the stays in them.

Scoping is one rule, in `sites_for`: a site is seen by everyone whose jurisdiction holds the
site's place (`division_key`), and a site manager (role "quarantine") sees only the sites whose
`staff` they belong to. Rooms and stays are reached through `sites_for`, so every page and
endpoint scopes the same way. Also the labels shown on boards, the figures and the occupancy board.
"""

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils.translation import gettext as _

from fangkong.core.access import Cap, require, scoped
from fangkong.core.errors import field_error
from fangkong.core.roles import Role
from fangkong.quarantine.models import (
    STAY_OPEN,
    Room,
    RoomStatus,
    Site,
    Stay,
    StayStatus,
)

# Scoping ------------------------------------------------------------------------------------


def is_site_manager(user: Any) -> bool:
    return not getattr(user, "is_superuser", False) and getattr(user, "role", "") == Role.QUARANTINE


def sites_for(user: Any, cap: Cap = Cap.QUARANTINE_VIEW) -> QuerySet[Site]:
    """The sites `user` may see: by jurisdiction, and a site manager only at their own sites."""
    require(user, cap)
    qs = scoped(Site.objects.all(), user)
    if is_site_manager(user):
        qs = qs.filter(staff=user)
    return qs


def site_for(user: Any, pk: int, cap: Cap = Cap.QUARANTINE_VIEW) -> Site:
    site = sites_for(user, cap).select_related("division").filter(pk=pk).first()
    if site is None:
        raise Http404
    return site


def rooms_for(user: Any, cap: Cap = Cap.QUARANTINE_VIEW) -> QuerySet[Room]:
    return Room.objects.filter(site__in=sites_for(user, cap))


def room_for(user: Any, pk: int, cap: Cap = Cap.QUARANTINE_VIEW) -> Room:
    room = rooms_for(user, cap).select_related("site").filter(pk=pk).first()
    if room is None:
        raise Http404
    return room


def stays_for(user: Any, cap: Cap = Cap.QUARANTINE_VIEW) -> QuerySet[Stay]:
    return Stay.objects.filter(site__in=sites_for(user, cap))


def stay_for(user: Any, pk: int, cap: Cap = Cap.QUARANTINE_VIEW) -> Stay:
    stay = stays_for(user, cap).select_related("person", "room", "site").filter(pk=pk).first()
    if stay is None:
        raise Http404
    return stay


def require_site(actor: Any, site: Site) -> None:
    """The actor manages sites and this is one of theirs (services check it themselves)."""
    if not sites_for(actor, Cap.QUARANTINE_MANAGE).filter(pk=site.pk).exists():
        raise field_error("site", _("This site is not one you manage"))


# Labels -------------------------------------------------------------------------------------


def room_label(building: str, number: str) -> str:
    return f"{building}-{number}" if building else number


def masked_name(name: str) -> str:
    """Only the first character on boards and lists shown to many: 张伟 → 张*."""
    return f"{name[:1]}*" if name else "*"


# Figures and the occupancy board ------------------------------------------------------------


@dataclass
class Occupancy:
    sites: int = 0
    rooms: int = 0
    beds: int = 0
    available: int = 0
    occupied: int = 0
    cleaning: int = 0
    closed: int = 0
    people_in: int = 0
    people_expected: int = 0

    @property
    def free(self) -> int:
        return self.available


_ROOM_COUNTS = {
    "rooms": Count("id"),
    "beds": Sum("beds"),
    "available": Count("id", filter=Q(status=RoomStatus.AVAILABLE)),
    "occupied": Count("id", filter=Q(status=RoomStatus.OCCUPIED)),
    "cleaning": Count("id", filter=Q(status=RoomStatus.CLEANING)),
    "closed": Count("id", filter=Q(status=RoomStatus.CLOSED)),
}
_STAY_COUNTS = {
    "people_in": Count("id", filter=Q(status=StayStatus.IN)),
    "people_expected": Count("id", filter=Q(status=StayStatus.PLANNED)),
}


def occupancy_totals(sites: QuerySet[Site]) -> Occupancy:
    """Sites, rooms, beds, rooms by status and people, over `sites` in use (three queries)."""
    in_use = sites.filter(active=True)
    totals = Occupancy(sites=in_use.count())
    rooms = Room.objects.filter(site__in=in_use).aggregate(**_ROOM_COUNTS)
    stays = Stay.objects.filter(site__in=in_use, status__in=STAY_OPEN).aggregate(**_STAY_COUNTS)
    for name, value in {**rooms, **stays}.items():
        setattr(totals, name, value or 0)
    return totals


def occupancy_by_site(sites: Sequence[Site]) -> dict[int, Occupancy]:
    """The same figures per site for a page of sites (two queries)."""
    ids = [s.pk for s in sites]
    out = {pk: Occupancy(sites=1) for pk in ids}
    rooms = (
        Room.objects.filter(site_id__in=ids).values("site_id").annotate(**_ROOM_COUNTS).order_by()
    )
    stays = (
        Stay.objects.filter(site_id__in=ids, status__in=STAY_OPEN)
        .values("site_id")
        .annotate(**_STAY_COUNTS)
        .order_by()
    )
    for row in [*rooms, *stays]:
        data: dict[str, Any] = dict(row)
        figures = out[data.pop("site_id")]
        for name, value in data.items():
            setattr(figures, name, value or 0)
    return out


@dataclass
class Cell:
    room: Room
    occupants: list[str]  # masked names
    expected: bool  # allocated, nobody arrived yet

    @property
    def state(self) -> str:
        return (
            "expected"
            if self.expected and self.room.status == RoomStatus.OCCUPIED
            else self.room.status
        )


@dataclass
class Floor:
    number: int
    cells: list[Cell]


@dataclass
class Building:
    name: str
    floors: list[Floor]


@dataclass
class Board:
    buildings: list[Building]
    counts: Counter[str]
    beds: int
    people_in: int
    people_expected: int


def site_board(site: Site, *, building: str | None = None) -> Board:
    """A site's rooms as a grid, building by building and top floor first (two queries)."""
    rooms = Room.objects.filter(site=site).order_by("building", "-floor", "number")
    if building is not None:
        rooms = rooms.filter(building=building)
    open_stays = (
        Stay.objects.filter(site=site, status__in=STAY_OPEN)
        .order_by("room_id", "id")
        .values_list("room_id", "status", "person__name")
    )
    names: dict[int, list[str]] = defaultdict(list)
    arrived: dict[int, bool] = defaultdict(bool)
    people: Counter[str] = Counter()
    for room_id, status, name in open_stays:
        names[room_id].append(masked_name(name))
        arrived[room_id] |= status == StayStatus.IN
        people[status] += 1
    counts: Counter[str] = Counter()
    buildings: dict[str, dict[int, list[Cell]]] = {}
    beds = 0
    for room in rooms:
        counts[room.status] += 1
        beds += room.beds
        occupants = names.get(room.pk, [])
        cell = Cell(room, occupants, bool(occupants) and not arrived[room.pk])
        buildings.setdefault(room.building, {}).setdefault(room.floor, []).append(cell)
    return Board(
        buildings=[
            Building(name, [Floor(n, cells) for n, cells in floors.items()])
            for name, floors in buildings.items()
        ],
        counts=counts,
        beds=beds,
        people_in=people[StayStatus.IN],
        people_expected=people[StayStatus.PLANNED],
    )


def free_rooms(site: Site) -> QuerySet[Room]:
    """Rooms of `site` nobody is allocated to and that are open, for moves."""
    return Room.objects.filter(site=site, status=RoomStatus.AVAILABLE).order_by(
        "building", "floor", "number"
    )


def open_stays(site: Site) -> QuerySet[Stay]:
    return (
        Stay.objects.filter(site=site, status__in=STAY_OPEN)
        .select_related("person", "room")
        .order_by("status", "room__building", "room__floor", "room__number", "id")
    )
