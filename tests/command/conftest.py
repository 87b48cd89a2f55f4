"""A constructed outbreak for the command dashboard and report, stamped like the demo data.

Rows are written directly with their own times in May 2022 (as a bulk load would: some with
audit events for their status changes, some without); the report is taken as of 8:00 on
7 May 2022 (T), its day runs from 8:00 on 6 May (SINCE). Tests then change things through the
real services "now" (years later) and check that the figures as of T stay put.

People live in 许昌市: 魏都区 西大街 (WA), 魏都区 东大街 (WB), 建安区 (J).
"""

import datetime as dt
import itertools
import zoneinfo
from dataclasses import dataclass, field

import pytest
from django.utils import translation

from fangkong.audit.models import Event
from fangkong.epi.models import (
    Case,
    CaseKind,
    CaseStatus,
    Contact,
    ContactStatus,
    Degree,
    ExposureRelation,
    FoundBy,
    FoundWhere,
)
from fangkong.lab.models import Purpose, TestingRound, Tube, TubeMember
from fangkong.people.models import Resident
from fangkong.places.models import Level
from fangkong.quarantine.models import Measure, Room, Site, Stay, StayStatus
from fangkong.tally.services import rebuild
from fangkong.zones.models import Zone, ZoneChange
from tests import factories as f

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = dt.date(2022, 5, 7)
T = dt.datetime(2022, 5, 7, 8, 0, tzinfo=TZ)
SINCE = T - dt.timedelta(days=1)
_seq = itertools.count(1)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment in May 2022, Shanghai time."""
    return dt.datetime(2022, 5, day, hour, minute, tzinfo=TZ)


def event(obj, field: str, old: str, new: str, when: dt.datetime) -> Event:
    return Event.objects.create(
        at=when,
        actor_name="fixture",
        action=f"{obj._meta.model_name}.status_changed",
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        person_id=getattr(obj, "person_id", None),
        division_key=obj.division_key,
        field=field,
        from_value=old,
        to_value=new,
    )


def case(person: Resident, created: dt.datetime, **kw) -> Case:
    fields = {
        "number": f"C-{next(_seq):04d}",
        "kind": CaseKind.CONFIRMED,
        "found_by": FoundBy.COMMUNITY_SCREENING,
        "found_where": FoundWhere.COMMUNITY,
        "sampled_on": created.date() - dt.timedelta(days=1),
        "reported_on": created.date(),
        "division_key": person.division_key,
        # registered then (valid time); the row is written now, after the fact
        "registered_at": created,
    }
    fields.update(kw)
    if fields.get("transferred_at"):
        fields.setdefault("status", CaseStatus.TRANSFERRED)
        fields.setdefault("destination", "designated_hospital")
        fields.setdefault("destination_name", "许昌市中心医院")
    return Case.objects.create(person=person, **fields)


def contact(of: Case, person: Resident, created: dt.datetime, **kw) -> Contact:
    fields = {
        "degree": Degree.CLOSE,
        "relation": ExposureRelation.HOUSEHOLD,
        "last_exposure_on": of.reported_on,
        "division_key": person.division_key,
        "identified_at": created,  # valid time; the row is written now, after the fact
    }
    fields.update(kw)
    return Contact.objects.create(case=of, person=person, **fields)


@dataclass
class Outbreak:
    city: f.City
    wb: dict  # the second street of 魏都区
    people: dict[str, Resident] = field(default_factory=dict)
    cases: dict[str, Case] = field(default_factory=dict)
    contacts: dict[str, Contact] = field(default_factory=dict)
    stays: dict[str, Stay] = field(default_factory=dict)
    sites: dict[str, Site] = field(default_factory=dict)
    rounds: dict[str, TestingRound] = field(default_factory=dict)


def _people(city: f.City, wb: dict) -> dict[str, Resident]:
    wa_unit, wb_unit, j_unit = city.w[Level.UNIT], wb[Level.UNIT], city.j[Level.UNIT]
    names = {
        wa_unit: ["甲一", "甲二", "甲三", "甲四", "甲五", "甲六", "甲七", "甲八", "甲九", "甲十"],
        wb_unit: ["乙一", "乙二", "乙三", "乙四"],
        j_unit: ["丙一", "丙二", "丙三"],
    }
    out = {}
    for unit, batch in names.items():
        for name in batch:
            out[name] = f.resident(unit, name)
    return out


def build(city: f.City, personas: dict) -> Outbreak:
    wb = f.branch(
        city.weidu,
        "002001010100101",
        ["东大街街道", "东大社区", "第一网格", "和平小区", "3号楼", "1单元"],
    )
    o = Outbreak(city=city, wb=wb, people=_people(city, wb))
    p = o.people
    c = o.cases
    # Cases ----------------------------------------------------------------------------------
    c["c1"] = case(p["甲一"], at(5, 12), transferred_at=at(5, 20))
    c["c2"] = case(p["甲二"], at(5, 12), kind=CaseKind.ASYMPTOMATIC, transferred_at=at(6, 10))
    c["c3"] = case(
        p["甲三"], at(5, 12), found_where=FoundWhere.QUARANTINE, found_by=FoundBy.IN_QUARANTINE
    )
    event(c["c3"], "kind", "Asymptomatic infection", "Confirmed case", at(6, 15))  # reclassified
    c["c4"] = case(
        p["甲四"],
        at(6, 12),
        found_where=FoundWhere.QUARANTINE,
        found_by=FoundBy.IN_QUARANTINE,
        onset_on=dt.date(2022, 5, 5),
    )
    c["c5"] = case(p["甲五"], at(7, 10))  # after the cut-off
    c["c6"] = case(p["乙一"], at(6, 18), kind=CaseKind.ASYMPTOMATIC, transferred_at=at(6, 23))
    c["c7"] = case(p["丙一"], at(4, 12), transferred_at=at(4, 18), onset_on=dt.date(2022, 5, 3))
    # Contacts -------------------------------------------------------------------------------
    k = o.contacts
    k["k1"] = contact(c["c1"], p["甲六"], at(5, 18), status=ContactStatus.UNDER_CONTROL)
    k["k2"] = contact(c["c1"], p["甲七"], at(5, 18), status=ContactStatus.UNDER_CONTROL)
    event(k["k2"], "status", "Identified", "Located", at(6, 9))  # English labels
    with translation.override("zh-hans"):
        event(
            k["k2"],
            "status",
            str(ContactStatus.LOCATED.label),
            str(ContactStatus.UNDER_CONTROL.label),
            at(6, 20),
        )  # Chinese labels
    k["k3"] = contact(c["c1"], p["甲八"], at(6, 14), status=ContactStatus.LOCATED)
    k["k4"] = contact(c["c1"], p["甲九"], at(6, 16), degree=Degree.SECONDARY, via=k["k1"])
    k["k5"] = contact(c["c1"], p["甲十"], at(5, 18), status=ContactStatus.UNDER_CONTROL)
    k["k6"] = contact(c["c2"], p["甲六"], at(7, 9))  # after the cut-off
    k["k7"] = contact(c["c6"], p["乙二"], at(6, 19), status=ContactStatus.UNDER_CONTROL)
    event(k["k7"], "status", "identified", "under_control", at(7, 7))  # codes
    k["k8"] = contact(c["c7"], p["丙二"], at(4, 19), status=ContactStatus.UNDER_CONTROL)
    # Quarantine -----------------------------------------------------------------------------
    street = city.w[Level.STREET]
    s1 = Site.objects.create(
        code="S1", name="西大街隔离酒店", kind="hotel", division=street, division_key=street.key
    )
    Site.objects.filter(pk=s1.pk).update(opened_at=at(1, 8))  # valid time; written now
    rooms = [
        Room.objects.create(
            site=s1, building="A", floor=2, number=n, beds=b, status=st, division_key=street.key
        )
        for n, b, st in (("201", 1, "occupied"), ("202", 2, "occupied"), ("203", 1, "closed"))
    ]
    s2 = Site.objects.create(
        code="S2",
        name="建安隔离点",
        kind="hotel",
        division=city.jianan,
        division_key=city.jianan.key,
    )
    Site.objects.filter(pk=s2.pk).update(opened_at=at(8, 8))  # opened after the cut-off
    Room.objects.create(site=s2, floor=1, number="101", division_key=city.jianan.key)
    s3 = Site.objects.create(
        code="S3",
        name="东大街备用点",
        kind="hotel",
        division=wb[Level.STREET],
        division_key=wb[Level.STREET].key,
        active=False,
    )
    Site.objects.filter(pk=s3.pk).update(opened_at=at(1, 8), closed_at=at(1, 8))
    Room.objects.create(site=s3, floor=1, number="101", division_key=wb[Level.STREET].key)
    o.sites = {"s1": s1, "s2": s2, "s3": s3}

    def stay(name, room, checked_in, checked_out=None, status=StayStatus.IN):
        return Stay.objects.create(
            person=p[name],
            room=room,
            site=room.site,
            status=status,
            checked_in_at=checked_in,
            checked_out_at=checked_out,
            division_key=room.division_key,
        )

    o.stays = {
        "st1": stay("甲六", rooms[0], at(5, 20)),
        "st2": stay("甲七", rooms[1], at(6, 12), at(7, 7), StayStatus.RELEASED),
        "st3": stay("甲十", rooms[1], at(6, 21)),
        "st4": stay("甲二", rooms[0], at(4, 9), at(5, 10), StayStatus.RELEASED),
        "st5": stay("甲八", rooms[1], None, None, StayStatus.PLANNED),
    }
    profile = dict(profile_code="9th-edition", profile_version=1)

    def measure(name, created, starts, ends, closed=None, status="active"):
        m = Measure.objects.create(
            person=p[name],
            category="close_contact",
            anchor_on=starts,
            starts_on=starts,
            ends_on=ends,
            status=status,
            closed_at=closed,
            division_key=p[name].division_key,
            **profile,
        )
        Measure.objects.filter(pk=m.pk).update(started_at=created)  # valid time; written now
        return m

    measure("甲六", at(5, 19), dt.date(2022, 5, 5), dt.date(2022, 5, 12))
    measure("甲七", at(5, 19), dt.date(2022, 5, 5), dt.date(2022, 5, 12), at(6, 10), "ended")
    measure("甲八", at(7, 9), dt.date(2022, 5, 7), dt.date(2022, 5, 14))
    # Testing --------------------------------------------------------------------------------
    command = personas["command"]

    def testing_round(name, area, starts, closed=None):
        r = TestingRound.objects.create(
            name=name,
            area=area,
            division_key=area.key,
            pool_size=10,
            reason="全员核酸",
            starts_at=starts,
            deadline=starts + dt.timedelta(hours=24),
            status="closed" if closed else "open",
            closed_at=closed,
            created_by=command,
        )
        TestingRound.objects.filter(pk=r.pk).update(created_at=starts - dt.timedelta(hours=2))
        r.refresh_from_db()
        return r

    o.rounds = {
        "r1": testing_round("第一轮", city.city, at(5, 8), at(6, 8)),
        "r2": testing_round("第二轮", city.weidu, at(7, 6)),
        "r3": testing_round("第三轮", city.city, at(7, 9)),
    }
    sampled = [
        ("甲一", at(7, 6, 30)),
        ("甲二", at(7, 7)),
        ("乙一", at(7, 7, 30)),
        ("乙二", at(7, 9)),
    ]
    for i, (name, when) in enumerate(sampled):
        tube = Tube.objects.create(
            barcode=f"R2-{i}",
            purpose=Purpose.ROUND,
            round=o.rounds["r2"],
            collected_at=when,
            division_key=city.weidu.key,
        )
        TubeMember.objects.create(
            tube=tube,
            person=p[name],
            round=o.rounds["r2"],
            sampled_at=when,
            division_key=p[name].division_key,
        )
    _zones(city, wb)
    rebuild()  # rows written directly, as a bulk load would: the tally from scratch
    return o


def _zones(city: f.City, wb: dict) -> None:
    """Two high-risk zones in 魏都区 in force on 7 May (one lifted on 8 May), one in 建安区
    drawn on 8 May."""

    def zone(name, place, drawn, people, lifted=None):
        z = Zone.objects.create(
            name=name,
            level="high",
            started_at=drawn,
            level_since=drawn,
            reason="病例居住地",
            profile_code="20-measures",
            division_key=place.key,
            people=people,
        )
        ZoneChange.objects.create(
            zone=z, kind="drawn", to_level="high", at=drawn, people=people, division_key=place.key
        )
        if lifted:
            ZoneChange.objects.create(
                zone=z,
                kind="lifted",
                from_level="high",
                to_level="low",
                at=lifted,
                people=people,
                division_key=place.key,
            )

    zone("幸福小区1号楼", city.w[Level.BUILDING], at(5, 10), 120)
    zone("和平小区3号楼", wb[Level.BUILDING], at(6, 12), 30, lifted=at(8, 10))
    zone("阳光小区2号楼", city.j[Level.BUILDING], at(8, 9), 40)


@pytest.fixture
def outbreak(city, personas) -> Outbreak:
    return build(city, personas)


@pytest.fixture
def english(settings):
    """Pages in English (they follow the site language, zh-Hans by default)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
