"""Writes on assistance applications: file one (by the resident online, or by a street or grid
worker for them), add documents, review, decide (approve or refuse, with the reason and the
basis), withdraw, and record payments. One transaction each, an audit event each (who, when it
happened, when it was recorded, what, why, on what basis).

The household's members come from the registry; the thresholds, amounts, documents and the
deadline from the policy profile in force when the application is filed (`assistance.rules`).
"""

import datetime as dt
import hashlib
import re
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.assistance import rules
from fangkong.assistance.applications.selectors import OPEN, missing_documents
from fangkong.assistance.models import (
    Application,
    ApplicationChannel,
    ApplicationStatus,
    Coverage,
    Document,
    DocumentKind,
    Member,
    Payment,
    Procedure,
    Programme,
)
from fangkong.audit.labels import SELF_SERVICE
from fangkong.audit.services import event_record
from fangkong.core.access import Cap, acting_user, can, require, scoped
from fangkong.core.dates import check_date, check_happened
from fangkong.core.errors import field_error, need_reason
from fangkong.people.models import Resident
from fangkong.people.services import clean_phone
from fangkong.places.models import Level
from fangkong.policy.accessor import Policy, current

MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")  # the month a payment is for, YYYY-MM
# What an uploaded document may be, by its first bytes: a scan (PDF) or a photo.
SIGNATURES = {b"%PDF-": "application/pdf", b"\xff\xd8\xff": "image/jpeg", b"\x89PNG": "image/png"}


def person_in_scope(actor: Any, id_number: str) -> Resident:
    number = (id_number or "").strip().upper()
    found = scoped(Resident.objects.all(), actor).filter(id_number=number).first()
    if found is None:
        raise field_error("id_number", _("No person with this ID number in your jurisdiction"))
    return found


def household_of(person: Resident) -> list[Resident]:
    """The applicant's household as the registry has it (the applicant first)."""
    if person.household_id is None:
        return [person]
    others = Resident.objects.filter(household_id=person.household_id).exclude(pk=person.pk)
    return [person, *others.order_by("pk")]


def _amount(field: str, value: Any) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(rules.CENT)
    except (InvalidOperation, ValueError):
        raise field_error(field, _("Give an amount in yuan")) from None
    if amount < 0 or amount >= Decimal("1e10"):
        raise field_error(field, _("Give an amount in yuan"))
    return amount


def may_decide(user: Any, policy: Policy | None = None) -> bool:
    """The street reviews and decides (审核确认权下放), or only the district when the profile
    keeps it there."""
    if not can(user, Cap.ASSISTANCE_DECIDE):
        return False
    if getattr(user, "is_superuser", False):
        return True
    rules_ = (policy or current()).rules.assistance
    highest = Level.STREET if rules_.street_confirms else Level.DISTRICT
    place = getattr(user, "jurisdiction", None)
    return place is not None and place.level <= highest


@transaction.atomic
def application_file(
    *,
    actor: Any,
    person: Resident,
    programme: str,
    monthly_income: Any,
    assets: Any,
    seriously_ill_or_disabled: bool = False,
    months_without_income: int = 0,
    unemployment_insurance: bool = False,
    circumstances: str = "",
    contact_phone: str = "",
    applied_at: dt.datetime | None = None,
) -> Application:
    """An application for `person` (by staff of their jurisdiction, or by the person on the
    public page: `actor` = SELF_SERVICE), judged at once by the rules in force."""
    if actor != SELF_SERVICE:
        require(actor, Cap.ASSISTANCE_APPLY)
        if not scoped(Resident.objects.filter(pk=person.pk), actor).exists():
            raise field_error("id_number", _("No person with this ID number in your jurisdiction"))
    if programme not in Programme.values:
        raise field_error("programme", _("Choose the programme"))
    income = _amount("monthly_income", monthly_income)
    assets_ = _amount("assets", assets)
    if not 0 <= int(months_without_income) <= 120:
        raise field_error("months_without_income", _("Give the number of months (0 to 120)"))
    policy = current()
    now = timezone.now()
    applied = applied_at or now
    check_happened(
        "applied_at", applied, tolerance=policy.rules.records.tolerance, born=person.birth_date
    )
    members = household_of(person)
    ids = [m.pk for m in members]
    if Application.objects.filter(
        programme=programme, status__in=OPEN, applicant_id__in=ids
    ).exists():
        raise field_error(
            "programme", _("This household already has an application of this programme open")
        )
    judged = rules.assess(
        rules.Claim(
            programme=programme,
            members=len(members),
            monthly_income=income,
            assets=assets_,
            residency=person.residency,
            seriously_ill_or_disabled=bool(seriously_ill_or_disabled),
            months_without_income=int(months_without_income),
            unemployment_insurance=bool(unemployment_insurance),
        ),
        policy.rules.assistance,
    )
    application = Application.objects.create(
        number=uuid.uuid4().hex[:24],
        programme=programme,
        coverage=Coverage.HOUSEHOLD if judged.coverage == "household" else Coverage.SINGLE,
        procedure=Procedure.EMERGENCY if judged.emergency else Procedure.STANDARD,
        channel=ApplicationChannel.RESIDENT if actor == SELF_SERVICE else ApplicationChannel.STAFF,
        applicant=person,
        household_id=person.household_id,
        division_key=person.division_key,
        monthly_income=income,
        assets=assets_,
        seriously_ill_or_disabled=bool(seriously_ill_or_disabled),
        months_without_income=int(months_without_income),
        unemployment_insurance=bool(unemployment_insurance),
        circumstances=(circumstances or "").strip()[:1000],
        contact_phone=clean_phone(contact_phone) if contact_phone else "",
        members_counted=len(members),
        covered=judged.covered,
        income_per_person=judged.income_per_person,
        eligible=judged.eligible,
        findings=list(judged.findings),
        monthly_amount=judged.monthly_amount,
        one_off_amount=judged.one_off_amount,
        documents_required=list(judged.documents),
        due_at=rules.decide_by(applied, judged.decide_within_days, timezone.get_current_timezone()),
        profile_code=policy.profile.code,
        profile_version=policy.profile.version,
        applied_at=applied,
        created_at=now,
        created_by=acting_user(actor),
    )
    application.number = f"JZ{timezone.localdate(now):%Y%m%d}{application.pk:06d}"
    application.save(update_fields=["number"])
    covered_alone = judged.coverage == "single"
    Member.objects.bulk_create(
        Member(
            application=application,
            person_id=m.pk,
            relation=m.relation,
            covered=not covered_alone or m.pk == person.pk,
        )
        for m in members
    )
    event_record(
        actor=actor,
        action="assistance.filed",
        obj=application,
        person_id=person.pk,
        field="status",
        from_value="",
        to_value=application.status,
        data={
            "profile": f"{policy.profile.code} v{policy.profile.version}",
            "programme": programme,
            "procedure": application.procedure,
            "eligible": judged.eligible,
            "findings": list(judged.findings),
        },
        at=applied,
    )
    return application


def _open_for(actor: Any, application: Application) -> Application:
    locked = Application.objects.select_for_update().get(pk=application.pk)
    if (
        actor != SELF_SERVICE
        and not scoped(Application.objects.filter(pk=locked.pk), actor).exists()
    ):
        raise field_error("application", _("This application is outside your jurisdiction"))
    if locked.status not in OPEN:
        raise field_error("status", _("This application is already decided"))
    return locked


def _content_type(head: bytes) -> str:
    for signature, content_type in SIGNATURES.items():
        if head.startswith(signature):
            return content_type
    raise field_error("file", _("Upload a PDF, JPEG or PNG file"))


@transaction.atomic
def document_add(*, actor: Any, application: Application, kind: str, upload: Any) -> Document:
    """A document of an undecided application (staff of its jurisdiction, or the applicant)."""
    if actor != SELF_SERVICE:
        require(actor, Cap.ASSISTANCE_APPLY)
    application = _open_for(actor, application)
    if kind not in DocumentKind.values:
        raise field_error("kind", _("Choose which document this is"))
    limit = settings.IMPORT_MAX_UPLOAD_MB * 1024 * 1024
    if upload is None or not upload.size:
        raise field_error("file", _("Choose a file"))
    if upload.size > limit:
        raise field_error(
            "file",
            _("The file is larger than %(limit)s MB") % {"limit": settings.IMPORT_MAX_UPLOAD_MB},
        )
    content = b"".join(upload.chunks())
    document = Document.objects.create(
        application=application,
        kind=kind,
        name=str(getattr(upload, "name", "") or kind)[-200:],
        content_type=_content_type(content[:8]),
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        uploaded_by=acting_user(actor),
    )
    event_record(
        actor=actor,
        action="assistance.document_added",
        obj=application,
        person_id=application.applicant_id,
        field="documents",
        to_value=kind,
    )
    return document


def _require_decider(actor: Any) -> None:
    require(actor, Cap.ASSISTANCE_DECIDE)
    if not may_decide(actor):
        raise field_error("status", _("Applications are decided by the district under this policy"))


@transaction.atomic
def application_review(
    *, actor: Any, application: Application, note: str, reviewed_at: dt.datetime | None = None
) -> Application:
    """The street's review (household visit, check of income and property): what was found."""
    _require_decider(actor)
    application = _open_for(actor, application)
    if application.status != ApplicationStatus.SUBMITTED:
        raise field_error("status", _("This application was already reviewed"))
    note = (note or "").strip()
    if not note:
        raise field_error("note", _("Say what the review found"))
    now = timezone.now()
    at = reviewed_at or now
    check_happened(
        "reviewed_at",
        at,
        tolerance=current().rules.records.tolerance,
        after=((application.applied_at, _("The review cannot be before the application")),),
    )
    application.status = ApplicationStatus.REVIEWED
    application.review_note, application.reviewed_at = note[:1000], at
    application.save(update_fields=["status", "review_note", "reviewed_at"])
    event_record(
        actor=actor,
        action="assistance.reviewed",
        obj=application,
        person_id=application.applicant_id,
        field="status",
        from_value=ApplicationStatus.SUBMITTED,
        to_value=ApplicationStatus.REVIEWED,
        reason=note[:300],
        at=at,
    )
    return application


@transaction.atomic
def application_decide(
    *,
    actor: Any,
    application: Application,
    approve: bool,
    reason: str,
    basis: str = "",
    decided_at: dt.datetime | None = None,
) -> Application:
    """Approve or refuse, with the reason (and the basis: the rule, the document). A standard
    application is reviewed first; under the emergency procedure it may be decided at once.
    Approval needs the rules met and every required document uploaded."""
    _require_decider(actor)
    application = _open_for(actor, application)
    reason = need_reason(reason)
    if (
        application.procedure == Procedure.STANDARD
        and application.status != ApplicationStatus.REVIEWED
    ):
        raise field_error("status", _("Review the application before deciding it"))
    if approve:
        if not application.eligible:
            raise field_error("decision", _("The application does not meet the rules"))
        missing = missing_documents(application)
        if missing:
            names = "、".join(str(DocumentKind(k).label) for k in missing)
            raise field_error("decision", _("Documents missing: %(names)s") % {"names": names})
    now = timezone.now()
    at = decided_at or now
    check_happened(
        "decided_at",
        at,
        tolerance=current().rules.records.tolerance,
        after=((application.applied_at, _("The decision cannot be before the application")),),
    )
    old = application.status
    application.status = ApplicationStatus.APPROVED if approve else ApplicationStatus.REFUSED
    application.decided_at, application.decided_by = at, acting_user(actor)
    application.decision_reason, application.decision_basis = reason[:1000], basis.strip()[:300]
    application.save(
        update_fields=["status", "decided_at", "decided_by", "decision_reason", "decision_basis"]
    )
    event_record(
        actor=actor,
        action=f"assistance.{application.status}",
        obj=application,
        person_id=application.applicant_id,
        field="status",
        from_value=old,
        to_value=application.status,
        reason=reason[:300],
        basis=application.decision_basis,
        at=at,
    )
    return application


@transaction.atomic
def application_withdraw(*, actor: Any, application: Application, reason: str) -> Application:
    """The applicant (or staff for them) withdraws an undecided application."""
    if actor != SELF_SERVICE:
        require(actor, Cap.ASSISTANCE_APPLY)
    application = _open_for(actor, application)
    reason = need_reason(reason)
    old = application.status
    application.status = ApplicationStatus.WITHDRAWN
    application.save(update_fields=["status"])
    event_record(
        actor=actor,
        action="assistance.withdrawn",
        obj=application,
        person_id=application.applicant_id,
        field="status",
        from_value=old,
        to_value=application.status,
        reason=reason[:300],
    )
    return application


@transaction.atomic
def payment_record(
    *,
    actor: Any,
    application: Application,
    amount: Any,
    paid_on: dt.date,
    period: str = "",
    reference: str = "",
) -> Payment:
    """A payment on an approved application: a one-off amount once (temporary assistance), or a
    month's amount once a month (低保, 特困), never more than approved."""
    _require_decider(actor)
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not scoped(Application.objects.filter(pk=application.pk), actor).exists():
        raise field_error("application", _("This application is outside your jurisdiction"))
    if application.status != ApplicationStatus.APPROVED:
        raise field_error("application", _("Only an approved application is paid"))
    money = _amount("amount", amount)
    check_date("paid_on", paid_on)
    if application.decided_at and paid_on < timezone.localdate(application.decided_at):
        raise field_error("paid_on", _("A payment cannot be before the decision"))
    paid = application.payments.all()
    period = (period or "").strip()
    if application.programme == Programme.TEMPORARY:
        if paid.exists():
            raise field_error("application", _("The one-off payment was already made"))
        limit, period = application.one_off_amount, ""
    else:
        if not MONTH.fullmatch(period):
            raise field_error("period", _("Give the month paid for as YYYY-MM"))
        if paid.filter(period=period).exists():
            raise field_error("period", _("This month was already paid"))
        limit = application.monthly_amount
    if money <= 0 or money > limit:
        raise field_error(
            "amount", _("Pay more than 0 and at most %(limit)s yuan") % {"limit": limit}
        )
    payment = Payment.objects.create(
        application=application,
        division_key=application.division_key,
        amount=money,
        paid_on=paid_on,
        period=period,
        reference=(reference or "").strip()[:60],
        recorded_by=acting_user(actor),
    )
    event_record(
        actor=actor,
        action="assistance.paid",
        obj=application,
        person_id=application.applicant_id,
        field="amount",
        to_value=str(money),
        data={"payment": payment.pk, "period": period, "reference": payment.reference},
        # paid that day: now if today, else the day's end (never ahead of the clock)
        at=min(timezone.now(), timezone.make_aware(dt.datetime.combine(paid_on, dt.time.max))),
    )
    return payment
