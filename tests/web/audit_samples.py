"""One audit event of every kind the code records, with the values its writer stores.

Each sample copies what its service writes (`src/fangkong/**/services.py` and the bulk writers):
a status code where the writer stores the code (`StayStatus.IN`), a label in the writer's language
where it stores `get_…_display()` or `.label`, a profile as `code vN`, a process as the actor's
name. `samples(language)` builds them as a writer in that language would have.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils import translation

from fangkong.assistance.models import ApplicationStatus as Applied
from fangkong.assistance.models import DocumentKind
from fangkong.care.models import FacilityKind, PlanCategory, Repeat
from fangkong.care.models import OrderStatus as MedicineStatus
from fangkong.care.models import RequestStatus as CareStatus
from fangkong.epi.models import (
    CandidateDecision,
    CaseKind,
    CaseStatus,
    ContactStatus,
    Degree,
    Destination,
    RequestStatus,
)
from fangkong.healthcode.models import AppealStatus
from fangkong.healthcode.rules import RULE_LABELS
from fangkong.hotline.models import HotlineStatus
from fangkong.lab.models import (
    ControlStatus,
    Outcome,
    RetestStatus,
    RoundStatus,
    TubeStatus,
    TurnaroundClass,
)
from fangkong.people.models import KeyCategory, NeedStatus, Relation
from fangkong.policy.compare import LEVEL_LABELS
from fangkong.quarantine.measures.checks import Symptom
from fangkong.quarantine.models import (
    AlertStatus,
    AllocationBatch,
    DueTestStatus,
    MeasureStatus,
    PhaseKind,
    RoomStatus,
    StayStatus,
    TransferStatus,
)
from fangkong.supplies.models import AlertStatus as PriceAlertStatus
from fangkong.supplies.models import PassStatus, WhitelistStatus
from fangkong.supplies.orders.models import OrderStatus, ProblemKind
from fangkong.travel.models import TripStatus
from fangkong.zones.models import ZoneStatus

PERSON = "person"  # the persona acting (a signed-in user); other actors are process names


@dataclass(frozen=True)
class Sample:
    action: str
    object_type: str
    field: str = ""
    old: str = ""
    new: str = ""
    actor: str = PERSON
    reason: str = ""


def _hotline_samples() -> list[Sample]:
    """Citizen requests (hotline/)."""
    req, st = "hotline.hotlinerequest", HotlineStatus
    return [
        Sample("hotline.request_taken", req, "status", "", st.DISPATCHED),
        Sample("hotline.request_taken", req, "status", "", st.QUEUED, actor="anonymous"),
        Sample("hotline.request_dispatched", req, "status", st.RECEIVED, st.DISPATCHED),
        Sample("hotline.request_recategorised", req, "category", "repair", "other", reason="误判"),
        Sample("hotline.request_accepted", req, "status", st.DISPATCHED, st.ACCEPTED),
        Sample("hotline.request_noted", req, reason="维修工已上门"),
        Sample("hotline.request_completed", req, "status", st.ACCEPTED, st.COMPLETED),
        Sample("hotline.request_confirmed", req, "status", st.COMPLETED, st.CLOSED),
        Sample("hotline.request_reopened", req, "status", st.COMPLETED, st.DISPATCHED),
        Sample("hotline.request_merged", req, "status", st.DISPATCHED, st.MERGED),
        Sample(
            "hotline.request_cancelled", req, "status", st.RECEIVED, st.CANCELLED, reason="重复"
        ),
        Sample("hotline.escalated", req, "escalation_level", "0", "1", actor="system"),
        Sample("hotline.department_registered", "hotline.department", "kind", "", "utilities"),
    ]


def _l(choice) -> str:
    return str(choice.label)


def samples(language: str, *, site_id: int) -> list[Sample]:
    """Every kind of event, as a writer whose language is `language` stores it."""
    with translation.override(language):
        return _samples(site_id)


def _samples(site_id: int) -> list[Sample]:
    at = dt.datetime(2022, 12, 7, 9, 30, tzinfo=dt.UTC).isoformat()
    symptoms = f"38.2 °C; {_l(Symptom.FEVER)}, {_l(Symptom.COUGH)}"
    return [
        Sample("resident.created", "people.resident"),
        Sample("resident.updated", "people.resident", "relation", Relation.CHILD, Relation.SPOUSE),
        Sample("resident.updated", "people.resident", "name", "张卫", "张伟"),
        Sample("resident.updated", "people.resident", "phone", "139****0001", "139****0002"),
        Sample("resident.updated", "people.resident", "household", "HH-W-1", "HH-W-2"),
        Sample("resident.updated", "people.resident", "division", "1单元", "2单元"),
        Sample("residents.imported", "people.import"),
        Sample("checkins.imported", "epi.checkin_import"),
        Sample("household.created", "people.household"),
        Sample("household.updated", "people.household", "address", "西大街1号", "西大街2号"),
        Sample("pii.revealed", "people.resident", "id_number", reason="核对身份"),
        Sample("pii.revealed", "epi.appeal", "contact_phone", reason="回电"),
        Sample("pii.exported", "people.resident", reason="上报"),
        Sample("key_person.added", "people.keyperson", "category", "", _l(KeyCategory.DIALYSIS)),
        Sample("key_person.removed", "people.keyperson", "category", _l(KeyCategory.DIALYSIS)),
        Sample("key_persons.exported", "people.keyperson"),
        Sample("need.added", "people.need", new="每周透析三次"),
        Sample("need.fulfilled", "people.need", "status", _l(NeedStatus.OPEN), _l(NeedStatus.MET)),
        Sample("need.fulfilled", "people.need", "next_due", "2022-12-07", "2022-12-14"),
        Sample(
            "need.cancelled", "people.need", "status", _l(NeedStatus.OPEN), _l(NeedStatus.CANCELLED)
        ),
        Sample(
            "policy.activated",
            "policy.policyprofile",
            "active_profile",
            "9th-edition v1",
            "20-measures v1",
        ),
        Sample(
            "policy.in_force",
            "policy.policyprofile",
            "active_profile",
            "9th-edition v1",
            "20-measures v1",
        ),
        Sample(
            "policy.activation_withdrawn",
            "policy.policyprofile",
            "active_profile",
            "20-measures v1",
            "",
        ),
        Sample("policy.drafted", "policy.policyprofile", "", "20-measures v1", "20-measures v1"),
        Sample("policy.draft_changed", "policy.policyprofile"),
        Sample("policy.draft_discarded", "policy.policyprofile", "", "20-measures v1", ""),
        Sample("finding_job.created", "epi.findingjob", new="T-00001, T-00002"),
        Sample(
            "candidate.confirmed",
            "epi.candidate",
            "decision",
            _l(CandidateDecision.PENDING),
            _l(CandidateDecision.CONFIRMED),
        ),
        Sample(
            "candidate.dismissed",
            "epi.candidate",
            "decision",
            _l(CandidateDecision.PENDING),
            _l(CandidateDecision.DISMISSED),
        ),
        Sample(
            "code.changed",
            "people.resident",
            "colour",
            "green",
            "red",
            actor="system",
            reason=str(RULE_LABELS["close_contact_under_quarantine"]),
        ),
        Sample("code.overridden", "epi.codeoverride", "colour", "", "yellow", reason="核实有误"),
        Sample("code.override_revoked", "epi.codeoverride", "colour", "yellow", ""),
        Sample("appeal.filed", "epi.appeal", "status", "", AppealStatus.OPEN, actor="self-service"),
        Sample("appeal.decided", "epi.appeal", "status", AppealStatus.OPEN, AppealStatus.UPHELD),
        Sample("token.created", "accounts.apitoken"),
        Sample("token.revoked", "accounts.apitoken"),
        Sample("login.failed", "accounts.user", actor="anonymous"),
        Sample("two_factor.enrolled", "accounts.user"),
        Sample("two_factor.removed", "accounts.user"),
        Sample("two_factor.failed", "accounts.user"),
        Sample("two_factor.recovery_used", "accounts.user"),
        Sample("two_factor.recovery_regenerated", "accounts.user"),
        Sample("venue.created", "places.venue"),
        Sample("division.created", "places.division"),
        Sample("division.renamed", "places.division", "name", "第一网格", "第一网格（东）"),
        Sample("case.registered", "epi.case", "kind", "", _l(CaseKind.ASYMPTOMATIC)),
        Sample(
            "case.reclassified",
            "epi.case",
            "kind",
            _l(CaseKind.ASYMPTOMATIC),
            _l(CaseKind.CONFIRMED),
        ),
        Sample(
            "case.transferred",
            "epi.case",
            "destination",
            "",
            f"{_l(Destination.DESIGNATED_HOSPITAL)} 许昌市中心医院",
        ),
        Sample(
            "case.transferred",
            "epi.case",
            "status",
            _l(CaseStatus.REPORTED),
            _l(CaseStatus.TRANSFERRED),
        ),
        Sample(
            "case.closed", "epi.case", "status", _l(CaseStatus.TRANSFERRED), _l(CaseStatus.DIED)
        ),
        Sample("contact.added", "epi.contact", "degree", "", f"{_l(Degree.CLOSE)} ← T-00001"),
        Sample(
            "contact.status_changed",
            "epi.contact",
            "status",
            _l(ContactStatus.IDENTIFIED),
            _l(ContactStatus.LOCATED),
        ),
        Sample("contact.converted", "epi.contact", "became_case", "", "T-00002"),
        Sample("contacts.imported", "epi.case", new="3"),
        Sample("situation.imported", "command.situation", new="35100", reason="人员.csv, 病例.csv"),
        Sample(
            "contact_request.created", "epi.contactrequest", "status", "", _l(RequestStatus.PENDING)
        ),
        Sample(
            "contact_request.confirmed",
            "epi.contactrequest",
            "status",
            _l(RequestStatus.PENDING),
            _l(RequestStatus.CONFIRMED),
        ),
        Sample(
            "contact_request.rejected",
            "epi.contactrequest",
            "status",
            _l(RequestStatus.PENDING),
            _l(RequestStatus.REJECTED),
        ),
        Sample("round.started", "lab.testinground", "status", "", RoundStatus.OPEN),
        Sample("round.closed", "lab.testinground", "status", RoundStatus.OPEN, RoundStatus.CLOSED),
        Sample("risk_post.registered", "lab.riskpostworker"),
        Sample("risk_post.left", "lab.riskpostworker", "active", "True", "False"),
        Sample("tube.sealed", "lab.tube", "fill", "open", "sealed"),
        Sample("tube.reopened", "lab.tube", "fill", "sealed", "open"),
        Sample("lab.registered", "lab.lab"),
        Sample(
            "lab.updated",
            "lab.lab",
            "turnaround",
            _l(TurnaroundClass.ROUTINE),
            _l(TurnaroundClass.FEVER_CLINIC),
        ),
        Sample("lab.updated", "lab.lab", "capacity_per_day", "3000", "5000"),
        Sample("lab.staff_changed", "lab.lab", "staff", "p_lab", "p_lab, p_street"),
        Sample("lab.suspended", "lab.lab", "active", "in_use", "suspended"),
        Sample("lab.reopened", "lab.lab", "active", "suspended", "in_use"),
        Sample("care.facility_registered", "care.facility"),
        Sample(
            "care.facility_updated",
            "care.facility",
            "kind",
            _l(FacilityKind.GENERAL),
            _l(FacilityKind.DESIGNATED),
        ),
        Sample(
            "care.facility_updated",
            "care.facility",
            "capabilities",
            "emergency",
            "emergency, dialysis",
        ),
        Sample("care.facility_updated", "care.facility", "phone", "0374-1200000", "0374-1200001"),
        Sample("care.facility_staff_changed", "care.facility", "staff", "", "p_hospital"),
        Sample("care.facility_suspended", "care.facility", "active", "in_service", "suspended"),
        Sample("care.facility_reopened", "care.facility", "active", "suspended", "in_service"),
        Sample("care.request_raised", "care.carerequest", "status", "", CareStatus.ROUTED),
        Sample(
            "care.request_raised",
            "care.carerequest",
            "status",
            "",
            CareStatus.REQUESTED,
            actor="self-service",
        ),
        Sample(
            "care.request_routed",
            "care.carerequest",
            "status",
            CareStatus.ROUTED,
            CareStatus.ROUTED,
        ),
        Sample(
            "care.request_accepted",
            "care.carerequest",
            "status",
            CareStatus.ROUTED,
            CareStatus.ACCEPTED,
        ),
        Sample(
            "care.request_completed",
            "care.carerequest",
            "status",
            CareStatus.ACCEPTED,
            CareStatus.COMPLETED,
        ),
        Sample(
            "care.request_cancelled",
            "care.carerequest",
            "status",
            CareStatus.ROUTED,
            CareStatus.CANCELLED,
            reason="已自行就医",
        ),
        Sample("care.plan_created", "care.healthplan"),
        Sample(
            "care.plan_changed",
            "care.healthplan",
            "category",
            PlanCategory.CHRONIC,
            PlanCategory.DIALYSIS,
        ),
        Sample("care.plan_changed", "care.healthplan", "contact_hospital", "", "魏都医院"),
        Sample("care.need_added", "care.standingneed"),
        Sample("care.need_changed", "care.standingneed", "weekdays", "024", "135"),
        Sample("care.need_changed", "care.standingneed", "repeat", Repeat.WEEKLY, Repeat.EVERY),
        Sample("care.need_changed", "care.standingneed", "active", "True", "False"),
        Sample("care.course_saved", "care.medicinecourse", "runs_out_on", "", "2022-05-10"),
        Sample(
            "care.course_supplied", "care.medicinecourse", "runs_out_on", "2022-05-10", "2022-06-09"
        ),
        Sample("care.medicine_needed", "care.medicineorder", "status", "", MedicineStatus.NEEDED),
        Sample(
            "care.medicine_batched",
            "care.medicineorder",
            "status",
            MedicineStatus.NEEDED,
            MedicineStatus.BATCHED,
        ),
        Sample(
            "care.medicine_substitute",
            "care.medicineorder",
            "status",
            MedicineStatus.BATCHED,
            MedicineStatus.SUBSTITUTE,
        ),
        Sample(
            "care.medicine_substitute_accepted",
            "care.medicineorder",
            "status",
            MedicineStatus.SUBSTITUTE,
            MedicineStatus.SOURCED,
        ),
        Sample(
            "care.medicine_substitute_declined",
            "care.medicineorder",
            "status",
            MedicineStatus.SUBSTITUTE,
            MedicineStatus.BATCHED,
            reason="对该药过敏",
        ),
        Sample(
            "care.medicine_sourced",
            "care.medicineorder",
            "status",
            MedicineStatus.BATCHED,
            MedicineStatus.SOURCED,
        ),
        Sample(
            "care.medicine_delivered",
            "care.medicineorder",
            "status",
            MedicineStatus.SOURCED,
            MedicineStatus.DELIVERED,
        ),
        Sample(
            "care.medicine_confirmed",
            "care.medicineorder",
            "status",
            MedicineStatus.DELIVERED,
            MedicineStatus.CONFIRMED,
        ),
        Sample(
            "care.medicine_cancelled",
            "care.medicineorder",
            "status",
            MedicineStatus.NEEDED,
            MedicineStatus.CANCELLED,
            reason="已住院",
        ),
        Sample("care.line_added", "care.directline"),
        Sample("care.line_changed", "care.directline"),
        Sample("care.line_removed", "care.directline"),
        Sample("care.vehicle_registered", "care.vehicle"),
        Sample("care.dispatch_transferred", "care.dispatch", "stage", "", "queued"),
        Sample("care.dispatch_assigned", "care.dispatch", "stage", "queued", "assigned"),
        Sample("care.dispatch_picked_up", "care.dispatch", "stage", "assigned", "picked_up"),
        Sample("care.dispatch_arrived", "care.dispatch", "stage", "picked_up", "arrived"),
        Sample("care.dispatch_handed_over", "care.dispatch", "stage", "arrived", "handed_over"),
        Sample("care.incident_recorded", "care.incident", "kind", "", "refused", reason="无床位"),
        Sample(
            "care.incident_recorded", "care.incident", "kind", "", "not_confirmed", actor="system"
        ),
        Sample("assistance.filed", "assistance.application", "status", "", Applied.SUBMITTED),
        Sample(
            "assistance.filed",
            "assistance.application",
            "status",
            "",
            Applied.SUBMITTED,
            actor="self-service",
        ),
        Sample(
            "assistance.document_added",
            "assistance.application",
            "documents",
            "",
            DocumentKind.NO_INCOME_STATEMENT,
        ),
        Sample(
            "assistance.reviewed",
            "assistance.application",
            "status",
            Applied.SUBMITTED,
            Applied.REVIEWED,
            reason="入户核查属实",
        ),
        Sample(
            "assistance.approved",
            "assistance.application",
            "status",
            Applied.SUBMITTED,
            Applied.APPROVED,
            reason="符合条件",
        ),
        Sample(
            "assistance.refused",
            "assistance.application",
            "status",
            Applied.REVIEWED,
            Applied.REFUSED,
            reason="收入超过标准",
        ),
        Sample(
            "assistance.withdrawn",
            "assistance.application",
            "status",
            Applied.SUBMITTED,
            Applied.WITHDRAWN,
            reason="已返岗",
        ),
        Sample("assistance.paid", "assistance.application", "amount", "", "1000.00"),
        Sample(
            "care.incident_resolved",
            "care.incident",
            "resolution",
            "",
            "已协调收治",
            reason="已协调收治",
        ),
        *_hotline_samples(),
        Sample("site.created", "lab.samplingsite"),
        Sample("tube.opened", "lab.tube", "status", "", TubeStatus.COLLECTED),
        Sample("tube.member_added", "lab.tube"),
        Sample("tube.sent", "lab.tube", "status", TubeStatus.COLLECTED, TubeStatus.SENT),
        Sample("tube.received", "lab.tube", "status", TubeStatus.SENT, TubeStatus.RECEIVED),
        Sample(
            "retest.sampled", "lab.retest", "status", RetestStatus.PENDING, RetestStatus.SAMPLED
        ),
        Sample("results.uploaded", "lab.resultupload", reason="results.csv"),
        Sample("tube.resulted", "lab.tube", "outcome", "", _l(Outcome.POSITIVE)),
        Sample("pool.positive", "lab.tube", "outcome", "", _l(Outcome.POSITIVE)),
        Sample("retest.created", "lab.retest", "status", "", _l(RetestStatus.PENDING)),
        Sample(
            "retest.resulted",
            "lab.retest",
            "status",
            _l(RetestStatus.SAMPLED),
            _l(RetestStatus.NEGATIVE),
        ),
        Sample("control.started", "lab.temporarycontrol", "status", "", _l(ControlStatus.ACTIVE)),
        Sample(
            "control.cleared",
            "lab.temporarycontrol",
            "status",
            _l(ControlStatus.ACTIVE),
            _l(ControlStatus.CLEARED),
        ),
        Sample("measure.started", "quarantine.measure", "status", "", MeasureStatus.ACTIVE),
        # as measure.started was written before it named its field
        Sample("measure.started", "quarantine.measure", "", "", MeasureStatus.ACTIVE),
        Sample(
            "measure.replanned",
            "quarantine.measure",
            "status",
            MeasureStatus.ACTIVE,
            MeasureStatus.ENDED,
        ),
        Sample("measure.replanned", "quarantine.measure", "ends_on", "2022-12-14", "2022-12-12"),
        Sample(
            "measure.closed",
            "quarantine.measure",
            "status",
            MeasureStatus.ACTIVE,
            MeasureStatus.RELEASED,
        ),
        Sample(
            "measure.handed_to_community",
            "quarantine.measure",
            "phase",
            _l(PhaseKind.CENTRALISED),
            _l(PhaseKind.HOME_QUARANTINE),
        ),
        Sample(
            "measure.test_sampled",
            "quarantine.measure",
            "status",
            DueTestStatus.DUE,
            DueTestStatus.SAMPLED,
        ),
        Sample(
            "test.sampled",
            "quarantine.scheduledtest",
            "status",
            DueTestStatus.DUE,
            DueTestStatus.SAMPLED,
        ),
        Sample(
            "test.missed",
            "quarantine.scheduledtest",
            "status",
            DueTestStatus.DUE,
            DueTestStatus.MISSED,
            actor="system",
        ),
        Sample(
            "test.resulted",
            "quarantine.scheduledtest",
            "status",
            DueTestStatus.SAMPLED,
            DueTestStatus.NEGATIVE,
            actor="system",
        ),
        Sample("health_check.recorded", "quarantine.healthcheck", "temperature", "", symptoms),
        Sample(
            "health_check.missed", "quarantine.healthcheck", "missed", "", "true", actor="system"
        ),
        Sample("health_alert.raised", "quarantine.healthalert", "status", "", AlertStatus.OPEN),
        Sample(
            "health_alert.handled",
            "quarantine.healthalert",
            "status",
            AlertStatus.OPEN,
            AlertStatus.HANDLED,
        ),
        Sample("site.registered", "quarantine.site"),
        Sample("site.closed", "quarantine.site", "active", "in_use", "closed"),
        Sample("site.reopened", "quarantine.site", "active", "closed", "in_use"),
        Sample(
            "site.staff_changed",
            "quarantine.site",
            "staff",
            "p_quarantine",
            "p_quarantine, p_street",
        ),
        Sample("rooms.added", "quarantine.site", new="12"),
        Sample(
            "room.status_changed",
            "quarantine.room",
            "status",
            RoomStatus.OCCUPIED,
            RoomStatus.CLEANING,
        ),
        Sample("allocation.proposed", "quarantine.allocationbatch"),
        Sample("allocation.lines_removed", "quarantine.allocationbatch"),
        Sample(
            "allocation.cancelled",
            "quarantine.allocationbatch",
            "status",
            AllocationBatch.Status.DRAFT,
            AllocationBatch.Status.CANCELLED,
        ),
        Sample(
            "allocation.confirmed",
            "quarantine.allocationbatch",
            "status",
            AllocationBatch.Status.DRAFT,
            AllocationBatch.Status.CONFIRMED,
        ),
        Sample("stay.allocated", "quarantine.stay", "room", "", "A-101"),
        Sample("stay.checked_in", "quarantine.stay", "status", StayStatus.PLANNED, StayStatus.IN),
        Sample("stay.moved", "quarantine.stay", "room", f"{site_id}:A-101", f"{site_id}:A-102"),
        Sample("stay.ended", "quarantine.stay", "status", StayStatus.IN, StayStatus.RELEASED),
        Sample("transfer.requested", "quarantine.transfer", "status", "", TransferStatus.REQUESTED),
        Sample(
            "transfer.departed",
            "quarantine.transfer",
            "status",
            TransferStatus.REQUESTED,
            TransferStatus.DEPARTED,
        ),
        Sample(
            "transfer.handed_over",
            "quarantine.transfer",
            "status",
            TransferStatus.DEPARTED,
            TransferStatus.HANDED_OVER,
        ),
        Sample(
            "transfer.cancelled",
            "quarantine.transfer",
            "status",
            TransferStatus.REQUESTED,
            TransferStatus.CANCELLED,
        ),
        Sample("trip.reported", "travel.trip", "status", "", TripStatus.REPORTED, "self-service"),
        Sample("trip.arrived", "travel.trip", "status", TripStatus.REPORTED, TripStatus.ARRIVED),
        Sample(
            "trip.handed_over", "travel.trip", "status", TripStatus.ARRIVED, TripStatus.HANDED_OVER
        ),
        Sample(
            "trip.completed", "travel.trip", "status", TripStatus.ARRIVED, TripStatus.NO_OBLIGATIONS
        ),
        Sample(
            "trip.completed",
            "travel.trip",
            "status",
            TripStatus.HANDED_OVER,
            TripStatus.COMPLETED,
            actor="system",
        ),
        Sample("handover.acknowledged", "travel.handover", "acknowledged_at", "", at),
        Sample("zone.drawn", "zones.zone", "status", "", _l(ZoneStatus.PROPOSED)),
        Sample(
            "zone.activated", "zones.zone", "status", _l(ZoneStatus.PROPOSED), _l(ZoneStatus.ACTIVE)
        ),
        Sample(
            "zone.withdrawn",
            "zones.zone",
            "status",
            _l(ZoneStatus.PROPOSED),
            _l(ZoneStatus.WITHDRAWN),
        ),
        Sample("zone.extended", "zones.zone", "places", "", "幸福小区, 1号楼"),
        Sample(
            "zone.level_changed",
            "zones.zone",
            "level",
            str(LEVEL_LABELS["high"]),
            str(LEVEL_LABELS["low"]),
        ),
        Sample(
            "zone.change_proposed",
            "zones.zone",
            "level",
            str(LEVEL_LABELS["high"]),
            str(LEVEL_LABELS["low"]),
            actor="system",
        ),
        Sample(
            "zone.change_rejected",
            "zones.zone",
            "level",
            str(LEVEL_LABELS["high"]),
            str(LEVEL_LABELS["low"]),
        ),
        Sample("zone.round_started", "zones.zone"),
        Sample("command.exported", "command.list", reason="上报"),
        Sample("command.report_issued", "command.reportissue"),
        Sample("command.report_reissued", "command.reportissue", reason="补录病例"),
        Sample("enterprise.registered", "supplies.enterprise"),
        Sample("enterprise.staff_changed", "supplies.enterprise", "staff", "", "p_supply"),
        *(
            Sample(
                f"{kind}.whitelist_{new}",
                f"supplies.{kind}",
                "status",
                old,
                new,
                reason="核酸阳性",
            )
            for kind in ("enterprise", "courier", "vehicle")
            for old, new in (
                (WhitelistStatus.PENDING, WhitelistStatus.GRANTED),
                (WhitelistStatus.GRANTED, WhitelistStatus.SUSPENDED),
                (WhitelistStatus.SUSPENDED, WhitelistStatus.REVOKED),
            )
        ),
        Sample("courier.registered", "supplies.courier"),
        Sample("vehicle.registered", "supplies.vehicle"),
        Sample("pass.issued", "supplies.supplypass"),
        Sample(
            "pass.revoked",
            "supplies.supplypass",
            "status",
            PassStatus.VALID,
            PassStatus.REVOKED,
            actor="system",
            reason="核酸阳性",
        ),
        Sample("signing_key.rotated", "supplies.signingkey", "kid", "3q2+7w==", "AAECAwQFBgc="),
        Sample("store.registered", "supplies.store"),
        Sample("necessity.changed", "supplies.necessity"),
        Sample("price.reported", "supplies.pricereport"),
        Sample("prices.imported", "supplies.pricereport"),
        Sample(
            "price_alert.opened",
            "supplies.pricealert",
            actor="system",
            reason="猪肉 10日涨幅 12.4% > 10%",
        ),
        *(
            Sample("price_alert." + new, "supplies.pricealert", "status", old, new, reason="已调货")
            for old, new in (
                (PriceAlertStatus.OPEN, PriceAlertStatus.ACKNOWLEDGED),
                (PriceAlertStatus.ACKNOWLEDGED, PriceAlertStatus.RESOLVED),
            )
        ),
        Sample("receiving_point.registered", "supplies.receivingpoint"),
        Sample("receiving_point.changed", "supplies.receivingpoint"),
        Sample("product.saved", "supplies.product", "price", "39.90", "42.00"),
        Sample("order.placed", "supplies.order", "status", "", OrderStatus.PLACED),
        Sample(
            "order.placed",
            "supplies.order",
            "status",
            "",
            OrderStatus.PLACED,
            actor="self-service",
        ),
        Sample(
            "order.cancelled",
            "supplies.order",
            "status",
            OrderStatus.PLACED,
            OrderStatus.CANCELLED,
            reason="居民已自购",
        ),
        Sample("batch.assigned", "supplies.orderbatch", "enterprise", "", "1"),
        *(
            Sample(f"order.{new}", "supplies.order", "status", old, new)
            for old, new in (
                (OrderStatus.PLACED, OrderStatus.ACCEPTED),
                (OrderStatus.ACCEPTED, OrderStatus.DISPATCHED),
                (OrderStatus.DISPATCHED, OrderStatus.AT_POINT),
                (OrderStatus.AT_POINT, OrderStatus.DELIVERED),
            )
        ),
        Sample(
            "order.problem", "supplies.order", "problem", "", ProblemKind.MISSING, reason="少一袋"
        ),
    ]
