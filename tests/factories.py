"""Small, explicit test data: a slice of 许昌 with two districts and residents in each."""

import datetime as dt
import itertools
from dataclasses import dataclass

from django.conf import settings
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from fangkong.accounts.models import User
from fangkong.core.access import two_factor_required
from fangkong.core.roles import Role
from fangkong.people.idnumber import make_id_number
from fangkong.people.models import Household, KeyPerson, Resident
from fangkong.people.names import pinyin_of
from fangkong.places.models import Division, Level, Outline, Venue, code_from_key

PASSWORD = "fangkong-test-pw"
_seq = itertools.count(1)


def division(key: str, name: str, level: Level, parent: Division | None) -> Division:
    return Division.objects.create(
        key=key, code=code_from_key(key), name=name, level=level, parent=parent
    )


def branch(parent: Division, suffix: str, names: list[str]) -> dict[Level, Division]:
    """Street → community → grid → compound → building → unit under a district."""
    keys = [
        parent.key + suffix[:3],
        parent.key + suffix[:6],
        parent.key + suffix[:8],
        parent.key + suffix[:10],
        parent.key + suffix[:13],
        parent.key + suffix[:15],
    ]
    levels = [Level.STREET, Level.COMMUNITY, Level.GRID, Level.COMPOUND, Level.BUILDING, Level.UNIT]
    out: dict[Level, Division] = {}
    node = parent
    for key, level, name in zip(keys, levels, names, strict=True):
        node = division(key, name, level, node)
        out[level] = node
    return out


@dataclass
class City:
    city: Division
    weidu: Division
    jianan: Division
    w: dict[Level, Division]  # a branch in 魏都区
    j: dict[Level, Division]  # a branch in 建安区


def make_city() -> City:
    city = division("4110", "许昌市", Level.CITY, None)
    weidu = division("411002", "魏都区", Level.DISTRICT, city)
    jianan = division("411003", "建安区", Level.DISTRICT, city)
    w = branch(
        weidu,
        "001001010100101",
        ["西大街街道", "西大社区", "第一网格", "幸福小区", "1号楼", "1单元"],
    )
    j = branch(
        jianan,
        "001001010100101",
        ["新元街道", "新元社区", "第一网格", "阳光小区", "2号楼", "1单元"],
    )
    return City(city=city, weidu=weidu, jianan=jianan, w=w, j=j)


def outline(node: Division, lon: float, lat: float, half: float) -> Outline:
    """A square outline of half-side `half` degrees around (lon, lat), and the node's point."""
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]
    node.lon, node.lat = lon, lat
    node.save(update_fields=["lon", "lat"])
    return Outline.objects.create(
        division=node,
        key=node.key,
        level=node.level,
        polygon={"type": "Polygon", "coordinates": [ring]},
        west=lon - half,
        south=lat - half,
        east=lon + half,
        north=lat + half,
    )


# (level, half-side in degrees) of the squares `map_city` draws, nested around one point.
MAP_SIZES = [
    (Level.DISTRICT, 0.05),
    (Level.STREET, 0.03),
    (Level.COMMUNITY, 0.015),
    (Level.GRID, 0.006),
    (Level.COMPOUND, 0.002),
    (Level.BUILDING, 0.0003),
]


def map_city(city: City) -> City:
    """Outlines for `make_city`: 魏都区 around 113.82 E 34.03 N, 建安区 around 113.82 E
    34.15 N, each branch as nested squares; the city itself around both."""
    outline(city.city, 113.82, 34.09, 0.12)
    for district, branch_, lat in ((city.weidu, city.w, 34.03), (city.jianan, city.j, 34.15)):
        for level, half in MAP_SIZES:
            node = district if level == Level.DISTRICT else branch_[level]
            outline(node, 113.82, lat, half)
        unit = branch_[Level.UNIT]
        unit.lon, unit.lat = 113.82, lat
        unit.save(update_fields=["lon", "lat"])
    return city


def resident(
    unit: Division,
    name: str,
    *,
    born: dt.date = dt.date(1980, 5, 17),
    sex: str = "M",
    phone: str = "",
    household: Household | None = None,
) -> Resident:
    seq = next(_seq)
    number = make_id_number("411002", born, seq, sex)
    initials, full = pinyin_of(name)
    return Resident.objects.create(
        id_number=number,
        name=name,
        name_initials=initials,
        name_pinyin=full,
        sex=sex,
        birth_date=born,
        phone=phone or f"139{seq:08d}",
        household=household,
        division=unit,
        division_key=unit.key,
    )


def household(unit: Division, code: str) -> Household:
    return Household.objects.create(
        code=code, division=unit, division_key=unit.key, address=f"{unit.parent} {unit}"
    )


def key_person(r: Resident, category: str) -> KeyPerson:
    return KeyPerson.objects.create(resident=r, category=category, division_key=r.division_key)


def venue(place: Division, code: str, name: str) -> Venue:
    return Venue.objects.create(
        code=code, name=name, kind="supermarket", division=place, division_key=place.key
    )


def user(username: str, role: str, jurisdiction: Division | None) -> User:
    return User.objects.create_user(
        username=username,
        password=PASSWORD,
        role=role,
        jurisdiction=jurisdiction,
        display_name=username,
    )


def personas(city: City) -> dict[str, User]:
    """One user per role in 魏都区 (grid worker at the grid), plus an outsider in 建安区."""
    out = {
        role.value: user(f"p_{role.value}", role.value, city.weidu)
        for role in Role
        if role != Role.GRID
    }
    out["command"].jurisdiction = city.city
    out["command"].save()
    out["grid"] = user("p_grid", Role.GRID, city.w[Level.GRID])
    out["outsider"] = user("p_outsider", Role.STREET, city.jianan)
    return out


def totp_device(user: User) -> TOTPDevice:
    """The user's confirmed authenticator (made on first use)."""
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, confirmed=True, defaults={"name": "phone"}
    )
    return device


def totp_code(device: TOTPDevice) -> str:
    """The device's current code, accepted even if this device verified one a moment ago
    (a code is good once per 30-second step; tests sign the same user in several times)."""
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{code:0{device.digits}d}"


def sign_in(client: Client, user: User) -> Client:
    """`client` logged in as `user`, past the second factor when the role needs one."""
    client.force_login(user)
    if two_factor_required(user):
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
        session.save()
        # a cookie-held session (signed_cookies) changes its key when saved
        client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return client
