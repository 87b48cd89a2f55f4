"""The demo city's medical facilities (issue 17), registered through the registry's service as
the medical task force would: 许昌's designated hospital campus (the demo `hospital` account is
on its staff), a general hospital, a fever clinic, a dialysis centre, a maternity hospital, the
internet hospital, a pharmacy and the 120 dispatch centre. The routing table is the policy
profile's (`policy.schema.XUCHANG_CARE_ROUTES`)."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from fangkong.care.admission.services import admission_confirm, admission_refuse, incidents_sweep
from fangkong.care.dispatch.services import vehicle_register
from fangkong.care.facilities.services import facility_register, facility_staff_set
from fangkong.care.lines.services import line_save
from fangkong.care.medicine.services import course_save
from fangkong.care.models import Channel, Facility
from fangkong.care.plans.services import need_save, plan_save
from fangkong.care.requests.services import request_raise
from fangkong.demo import data
from fangkong.people.models import Resident
from fangkong.places.models import Division, Level

# code, name, kind, district index (data.DISTRICTS), address, direct line, capabilities
DEMO_FACILITIES: list[tuple[str, str, str, int, str, str, list[str]]] = [
    ("XC-CAMPUS", "许昌市定点医院院区", "designated", 0, "魏都区健康路 1 号", "0374-2966120",
     ["emergency", "dialysis", "delivery", "chemo", "fever"]),
    ("XC-GENERAL", "许昌市中心医院", "general", 0, "魏都区劳动路 30 号", "0374-2966121",
     ["emergency", "chemo", "paediatrics", "psychiatry"]),
    ("XC-FEVER", "魏都区发热门诊", "fever_clinic", 0, "魏都区七一路 8 号", "0374-2966122",
     ["fever"]),
    ("XC-DIALYSIS", "许昌市血液透析中心", "dialysis", 0, "魏都区健康路 3 号", "0374-2966123",
     ["dialysis"]),
    ("XC-MATERNITY", "许昌市妇幼保健院", "maternity", 0, "魏都区文峰路 12 号", "0374-2966124",
     ["delivery", "paediatrics"]),
    ("XC-INTERNET", "许昌市互联网医院", "internet", 0, "线上", "0374-2966125",
     ["online", "psychiatry"]),
    ("XC-PHARMACY", "许昌大药房（配送）", "pharmacy", 0, "魏都区五一路 20 号", "0374-2966126",
     ["pharmacy"]),
    ("XC-120", "许昌市 120 急救指挥中心", "dispatch_120", 0, "魏都区北大街 2 号", "120",
     ["emergency"]),
]  # fmt: skip
STAFFED = "XC-CAMPUS"  # the facility the demo `hospital` account works for


def facilities_write(*, actor: Any, staff: Any) -> int:
    """Register the demo facilities and put `staff` (the demo hospital account) on the
    designated campus; returns how many."""
    made = 0
    for code, name, kind, district, address, phone, capabilities in DEMO_FACILITIES:
        district_key = data.DISTRICTS[district][0]
        street = (
            Division.objects.filter(level=Level.STREET, key__startswith=district_key)
            .order_by("key")
            .first()
        )
        place = street or Division.objects.get(key=district_key)
        facility = facility_register(
            actor=actor,
            code=code,
            name=name,
            kind=kind,
            division=place,
            address=address,
            phone=phone if phone != "120" else "",
            capabilities=capabilities,
        )
        if code == STAFFED:
            facility_staff_set(actor=actor, facility=facility, usernames=[staff.username])
        made += 1
    return made


# Health plans and direct lines (issue 17, items 1, 6, 7) ------------------------------------

# kind, name, phone, facility code (or ""), note: each community's direct lines; the dedicated
# vehicle's number is the community's own (filled in below).
DEMO_LINES: list[tuple[str, str, str, str, str]] = [
    ("hospital", "许昌市中心医院 社区直通", "0374-2966121", "XC-GENERAL", "24 小时"),
    ("hospital", "许昌市定点医院院区 社区直通", "0374-2966120", "XC-CAMPUS", "管控人员就医"),
    ("pharmacy", "许昌大药房 送药专线", "0374-2966126", "XC-PHARMACY", "8:00–20:00"),
    ("vehicle", "小区专车", "", "", "就医转运，闭环管理"),
    ("counselling", "心理援助热线", "12355", "", "24 小时"),
]  # fmt: skip


def lines_write(*, actor: Any) -> int:
    """The direct lines of the communities of the first street, kept by the street account."""
    street = actor.jurisdiction
    communities = Division.objects.filter(
        level=Level.COMMUNITY, key__startswith=street.key
    ).order_by("key")
    facilities = {f.code: f for f in Facility.objects.all()}
    made = 0
    for n, community in enumerate(communities, start=1):
        for kind, name, phone, code, note in DEMO_LINES:
            line_save(
                actor=actor,
                community=community,
                kind=kind,
                name=name,
                phone=phone or f"139{int(community.key[-6:]) % 10**8:08d}",
                facility=facilities.get(code),
                note=note if kind != "vehicle" else f"{note} · 豫K·{n:05d}",
            )
            made += 1
    return made


def plans_write(*, actor: Any, as_of: dt.date) -> int:
    """Health plans kept by the grid account: a dialysis patient on Monday, Wednesday and
    Friday at the dialysis centre, and an insulin patient whose medicine runs out in two days
    (a course, and a refill every 30 days at the pharmacy)."""
    people = list(
        Resident.objects.filter(division_key__startswith=actor.jurisdiction.key).order_by("pk")[:2]
    )
    if len(people) < len(DEMO_PLANS):
        return 0
    facilities = {f.code: f for f in Facility.objects.all()}
    monday = as_of - dt.timedelta(days=as_of.weekday())
    for person, (category, hospital, emergency, need) in zip(people, DEMO_PLANS, strict=True):
        plan = plan_save(
            actor=actor,
            person=person,
            category=category,
            contact_hospital=facilities[hospital],
            emergency=emergency,
        )
        kind, repeat, weekdays, every, facility, text = need
        need_save(
            actor=actor,
            plan=plan,
            type=kind,
            repeat=repeat,
            weekdays=weekdays,
            every_days=every,
            starts_on=monday,
            facility=facilities[facility],
            description=text,
        )
    insulin = people[1]
    course_save(
        actor=actor,
        person=insulin,
        medicine="胰岛素笔芯",
        unit="支",
        daily_dose=Decimal(1),
        supply=Decimal(INSULIN_LEFT),
        supply_on=as_of,
        pharmacy=facilities["XC-PHARMACY"],
    )
    return len(people)


# category, contact hospital, in an emergency, (request type, repeat, weekdays, every, at, what)
DEMO_PLANS = [
    ("dialysis", "XC-CAMPUS", "拨打 120，送定点医院院区；透析中心 0374-2966123",
     ("dialysis", "weekly", "024", None, "XC-DIALYSIS", "每周一、三、五上午血液透析")),
    ("chronic", "XC-GENERAL", "低血糖时口服糖水，拨打 120",
     ("medicine", "every", "", 30, "XC-PHARMACY", "胰岛素笔芯 30 支")),
]  # fmt: skip
INSULIN_LEFT = 2  # units on hand on the as-of day: runs out in two days
DISPATCH_CENTRE = "XC-120"
# plate, call sign: the 120 centre's ambulances
DEMO_VEHICLES = [("豫K·120A1", "急救1号"), ("豫K·120A2", "急救2号"), ("豫K·120B1", "负压3号")]
# request type, hours ago the need arose, what the facility does: the demo's open and late
# requests and one incident (a refusal citing a missing test result, flagged)
DEMO_REQUESTS: list[tuple[str, int, str]] = [
    ("emergency", 0, ""),
    ("emergency", 2, "refuse"),
    ("dialysis", 1, "accept"),
    ("medicine", 3, ""),
    ("fever", 5, ""),
    ("delivery", 0, ""),
]
REFUSAL_TEXT = "无48小时核酸阴性证明，请先做核酸"


def dispatch_write(*, actor: Any, dispatcher: Any, hospital: Any) -> int:
    """Put the demo dispatcher on the 120 centre, register its ambulances, and raise a few
    requests (open, late, one admitted, one refused: an incident); returns requests raised."""
    centre = Facility.objects.get(code=DISPATCH_CENTRE)
    facility_staff_set(actor=actor, facility=centre, usernames=[dispatcher.username])
    for plate, call_sign in DEMO_VEHICLES:
        vehicle_register(actor=dispatcher, centre=centre, plate=plate, call_sign=call_sign)
    people = list(Resident.objects.order_by("pk")[: len(DEMO_REQUESTS)])
    now = timezone.now()
    for person, (kind, hours, then) in zip(people, DEMO_REQUESTS, strict=False):
        made = request_raise(
            actor=actor,
            person=person,
            type=kind,
            channel=Channel.TASK_FORCE,
            raised_at=now - dt.timedelta(hours=hours),
        )
        facility = made.facility
        if facility is None or not then:
            continue
        staff = list(facility.staff.values_list("username", flat=True))
        if hospital.username not in staff:  # the demo hospital account answers for it
            facility_staff_set(
                actor=actor, facility=facility, usernames=[*staff, hospital.username]
            )
        if then == "accept":
            admission_confirm(actor=hospital, request=made)
        else:
            admission_refuse(actor=hospital, request=made, reason="other", reason_text=REFUSAL_TEXT)
    incidents_sweep()
    return len(people)
