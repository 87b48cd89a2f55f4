"""One city for the scope matrix: the same set of objects of every kind in two districts.

`build()` makes a slice of 许昌 (tests/factories.make_city) and, in each of 魏都区 (INSIDE every
persona's jurisdiction) and 建安区 (OUTSIDE it), residents, a household, key persons and needs,
a venue with check-ins, a case with contacts, a finding job with a candidate, health-code
statuses, an override and an appeal, a lab, a sampling site, a testing round with pooled tubes,
results, a retest and a temporary control, a risk-post worker, a quarantine site with rooms,
measures with scheduled tests, stays, a health check with its alert, a transfer, an allocation
batch, a trip with its arrival test and hand-over, a risk zone with an evaluation, a medical
facility with a request routed to it, and the audit events the services write. Every object
outside carries a marker (a name, code or number no other object has) so a response can be
searched for it.

The personas are one user per role of `accounts/roles.py`, all with 魏都区 as jurisdiction (the
grid worker at 魏都's grid, where the inside residents live), so 建安区 is outside for every one
of them; plus a user with the command role and no jurisdiction, and anonymous.
"""

import datetime as dt
import itertools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from fangkong.accounts.models import ApiToken, User
from fangkong.accounts.services import token_create
from fangkong.assistance.models import Application as AssistanceApplication
from fangkong.assistance.models import Document as AssistanceDocument
from fangkong.assistance.models import Member as AssistanceMember
from fangkong.audit.models import Event
from fangkong.audit.services import SELF_SERVICE
from fangkong.care.admission.models import Incident, IncidentKind, RefusalReason
from fangkong.care.models import (
    CareRequest,
    Channel,
    ControlState,
    DirectLine,
    Facility,
    FacilityKind,
    HealthPlan,
    MedicineCourse,
    MedicineOrder,
    StandingNeed,
)
from fangkong.care.models import RequestStatus as CareStatus
from fangkong.care.models import RequestType as CareType
from fangkong.command import issues
from fangkong.command.places import node_for
from fangkong.core.rejected import RejectedFile
from fangkong.core.roles import Role
from fangkong.epi.models import (
    Candidate,
    CheckIn,
    ContactRequest,
    Degree,
    ExposureRelation,
    FindingJob,
    JobStatus,
)
from fangkong.healthcode.appeals import appeal_file, code_override_create
from fangkong.healthcode.selectors import status_ensure
from fangkong.healthcode.store import recompute
from fangkong.hotline.models import (
    Department,
    DepartmentKind,
    HotlineChannel,
    HotlineRequest,
    HotlineStatus,
)
from fangkong.lab.models import (
    Lab,
    Outcome,
    Retest,
    RiskPostWorker,
    RoundStatus,
    SamplingSite,
    TemporaryControl,
    TestingRound,
    Tube,
    TubeStatus,
)
from fangkong.people.models import Household, KeyPerson, Need, Resident
from fangkong.places.models import Division, Level, Venue
from fangkong.policy.models import PolicyActivation, PolicyProfile
from fangkong.quarantine.allocation.services import allocation_propose
from fangkong.quarantine.measures.services import measure_start
from fangkong.quarantine.models import (
    HealthAlert,
    HealthCheck,
    Measure,
    MeasureStatus,
    Room,
    RoomStatus,
    ScheduledTest,
    Site,
    Stay,
    StayStatus,
    Transfer,
)
from fangkong.supplies.models import (
    Courier,
    Enterprise,
    Necessity,
    PriceAlert,
    PriceReport,
    Store,
    Vehicle,
    WhitelistStatus,
)
from fangkong.supplies.orders.models import OrderBatch, Product, ReceivingPoint
from fangkong.supplies.orders.services import order_place, orders_batch
from fangkong.supplies.passes.services import pass_issue
from fangkong.supplies.prices.services import catalogue_install
from fangkong.travel import services as travel
from fangkong.travel.models import Handover
from fangkong.zones.models import ZoneEvaluation
from fangkong.zones.services import zone_draw
from tests import factories as f
from tests.epi.conftest import make_case, make_contact
from tests.lab.conftest import give_result, make_tube

INSIDE_TAG, OUTSIDE_TAG = "界内", "界外"
_barcodes = itertools.count(1)


@dataclass
class Side:
    """The objects of one district, by kind, and the markers that identify them in a body."""

    name: str  # "inside" / "outside"
    tag: str
    district: Division
    branch: dict[Level, Division]
    objs: dict[str, Any] = field(default_factory=dict)
    markers: dict[str, str] = field(default_factory=dict)  # text → what it names
    owner: User | None = None  # a user of this district, owner of its per-user objects

    def mark(self, text: str, what: str) -> str:
        self.markers[str(text)] = what
        return str(text)


@dataclass
class World:
    city: f.City
    inside: Side
    outside: Side
    personas: dict[str, User]  # role → user in 魏都区
    nobody: User  # command role, no jurisdiction
    setup: User  # the city-wide actor that built the scenario
    tokens: dict[int, ApiToken] = field(default_factory=dict)  # user id → a token of theirs
    rejected: dict[int, str] = field(default_factory=dict)  # user id → an import's token

    def side(self, name: str) -> Side:
        return self.inside if name == "inside" else self.outside


def _residents(s: Side) -> dict[str, Resident]:
    unit = s.branch[Level.UNIT]
    home = Household.objects.create(
        code=s.mark(f"HH-{s.name.upper()}", "household code"),
        division=unit,
        division_key=unit.key,
        address=s.mark(f"{s.tag}路1号", "household address"),
    )
    s.objs["household"] = home
    people = {}
    side_digit = 1 if s.name == "inside" else 2
    for n, (role, suffix) in enumerate(
        [
            ("case", "甲"),
            ("member", "乙"),
            ("contact", "丙"),
            ("home", "丁"),
            ("traveller", "戊"),
            ("worker", "己"),
            ("tested", "庚"),
            ("planned", "辛"),
            ("candidate", "壬"),
            ("released", "癸"),
            ("arriving", "子"),
        ]
    ):
        # Birth dates and phones no template uses as an example, so a match is a leak.
        r = f.resident(
            unit,
            f"{s.tag}{suffix}",
            born=dt.date(1971, 2, 3 + n),
            phone=f"136{side_digit}55{n:05d}",
            household=home if role == "member" else None,
        )
        s.mark(r.name, f"resident name ({role})")
        s.mark(r.id_number, f"ID number ({role})")
        s.mark(r.phone, f"phone ({role})")
        people[role] = r
    s.objs["resident"] = people["case"]
    s.objs["person"] = people["home"]
    s.objs["people"] = {r.pk for r in people.values()}
    s.objs["traveller"] = people["traveller"]
    s.objs["planned"] = people["planned"]
    return people


def _registry(s: Side, p: dict[str, Resident]) -> None:
    s.objs["key_person"] = KeyPerson.objects.create(
        resident=p["member"], category="elderly_alone", division_key=p["member"].division_key
    )
    s.objs["need"] = Need.objects.create(
        resident=p["member"],
        kind="medicine",
        description=s.mark(f"{s.tag}降压药", "need"),
        division_key=p["member"].division_key,
    )
    place = s.branch[Level.COMPOUND]
    s.objs["venue"] = Venue.objects.create(
        code=s.mark(f"V-{s.name.upper()}", "venue code"),
        name=s.mark(f"{s.tag}超市", "venue name"),
        kind="supermarket",
        division=place,
        division_key=place.key,
    )
    s.objs["division"] = s.branch[Level.BUILDING]
    s.objs["unit"] = s.branch[Level.UNIT]
    building = s.branch[Level.BUILDING]
    Division.objects.filter(pk=building.pk).update(lat=34.03, lon=113.85)
    s.objs["building2"] = f.division(
        building.parent.key + "002",
        s.mark(f"{s.tag}3号楼", "place name"),
        Level.BUILDING,
        building.parent,
    )
    s.objs["community"] = s.branch[Level.COMMUNITY]
    s.objs["street"] = s.branch[Level.STREET]
    # Outlines for the places' map (places:map), each named by its node.
    for level, half in ((Level.STREET, 0.02), (Level.COMPOUND, 0.002), (Level.BUILDING, 0.0003)):
        f.outline(s.branch[level], 113.85, 34.03, half)
    for level in (Level.STREET, Level.COMMUNITY, Level.COMPOUND):
        if s.name == "outside":
            s.mark(s.branch[level].name, "place name")


def _epi(s: Side, p: dict[str, Resident], setup: User) -> None:
    number = s.mark(f"C-{s.name.upper()}-1", "case number")
    case = make_case(p["case"], number=number, reported_on=timezone.localdate())
    s.objs["case"] = case
    s.objs["contact"] = make_contact(case, p["contact"], last_exposure_on=case.reported_on)
    now = timezone.now()
    venue = s.objs["venue"]
    for who in (p["case"], p["candidate"]):
        CheckIn.objects.create(
            person=who,
            venue=venue,
            time_in=now - dt.timedelta(days=1, hours=2),
            time_out=now - dt.timedelta(days=1),
        )
    job = FindingJob.objects.create(
        created_by=setup, division_key=case.division_key, status=JobStatus.DONE, progress=100
    )
    job.cases.add(case)
    s.objs["finding_job"] = job
    s.objs["candidate"] = Candidate.objects.create(
        job=job,
        case=case,
        person=p["candidate"],
        degree=Degree.CLOSE,
        venue=venue,
        overlap_start=now - dt.timedelta(days=1, hours=2),
        overlap_end=now - dt.timedelta(days=1),
        overlap_minutes=120,
        division_key=p["candidate"].division_key,
    )
    # A request to confirm a contact (协查): the case's and the person's jurisdiction decide
    # who sees it, both on this side here.
    s.objs["contact_request"] = ContactRequest.objects.create(
        case=case,
        person=p["candidate"],
        degree=Degree.CLOSE,
        relation=ExposureRelation.MEAL,
        last_exposure_on=case.reported_on,
        note=s.mark(f"{s.tag}协查备注", "contact request note"),
        requested_by=setup,
        division_key=p["candidate"].division_key,
        case_key=case.division_key,
    )
    recompute(person_ids=[r.pk for r in p.values()], actor=setup, reason="scenario")
    for r in p.values():
        status_ensure(r)
    s.objs["override"] = code_override_create(
        actor=setup,
        person=p["home"],
        colour="yellow",
        reason=s.mark(f"{s.tag}人工赋码理由", "override reason"),
        basis="《防控方案》",
    )
    s.objs["code_status"] = status_ensure(p["home"])
    s.objs["appeal"] = appeal_file(
        person=p["home"],
        statement=s.mark(f"{s.tag}申诉陈述", "appeal statement"),
        contact_phone=s.mark(f"1370000{'0001' if s.name == 'inside' else '0002'}", "appeal phone"),
    )


def _care_plans(s: Side, p: dict[str, Resident], facility: Facility) -> None:
    """A health plan with a standing need, a medicine course and order at a pharmacy, and a
    direct line of the community (care/plans, care/medicine, care/lines)."""
    person = p["home"]
    key = person.division_key
    plan = HealthPlan.objects.create(
        person=person,
        category="dialysis",
        contact_hospital=facility,
        emergency=s.mark(f"{s.tag}急救预案", "health plan emergency"),
        division_key=key,
    )
    s.objs["health_plan"] = plan
    s.objs["standing_need"] = StandingNeed.objects.create(
        plan=plan,
        type=CareType.DIALYSIS,
        description=s.mark(f"{s.tag}透析需求", "standing need description"),
        facility=facility,
        repeat="weekly",
        weekdays="024",
        starts_on=timezone.localdate(),
        division_key=key,
    )
    street = s.branch[Level.STREET]
    pharmacy = Facility.objects.create(
        code=s.mark(f"PHA-{s.name.upper()}", "pharmacy code"),
        name=s.mark(f"{s.tag}药房", "pharmacy name"),
        kind=FacilityKind.PHARMACY,
        division=street,
        division_key=street.key,
    )
    s.objs["pharmacy"] = pharmacy
    course = MedicineCourse.objects.create(
        person=person,
        medicine=s.mark(f"{s.tag}胰岛素", "medicine course"),
        daily_dose=1,
        supply=1,
        supply_on=timezone.localdate(),
        runs_out_on=timezone.localdate() + dt.timedelta(days=1),
        pharmacy=pharmacy,
        division_key=key,
    )
    s.objs["medicine_course"] = course
    s.objs["medicine_order"] = MedicineOrder.objects.create(
        person=person,
        course=course,
        medicine=s.mark(f"{s.tag}降压药", "medicine order"),
        quantity=1,
        pharmacy=pharmacy,
        division_key=key,
    )
    community = s.branch[Level.COMMUNITY]
    s.objs["direct_line"] = DirectLine.objects.create(
        community=community,
        division_key=community.key,
        kind="vehicle",
        name=s.mark(f"{s.tag}小区专车", "direct line"),
        phone=s.mark(f"1390000{'1001' if s.name == 'inside' else '2002'}", "direct line phone"),
    )


def _care(s: Side, p: dict[str, Resident], staff: User) -> None:
    """A medical facility at the street, staffed by the side's hospital account, and a request
    of a resident routed to it (care/)."""
    street = s.branch[Level.STREET]
    facility = Facility.objects.create(
        code=s.mark(f"FAC-{s.name.upper()}", "facility code"),
        name=s.mark(f"{s.tag}定点医院", "facility name"),
        kind=FacilityKind.DESIGNATED,
        division=street,
        division_key=street.key,
        address=s.mark(f"{s.tag}医院路", "facility address"),
        phone=s.mark(f"0374-{'3333333' if s.name == 'inside' else '4444444'}", "facility phone"),
        capabilities=["emergency"],
    )
    facility.staff.add(staff)
    s.objs["facility"] = facility
    s.objs["facility_staff2"] = f.user(f"m_{s.name}_hospital2", Role.HOSPITAL, s.district)
    person = p["home"]
    now = timezone.now()
    s.objs["care_request"] = CareRequest.objects.create(
        person=person,
        type=CareType.EMERGENCY,
        control_state=ControlState.NONE,
        channel=Channel.GRID,
        description=s.mark(f"{s.tag}就医需求", "care request description"),
        status=CareStatus.ROUTED,
        destination=FacilityKind.DESIGNATED,
        facility=facility,
        via_120=True,
        sla_minutes=30,
        due_at=now + dt.timedelta(minutes=30),
        rule_number=1,
        profile_code="matrix",
        profile_version=1,
        routed_at=now,
        division_key=person.division_key,
        raised_at=now,
    )
    s.objs["care_incident"] = Incident.objects.create(
        request=s.objs["care_request"],
        facility=facility,
        kind=IncidentKind.REFUSED,
        reason=RefusalReason.NO_BED,
        reason_text=s.mark(f"{s.tag}拒收理由", "incident reason"),
        happened_at=now,
        escalated_at=now,
        division_key=person.division_key,
    )


def _assistance(s: Side, p: dict[str, Resident]) -> None:
    """An undecided 临时救助 application of a resident, filed by a grid worker, with a document
    (assistance/)."""
    person = p["home"]
    now = timezone.now()
    application = AssistanceApplication.objects.create(
        number=s.mark(f"JZ-{s.name.upper()}-1", "assistance application number"),
        programme="temporary",
        coverage="single",
        procedure="emergency",
        channel="staff",
        applicant=person,
        division_key=person.division_key,
        monthly_income=Decimal("0"),
        assets=Decimal("0"),
        months_without_income=3,
        circumstances=s.mark(f"{s.tag}停工无收入", "assistance circumstances"),
        eligible=True,
        findings=["no_income_long_enough"],
        one_off_amount=Decimal("1000"),
        documents_required=["no_income_statement"],
        due_at=now + dt.timedelta(hours=1),
        profile_code="matrix",
        profile_version=1,
        applied_at=now,
    )
    AssistanceMember.objects.create(application=application, person=person)
    s.objs["assistance_application"] = application
    s.objs["assistance_document"] = AssistanceDocument.objects.create(
        application=application,
        kind="no_income_statement",
        name=s.mark(f"{s.name}-statement.pdf", "assistance document name"),
        content_type="application/pdf",
        size=9,
        sha256="0" * 64,
        content=s.mark(f"%PDF-{s.tag}", "assistance document content").encode(),
    )


def _hotline(s: Side, p: dict[str, Resident], staff: User) -> None:
    """A department at the street, staffed by the side's hospital account, and a citizen
    request of a resident dispatched to it (hotline/)."""
    street = s.branch[Level.STREET]
    department = Department.objects.create(
        code=s.mark(f"DEP-{s.name.upper()}", "department code"),
        name=s.mark(f"{s.tag}维修部门", "department name"),
        kind=DepartmentKind.UTILITIES,
        division=street,
        division_key=street.key,
    )
    department.staff.add(staff)
    s.objs["department"] = department
    person = p["home"]
    now = timezone.now()
    s.objs["hotline_request"] = HotlineRequest.objects.create(
        number=f"{s.name}-00001",
        channel=HotlineChannel.PHONE,
        text=s.mark(f"{s.tag}停水诉求", "citizen request text"),
        category="repair",
        caller_phone=person.phone,
        person=person,
        division_key=person.division_key,
        status=HotlineStatus.DISPATCHED,
        department=department,
        rule_number=1,
        profile_code="matrix",
        profile_version=1,
        sla_minutes=60,
        due_at=now + dt.timedelta(minutes=60),
        dispatched_at=now,
        happened_at=now,
    )


def _lab(s: Side, p: dict[str, Resident], setup: User, staff: User) -> None:
    street = s.branch[Level.STREET]
    # Labs are a directory of the whole city (a sampling site may send tubes to any lab, see
    # lab/selectors.labs): their names and codes are not markers; the registry's details are.
    lab = Lab.objects.create(
        code=f"LAB-{s.name.upper()}",
        name=f"{s.tag}检测所",
        division=s.district,
        division_key=s.district.key,
        area=s.district,
        area_key=s.district.key,
        capacity_per_day=5000,
        contact_name=s.mark(f"{s.tag}实验室联系人", "lab contact"),
        phone=s.mark(f"0374-{'1111111' if s.name == 'inside' else '2222222'}", "lab phone"),
        address=s.mark(f"{s.tag}实验室地址", "lab address"),
    )
    lab.staff.add(staff)
    s.objs["lab_staff"] = staff
    s.objs["lab_staff2"] = f.user(f"m_{s.name}_lab2", Role.LAB, s.district)
    site = SamplingSite.objects.create(
        code=s.mark(f"SS-{s.name.upper()}", "sampling site code"),
        name=s.mark(f"{s.tag}采样点", "sampling site name"),
        division=street,
        division_key=street.key,
        address="1号",
    )
    start = timezone.now() - dt.timedelta(hours=3)
    rnd = TestingRound.objects.create(
        name=s.mark(f"{s.tag}全员轮次", "round name"),
        area=street,
        division_key=street.key,
        pool_size=10,
        reason="scenario",
        starts_at=start,
        deadline=start + dt.timedelta(hours=24),
        status=RoundStatus.OPEN,
        created_by=setup,
    )
    rnd.sites.add(site)
    tag = s.name.upper()
    pool = make_tube(
        s.mark(f"TB-{tag}-{next(_barcodes)}", "barcode"),
        [p["tested"], p["worker"]],
        round=rnd,
        site=site,
        collected_at=start + dt.timedelta(minutes=30),
    )
    give_result(pool, Outcome.POSITIVE, lab=lab, tested_at=start + dt.timedelta(hours=2))
    empty = make_tube(s.mark(f"TB-{tag}-{next(_barcodes)}", "barcode"), [], site=site)
    full = make_tube(s.mark(f"TB-{tag}-{next(_barcodes)}", "barcode"), [p["candidate"]], site=site)
    sent = make_tube(s.mark(f"TB-{tag}-{next(_barcodes)}", "barcode"), [p["contact"]], site=site)
    sealed = make_tube(  # sealed with room left: one to reopen
        s.mark(f"TB-{tag}-{next(_barcodes)}", "barcode"), [p["candidate"]], site=site, capacity=10
    )
    Tube.objects.filter(pk=sent.pk).update(
        status=TubeStatus.SENT, lab=lab, sent_at=start + dt.timedelta(hours=1)
    )
    s.objs.update(
        lab=lab,
        site=site,
        round=rnd,
        tube=empty,
        pool=pool,
        full_tube=full,
        sent_tube=sent,
        sealed_tube=sealed,
    )
    s.objs["retest"] = Retest.objects.create(
        person=p["tested"], source_tube=pool, division_key=p["tested"].division_key
    )
    TemporaryControl.objects.create(
        person=p["tested"], source_tube=pool, since=start, division_key=p["tested"].division_key
    )
    s.objs["worker"] = RiskPostWorker.objects.create(
        person=p["worker"],
        employer=s.mark(f"{s.tag}物流公司", "employer"),
        post="分拣",
        group="group_2",
        division_key=p["worker"].division_key,
    )


def _quarantine(s: Side, p: dict[str, Resident], setup: User, staff: User, allocator: User) -> None:
    street = s.branch[Level.STREET]
    site = Site.objects.create(
        code=s.mark(f"QS-{s.name.upper()}", "quarantine site code"),
        name=s.mark(f"{s.tag}隔离酒店", "quarantine site name"),
        kind="hotel",
        division=street,
        division_key=street.key,
    )
    site.staff.add(staff)
    s.objs["staff"] = staff
    s.objs["staff2"] = f.user(f"m_{s.name}_quarantine2", Role.QUARANTINE, s.district)
    rooms = [
        Room.objects.create(
            site=site, building="A", floor=2, number=n, division_key=street.key, beds=2
        )
        for n in ("201", "202", "203", "204")
    ]
    today = timezone.localdate()
    at_site = measure_start(
        actor=setup,
        person=p["member"],
        category="close_contact",
        anchor_on=today - dt.timedelta(days=1),
    )
    stay = Stay.objects.create(
        person=p["member"],
        measure=at_site,
        room=rooms[0],
        site=site,
        status=StayStatus.IN,
        checked_in_at=timezone.now() - dt.timedelta(hours=20),
        division_key=street.key,
    )
    Room.objects.filter(pk=rooms[0].pk).update(status=RoomStatus.OCCUPIED)
    at_home = measure_start(
        actor=setup,
        person=p["contact"],
        category="close_contact",
        anchor_on=today - dt.timedelta(days=1),
    )
    check = HealthCheck.objects.create(
        measure=at_site,
        person=p["member"],
        stay=stay,
        day=today,
        temperature="38.6",
        abnormal=True,
        recorded_by=setup,
        division_key=at_site.division_key,
    )
    alert = HealthAlert.objects.create(
        check_record=check,
        person=p["member"],
        reason=s.mark(f"{s.tag}发热告警", "alert reason"),
        division_key=at_site.division_key,
    )
    transfer = Transfer.objects.create(
        person=p["case"],
        case=s.objs["case"],
        destination_kind="designated_hospital",
        destination=s.mark(f"{s.tag}定点医院", "transfer destination"),
        requested_by=setup,
        division_key=p["case"].division_key,
    )
    batch = allocation_propose(
        actor=allocator,
        category="close_contact",
        people={p["planned"].pk: today - dt.timedelta(days=1)},
    )
    released = measure_start(
        actor=setup,
        person=p["released"],
        category="close_contact",
        anchor_on=today - dt.timedelta(days=1),
    )
    Measure.objects.filter(pk=released.pk).update(
        status=MeasureStatus.RELEASED,
        closed_at=timezone.now(),
        certificate_number=s.mark(f"CERT-{s.name.upper()}", "certificate number"),
    )
    s.objs["released_measure"] = released
    arriving = measure_start(
        actor=setup,
        person=p["arriving"],
        category="close_contact",
        anchor_on=today - dt.timedelta(days=1),
    )
    s.objs["planned_stay"] = Stay.objects.create(
        person=p["arriving"],
        measure=arriving,
        room=rooms[2],
        site=site,
        status=StayStatus.PLANNED,
        division_key=street.key,
    )
    s.objs.update(
        quarantine_site=site,
        room=rooms[3],
        stay=stay,
        measure=at_site,
        home_measure=at_home,
        scheduled_test=ScheduledTest.objects.filter(measure=at_site).order_by("due_on").first(),
        alert=alert,
        transfer=transfer,
        batch=batch,
    )


def _travel(s: Side, p: dict[str, Resident], setup: User) -> None:
    now = timezone.now()
    reported = travel.trip_report(
        actor=setup,
        id_number=p["traveller"].id_number,
        name=p["traveller"].name,
        phone=p["traveller"].phone,
        origin=s.mark(f"{s.tag}出发地", "trip origin"),
        origin_kind="high_risk_area",
        departed_on=timezone.localdate() - dt.timedelta(days=1),
        arriving_at=now - dt.timedelta(hours=2),
        transport="train",
        transport_number="G1234",
        destination=s.branch[Level.COMMUNITY],
        address=s.mark(f"{s.tag}小区5号", "trip address"),
    )
    trip = travel.arrival_record(
        actor=setup,
        trip=reported.trip,
        checkpoint="许昌东站",
        arrived_at=now - dt.timedelta(hours=1),
    )
    s.mark(trip.code, "trip code")
    s.objs["trip"] = trip
    s.objs["handover"] = Handover.objects.get(trip=trip)
    # A second trip, only reported, for the arrival form.
    other = travel.trip_report(
        actor=setup,
        id_number=p["planned"].id_number,
        name=p["planned"].name,
        phone=p["planned"].phone,
        origin="郑州市",
        origin_kind="domestic",
        departed_on=timezone.localdate(),
        arriving_at=now + dt.timedelta(hours=2),
        transport="car",
        destination=s.branch[Level.COMMUNITY],
    ).trip
    s.mark(other.code, "trip code")
    s.objs["reported_trip"] = other


def _zones(s: Side, setup: User) -> None:
    zone = zone_draw(
        actor=setup,
        level="high",
        reason="scenario",
        divisions=[s.branch[Level.BUILDING]],
        cases=[s.objs["case"]],
        name=s.mark(f"{s.tag}封控楼栋", "zone name"),
    )
    s.objs["zone"] = zone
    s.objs["proposed_zone"] = zone_draw(
        actor=setup,
        level="high",
        reason="scenario",
        divisions=[s.branch[Level.UNIT]],
        name=s.mark(f"{s.tag}拟划小区", "zone name"),
        in_force=False,
    )
    today = timezone.localdate()
    s.objs["evaluation"] = ZoneEvaluation.objects.create(
        zone=zone,
        day=today,
        level="high",
        clock_from=today,
        days_clean=0,
        qualifies=True,
        proposed_level="low",
        proposed_change="lifted",
        verdict="proposed",
        profile_code="20-measures",
        division_key=zone.division_key,
    )


def _audit(s: Side) -> None:
    Event.objects.create(
        actor_name="scenario",
        action="resident.updated",
        object_type="people.resident",
        object_id=str(s.objs["resident"].pk),
        object_label=s.mark(f"{s.tag}审计对象", "audit label"),
        person_id=s.objs["resident"].pk,
        division_key=s.objs["resident"].division_key,
        field="name",
        from_value="x",
        to_value="y",
    )


def _side(world_city: f.City, name: str) -> Side:
    if name == "inside":
        return Side(name, INSIDE_TAG, world_city.weidu, world_city.w)
    return Side(name, OUTSIDE_TAG, world_city.jianan, world_city.j)


def _supplies(s: Side, p: dict[str, Resident], setup: User, staff: User) -> None:
    """A granted supply enterprise with its account, a courier, a vehicle and a pass."""
    street = s.branch[Level.STREET]
    inside = s.name == "inside"
    firm = Enterprise.objects.create(
        kind="supermarket",
        name=s.mark(f"{s.tag}保供超市", "enterprise name"),
        credit_code=s.mark("91411002MA44C8XK3A" if inside else "91411003MA45D9YL44", "credit code"),
        division=s.district,
        division_key=s.district.key,
        contact_name=s.mark(f"{s.tag}保供联系人", "enterprise contact"),
        status=WhitelistStatus.GRANTED,
    )
    firm.staff.add(staff)
    s.objs["enterprise"] = firm
    s.objs["supply_staff"] = staff
    s.objs["supply_staff2"] = f.user(f"m_{s.name}_supply2", Role.SUPPLY, s.district)
    # the courier tested negative an hour ago: a pass may be issued to them
    sampled = timezone.now() - dt.timedelta(hours=1)
    tube = make_tube(f"TB-SUP-{s.name.upper()}", [p["worker"]], collected_at=sampled)
    give_result(tube, Outcome.NEGATIVE, lab=s.objs["lab"], tested_at=sampled)
    s.objs["courier"] = Courier.objects.create(
        enterprise=firm,
        person=p["worker"],
        area=street,
        area_key=street.key,
        division_key=firm.division_key,
        home_address=s.mark(f"{s.tag}骑手住址", "courier home address"),
        status=WhitelistStatus.GRANTED,
    )
    vehicle = Vehicle.objects.create(
        enterprise=firm,
        plate=s.mark("豫K11111" if inside else "豫K22222", "plate"),
        area=street,
        area_key=street.key,
        division_key=firm.division_key,
        status=WhitelistStatus.GRANTED,
    )
    s.objs["vehicle"] = vehicle
    supply_pass = pass_issue(actor=setup, holder=vehicle)
    s.mark(supply_pass.serial, "pass serial")
    s.objs["supply_pass"] = supply_pass
    _prices(s, firm)


def _prices(s: Side, firm: Enterprise) -> None:
    """A reporting store of the enterprise with pork reported 10 days ago and today (red), and
    the alert it opened."""
    catalogue_install()
    pork = Necessity.objects.get(code="pork")
    store = Store.objects.create(
        enterprise=firm,
        name=s.mark(f"{s.tag}监测点", "store name"),
        division=s.district,
        division_key=s.district.key,
    )
    today = timezone.localdate()
    for ago, price in ((10, "20"), (0, "23")):
        PriceReport.objects.create(
            store=store,
            necessity=pork,
            day=today - dt.timedelta(days=ago),
            price=Decimal(price),
            stock=Decimal(1000),
            division_key=store.division_key,
            source="form",
        )
    s.objs["price_store"] = store
    s.objs["pork"] = pork
    s.objs["price_alert"] = PriceAlert.objects.create(
        necessity=pork,
        area=s.district,
        division_key=s.district.key,
        day=today,
        last_day=today,
        reason={"zh-hans": s.mark(f"{s.tag}猪肉涨价", "price alert reason"), "en": "pork"},
    )


def _orders(s: Side, p: dict[str, Resident], setup: User) -> None:
    """A receiving point at the side's compound, a package, an order for the `home` person
    assigned in a batch to the side's enterprise."""
    compound = s.objs["compound"] = s.branch[Level.COMPOUND]
    s.objs["receiving_point"] = ReceivingPoint.objects.create(
        compound=compound,
        division_key=compound.key,
        name=s.mark(f"{s.tag}接收点", "receiving point name"),
        location=s.mark(f"{s.tag}东门岗亭", "receiving point location"),
        hours="8:00-20:00",
        contact_name=s.mark(f"{s.tag}接收联系人", "receiving point contact"),
        phone="",
    )
    # The catalogue is the city's (one object on both sides, as the policy profiles are).
    product, _ = Product.objects.get_or_create(
        name="矩阵蔬菜包", defaults={"kind": "package", "unit": "份", "price": "39.90"}
    )
    s.objs["supply_product"] = product
    order = order_place(actor=SELF_SERVICE, person=p["home"], lines=[(product, 1)])
    s.objs["supply_order"] = order
    orders_batch(actor=setup)
    s.objs["order_batch"] = OrderBatch.objects.get(orders=order)


def personas(city: f.City) -> tuple[dict[str, User], User]:
    out = {
        role.value: f.user(f"m_{role.value}", role.value, city.weidu)
        for role in Role
        if role != Role.GRID
    }
    out[Role.GRID.value] = f.user("m_grid", Role.GRID, city.w[Level.GRID])
    nobody = f.user("m_nobody", Role.COMMAND, None)
    return out, nobody


def build() -> World:
    city = f.make_city()
    setup = f.user("m_setup", Role.COMMAND, city.city)
    people_of, nobody = personas(city)
    world = World(
        city=city,
        inside=_side(city, "inside"),
        outside=_side(city, "outside"),
        personas=people_of,
        nobody=nobody,
        setup=setup,
    )
    world.outside.owner = f.user("m_outsider", Role.COMMAND, city.jianan)
    outside_staff = f.user("m_outside_quarantine", Role.QUARANTINE, city.jianan)
    outside_lab_staff = f.user("m_outside_lab", Role.LAB, city.jianan)
    outside_supply_staff = f.user("m_outside_supply", Role.SUPPLY, city.jianan)
    outside_hospital = f.user("m_outside_hospital", Role.HOSPITAL, city.jianan)
    sides = (
        (
            world.inside,
            people_of["quarantine"],
            people_of["lab"],
            people_of["command"],
            people_of["hospital"],
        ),
        (world.outside, outside_staff, outside_lab_staff, world.outside.owner, outside_hospital),
    )
    supply_staff = {"inside": people_of["supply"], "outside": outside_supply_staff}
    for s, staff, lab_staff, allocator, hospital in sides:
        p = _residents(s)
        _registry(s, p)
        _epi(s, p, setup)
        _lab(s, p, setup, lab_staff)
        _care(s, p, hospital)
        _care_plans(s, p, s.objs["facility"])
        _assistance(s, p)
        _hotline(s, p, hospital)
        _quarantine(s, p, setup, staff, allocator)
        _travel(s, p, setup)
        _zones(s, setup)
        _supplies(s, p, setup, supply_staff[s.name])
        _orders(s, p, setup)
        _audit(s)
    _across(world)
    for s, command in ((world.inside, people_of["command"]), (world.outside, world.outside.owner)):
        _report_issue(s, command)
    world.inside.objs["policy"] = world.outside.objs["policy"] = PolicyProfile.objects.filter(
        is_active=False
    ).first()
    # A version to come into force next week (the profiles are the whole city's: one object).
    world.inside.objs["policy_activation"] = world.outside.objs["policy_activation"] = (
        PolicyActivation.objects.create(
            profile=world.inside.objs["policy"],
            effective_from=timezone.now() + dt.timedelta(days=7),
            reason="矩阵：下周施行",
        )
    )
    for user in [*people_of.values(), nobody, world.outside.owner]:
        world.tokens[user.pk] = token_create(user=user, name="matrix")[0]
        world.rejected[user.pk] = _rejected_rows(user)
    return world


def _across(world: World) -> None:
    """Links across the border: an inside case's finding job found someone who lives outside,
    and an inside case has a contact living outside (both kept where the person lives)."""
    inside = world.inside
    case = inside.objs["case"]
    stranger = Resident.objects.get(name=f"{OUTSIDE_TAG}壬")
    now = timezone.now()
    Candidate.objects.create(
        job=inside.objs["finding_job"],
        case=case,
        person=stranger,
        degree=Degree.CLOSE,
        venue=inside.objs["venue"],
        overlap_start=now - dt.timedelta(days=1, hours=1),
        overlap_end=now - dt.timedelta(days=1),
        overlap_minutes=60,
        division_key=stranger.division_key,
    )
    visitor = Resident.objects.get(name=f"{OUTSIDE_TAG}己")
    make_contact(case, visitor, last_exposure_on=case.reported_on)


def _report_issue(s: Side, command: User) -> None:
    """Yesterday's report of the side's district, issued by its command centre."""
    node = node_for(command, s.district.key)
    s.objs["report_issue"] = issues.report_issue(
        actor=command,
        node=node,
        day=timezone.localdate() - dt.timedelta(days=1),
        reason=s.mark(f"{s.tag}通报发布说明", "report issue reason"),
    )


def _rejected_rows(user: User) -> str:
    """A rejected-rows file of an import by `user` (downloadable by them only)."""
    file = RejectedFile(user, "residents.csv", ["id_number", "name"])
    file.add(["000", f"{user.username}的拒收行"], [])
    file.close()
    return file.token
