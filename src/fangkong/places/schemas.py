"""Request and response shapes of the places API."""

from ninja import Field, Schema

from fangkong.places.models import Division, Venue, VenueKind
from fangkong.places.selectors import level_label


class PlaceRef(Schema):
    code: str
    name: str


class PlaceBrief(Schema):
    code: str
    key: str
    name: str


class PlaceOut(Schema):
    code: str
    key: str
    name: str
    level: int = Field(description="1 city, 2 district, 3 street, 4 community, 5 grid, …, 8 unit")
    level_name: str
    parent_code: str | None
    lat: float | None
    lon: float | None


class PlaceCountOut(PlaceOut):
    resident_count: int


class PlaceDetailOut(PlaceOut):
    ancestors: list[PlaceOut] = Field(description="Root first, within your jurisdiction")
    children: list[PlaceCountOut]


class PlacesRootOut(Schema):
    root: PlaceOut | None
    children: list[PlaceCountOut]


class VenueOut(Schema):
    id: int
    code: str
    name: str
    kind: VenueKind
    place: PlaceRef
    address: str
    lat: float | None
    lon: float | None


class PlaceIn(Schema):
    name: str = Field(max_length=100)
    number: int | None = Field(
        None, description="Digits the child's code adds to the parent's; the next free if omitted"
    )
    reason: str = ""


class PlaceRenameIn(Schema):
    name: str = Field(max_length=100)
    reason: str = ""


class VenueIn(Schema):
    code: str = Field(max_length=32, description="Venue code (场所码)")
    name: str = Field(max_length=200)
    kind: VenueKind
    place: str = Field(description="Division code of the place the venue belongs to")
    address: str = Field("", max_length=300)
    lat: float | None = None
    lon: float | None = None
    reason: str = ""


def place_ref(division: Division) -> dict[str, str]:
    return {"code": division.code, "name": division.name}


def place_out(division: Division, parent_code: str | None = None) -> dict[str, object]:
    return {
        "code": division.code,
        "key": division.key,
        "name": division.name,
        "level": division.level,
        "level_name": level_label(division.level),
        "parent_code": parent_code,
        "lat": division.lat,
        "lon": division.lon,
    }


def place_count_out(division: Division, parent_code: str | None) -> dict[str, object]:
    return place_out(division, parent_code) | {
        "resident_count": getattr(division, "resident_count", 0)
    }


def venue_out(venue: Venue) -> dict[str, object]:
    return {
        "id": venue.pk,
        "code": venue.code,
        "name": venue.name,
        "kind": venue.kind,
        "place": place_ref(venue.division),
        "address": venue.address,
        "lat": venue.lat,
        "lon": venue.lon,
    }
