"""Quarantine sites and their rooms of a situation import.

Sites: natural key the site code. A new site is registered at the place its code names
(`places.models.named`: a 6-digit district code, a 9/12-digit statistical code, or the key),
opened at `opened_at` (its `site.registered` event dated then, so the figures count it in use
from then). A site already registered in the actor's jurisdiction is matched and kept as
registered; one registered elsewhere is refused.

Rooms: natural key (site code, building, room number). A room whose beds are not given gets
its site's beds per room (the sites sheet's column; 1 when that is not given either), and the
preview says so. A room already registered is matched and kept as registered.
"""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from fangkong.audit.services import EventRow, actor_columns, events_record_bulk
from fangkong.command.situation.base import E_DUPLICATE_KEY, E_LONG, Context, Kind, Line
from fangkong.core import dates
from fangkong.core.access import in_scope
from fangkong.core.bulk import copy_rows
from fangkong.core.tabular import E_REQUIRED, Columns
from fangkong.people.importing.validation import lookup
from fangkong.places.models import Division, named_any, names_division
from fangkong.quarantine.models import Room, RoomStatus, Site, SiteKind
from fangkong.quarantine.sites.services import SITE_CODE_RE

E_SITE_CODE = gettext_noop("A site code is up to 20 letters, digits, dots or dashes")
E_SITE_OUTSIDE = gettext_noop("A site with this code is registered outside your jurisdiction")
E_PLACE = gettext_noop("No place in your jurisdiction has this code")
E_NUMBER = gettext_noop("Write a whole number from %(low)s to %(high)s")
E_NO_SITE = gettext_noop(
    "No site with this code in the sites sheet or registered in your jurisdiction"
)
E_SITE_ROW = gettext_noop("This site's row in the sites sheet is wrong (see its errors)")

D_SITE_KNOWN = gettext_noop("Already registered: matched by site code and kept as registered")
D_SITE_KIND = gettext_noop("Not given: other")
D_BEDS_PER_ROOM = gettext_noop("Not given: 1 bed per room")
D_ROOM_KNOWN = gettext_noop("Already registered: matched by site, building and room and kept")
D_BEDS = gettext_noop("Not given: the site's beds per room (%(beds)s)")
D_FLOOR = gettext_noop("Not given: the room number's leading digits (502 is on floor 5)")

SITE_KINDS = {v: v for v in SiteKind.values} | {
    "酒店": "hotel",
    "宾馆": "hotel",
    "专用隔离点": "purpose_built",
    "方舱": "purpose_built",
    "宿舍": "dormitory",
    "培训中心": "dormitory",
    "其他": "other",
}
for _language in ("zh-hans", "en"):
    with translation.override(_language):
        SITE_KINDS.update({str(label).lower(): value for value, label in SiteKind.choices})


@dataclass
class SiteRef:
    """A site a line names: registered (pk) or new in this import."""

    code: str
    pk: int | None
    division_key: str
    opened_at: dt.datetime
    beds_per_room: int = 1


@dataclass
class SiteRow:
    code: str
    name: str
    kind: str
    place: Division | None
    address: str
    opened_at: dt.datetime
    beds_per_room: int
    known: bool = False


def _whole(line: Line, canon: str, low: int, high: int) -> int | None:
    text = line.cell(canon)
    if not text:
        return None
    try:
        value = int(float(text))
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        line.error(canon, E_NUMBER, {"low": low, "high": high})
        return None
    return value


class Sites(Kind):
    name = "sites"
    title = gettext_lazy("Quarantine sites")
    columns = Columns(
        names=("code", "name", "kind", "place_code", "address", "opened_at", "beds_per_room"),
        chinese={
            "code": "隔离点编码",
            "name": "隔离点名称",
            "kind": "隔离点类型",
            "place_code": "所在地编码",
            "address": "地址",
            "opened_at": "启用时间",
            "beds_per_room": "每间床位数",
        },
        aliases={
            "code": ("隔离点编码", "编码", "sitecode", "code", "site"),
            "name": ("隔离点名称", "名称", "name"),
            "kind": ("隔离点类型", "类型", "kind"),
            "place_code": ("所在地编码", "区划代码", "placecode", "place"),
            "address": ("地址", "address"),
            "opened_at": ("启用时间", "开放时间", "openedat", "opened"),
            "beds_per_room": ("每间床位数", "床位数/间", "bedsperroom"),
        },
        required=("code", "name", "place_code", "opened_at"),
    )
    sample = (("XC-GL-01", "许昌宾馆", "酒店", "411002", "许昌市魏都区", "2022-05-01 08:00", "2"),)

    def notes(self) -> dict[str, str]:
        return {
            "code": _("The site's code, up to 20 letters, digits, dots or dashes; its key"),
            "name": _("The site's name"),
            "kind": _("One of: %(values)s") % {"values": "酒店 专用隔离点 宿舍 其他"},
            "place_code": _(
                "6-digit district code, 9- or 12-digit statistical code, in your jurisdiction"
            ),
            "address": _("Street address"),
            "opened_at": _("When the site opened, such as 2022-05-01 08:00"),
            "beds_per_room": _("Beds of a room whose beds the rooms sheet does not give"),
        }

    def parse(self, line: Line) -> None:
        code = line.cell("code").upper()
        if not code:
            line.error("code", E_REQUIRED)
        elif not SITE_CODE_RE.match(code):
            line.error("code", E_SITE_CODE)
        name = line.cell("name")
        if not name:
            line.error("name", E_REQUIRED)
        elif len(name) > 120:
            line.error("name", E_LONG, {"max": 120})
        kind = line.choice("kind", SITE_KINDS, SiteKind.values)
        if not line.cell("place_code"):
            line.error("place_code", E_REQUIRED)
        opened = line.moment("opened_at")
        if not line.cell("opened_at"):
            line.error("opened_at", E_REQUIRED)
        beds = _whole(line, "beds_per_room", 1, 20)
        if line.errors or opened is None:
            return
        line.value = SiteRow(
            code=code,
            name=name,
            kind=kind or SiteKind.OTHER,
            place=None,
            address=line.cell("address")[:200],
            opened_at=opened,
            beds_per_room=beds or 1,
        )

    def check(self, lines: list[Line], ctx: Context) -> None:
        found = ctx.found
        codes = [ln.value.code for ln in lines if ln.value]
        registered = {
            row[0]: row[1:]
            for row in lookup(Site, "code", codes, ("code", "pk", "division_key", "opened_at"))
        }
        texts = sorted({ln.cell("place_code") for ln in lines if ln.value})
        places = list(Division.objects.filter(named_any(texts))) if texts else []
        first: dict[str, int] = {}
        for line in lines:
            found.rows[self.name] += 1
            row: SiteRow | None = line.value
            if row is None:
                continue
            if row.code in first:
                line.error("code", E_DUPLICATE_KEY, {"key": "隔离点编码", "row": first[row.code]})
                continue
            first[row.code] = line.number
            old = registered.get(row.code)
            if old is not None:
                if not in_scope(ctx.actor, old[1]):
                    line.error("code", E_SITE_OUTSIDE)
                    ctx.outside_sites.add(row.code)
                    continue
                row.known = True
                ctx.sites[row.code] = SiteRef(row.code, old[0], old[1], old[2], row.beds_per_room)
                found.unchanged[self.name] += 1
                found.default(self.name, "code", D_SITE_KNOWN)
                continue
            text = line.cell("place_code")
            place = next((d for d in places if names_division(text, d)), None)
            if place is None or not in_scope(ctx.actor, place.key):
                line.error("place_code", E_PLACE)
                continue
            row.place = place
            try:
                dates.check_happened("opened_at", row.opened_at, tolerance=ctx.tolerance)
            except ValidationError as exc:
                line.error("opened_at", exc.messages[0])
                continue
            if not line.cell("kind"):
                found.default(self.name, "kind", D_SITE_KIND)
            if not line.cell("beds_per_room"):
                found.default(self.name, "beds_per_room", D_BEDS_PER_ROOM)
            ctx.sites[row.code] = SiteRef(
                row.code, None, place.key, row.opened_at, row.beds_per_room
            )
            found.new[self.name] += 1
            found.district(self.name, place.key)
        ctx.wrong_sites.update(ln.cell("code").upper() for ln in lines if ln.errors)

    def write(self, lines: list[Line], ctx: Context) -> None:
        rows: list[SiteRow] = [ln.value for ln in lines if ln.value and not ln.value.known]
        if not rows:
            return
        now = timezone.now()
        fields = (
            *("code", "name", "kind", "address", "division", "phone", "active"),
            *("division_key", "opened_at", "created_at"),
        )
        copy_rows(Site, fields, (_site_values(r, now) for r in rows if r.place is not None))
        ids = dict(lookup(Site, "code", [r.code for r in rows], ("code", "pk")))
        user_id, actor_name = actor_columns(ctx.actor)
        for r in rows:
            ctx.sites[r.code].pk = ids[r.code]
        ctx.events += events_record_bulk(
            EventRow(
                at=r.opened_at,
                actor=user_id,
                actor_name=actor_name,
                action="site.registered",
                object_type="quarantine.site",
                object_id=str(ids[r.code]),
                object_label=r.name[:200],
                division_key=ctx.sites[r.code].division_key,
                reason=ctx.reason,
            )
            for r in rows
        )


def _site_values(r: SiteRow, now: dt.datetime) -> tuple[object, ...]:
    place = r.place
    assert place is not None
    return (r.code, r.name, r.kind, r.address, place.pk, "", True, place.key, r.opened_at, now)


@dataclass
class RoomRow:
    site: str
    building: str
    number: str
    floor: int
    beds: int | None
    known: bool = False


class Rooms(Kind):
    name = "rooms"
    title = gettext_lazy("Rooms")
    columns = Columns(
        names=("site_code", "building", "number", "floor", "beds"),
        chinese={
            "site_code": "隔离点编码",
            "building": "楼栋",
            "number": "房间号",
            "floor": "楼层",
            "beds": "床位数",
        },
        aliases={
            "site_code": ("隔离点编码", "隔离点", "sitecode", "site"),
            "building": ("楼栋", "楼号", "building"),
            "number": ("房间号", "房号", "room", "number"),
            "floor": ("楼层", "层", "floor"),
            "beds": ("床位数", "床位", "beds"),
        },
        required=("site_code", "number"),
    )
    sample = (("XC-GL-01", "A", "502", "5", ""),)

    def notes(self) -> dict[str, str]:
        return {
            "site_code": _("The site's code: in the sites sheet or already registered"),
            "building": _("Building, as written on the site"),
            "number": _("Room number; with the site and building, the room's key"),
            "floor": _("Floor; empty: the room number's leading digits"),
            "beds": _("Beds in the room; empty: the site's beds per room"),
        }

    def parse(self, line: Line) -> None:
        site = line.cell("site_code").upper()
        if not site:
            line.error("site_code", E_REQUIRED)
        number = line.cell("number")
        if not number:
            line.error("number", E_REQUIRED)
        elif len(number) > 20:
            line.error("number", E_LONG, {"max": 20})
        building = line.cell("building")
        if len(building) > 20:
            line.error("building", E_LONG, {"max": 20})
        floor = _whole(line, "floor", -5, 200)
        if floor is None and not line.cell("floor"):
            digits = "".join(c for c in number if c.isdigit())
            floor = int(digits[:-2]) if len(digits) > 2 else 1
        beds = _whole(line, "beds", 1, 20)
        if not line.errors and floor is not None:
            line.value = RoomRow(site, building, number, floor, beds)

    def check(self, lines: list[Line], ctx: Context) -> None:
        found = ctx.found
        self._load_sites({ln.value.site for ln in lines if ln.value} - set(ctx.sites), ctx)
        known_sites = {ref.pk: code for code, ref in ctx.sites.items() if ref.pk}
        registered: dict[tuple[str, str, str], int] = {}
        fields = ("site_id", "building", "number", "pk", "beds")
        for s, b, n, pk, beds in lookup(Room, "site_id", list(known_sites), fields):
            registered[(known_sites[s], b, n)] = pk
            ctx.beds[(known_sites[s], b, n)] = beds
        first: dict[tuple[str, str, str], int] = {}
        for line in lines:
            found.rows[self.name] += 1
            row: RoomRow | None = line.value
            if row is None:
                continue
            key = (row.site, row.building, row.number)
            if key in first:
                line.error("number", E_DUPLICATE_KEY, {"key": "房间号", "row": first[key]})
                continue
            first[key] = line.number
            site = ctx.sites.get(row.site)
            if site is None:
                line.error("site_code", site_missing(ctx, row.site))
                continue
            if key in registered:
                row.known = True
                ctx.rooms[key] = registered[key]
                found.unchanged[self.name] += 1
                found.default(self.name, "number", D_ROOM_KNOWN)
                continue
            if not line.cell("floor"):
                found.default(self.name, "floor", D_FLOOR)
            if row.beds is None:
                row.beds = site.beds_per_room
                found.default(self.name, "beds", D_BEDS, beds=site.beds_per_room)
            ctx.rooms[key] = None
            ctx.beds[key] = row.beds
            found.new[self.name] += 1
            found.district(self.name, site.division_key)
        ctx.wrong_rooms.update(
            (ln.cell("site_code").upper(), ln.cell("building"), ln.cell("number"))
            for ln in lines
            if ln.errors
        )
        for key, pk in registered.items():  # rooms the stays may name without a rooms line
            ctx.rooms.setdefault(key, pk)

    def _load_sites(self, codes: set[str], ctx: Context) -> None:
        load_sites(codes, ctx)

    def write(self, lines: list[Line], ctx: Context) -> None:
        rows: list[RoomRow] = [ln.value for ln in lines if ln.value and not ln.value.known]
        if not rows:
            return
        copy_rows(
            Room,
            ("site", "building", "floor", "number", "beds", "accessible", "status", "division_key"),
            (
                (
                    ctx.sites[r.site].pk,
                    r.building,
                    r.floor,
                    r.number,
                    r.beds,
                    False,
                    RoomStatus.AVAILABLE,
                    ctx.sites[r.site].division_key,
                )
                for r in rows
            ),
        )
        codes = {ctx.sites[r.site].pk: r.site for r in rows}
        for s, b, n, pk in lookup(
            Room, "site_id", list(codes), ("site_id", "building", "number", "pk")
        ):
            ctx.rooms[(codes[s], b, n)] = pk


def load_sites(codes: set[str], ctx: Context) -> None:
    """Registered sites the lines name and the sites sheet does not, within scope."""
    fields = ("code", "pk", "division_key", "opened_at")
    for code, pk, key, opened in lookup(Site, "code", sorted(codes), fields):
        if in_scope(ctx.actor, key):
            ctx.sites[code] = SiteRef(code, pk, key, opened)
        else:
            ctx.outside_sites.add(code)


def site_missing(ctx: Context, code: str) -> str:
    if code in ctx.outside_sites:
        return E_SITE_OUTSIDE
    return E_SITE_ROW if code in ctx.wrong_sites else E_NO_SITE


SITES = Sites()
ROOMS = Rooms()
