"""Applications through the services: filed with the household from the registry, judged by the
rules in force, reviewed and decided at the street with the reason and basis, paid; every step
an audit event with both times; the emergency procedure; deadlines flagged; scope."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.utils import timezone

from fangkong.assistance.applications import selectors, services
from fangkong.assistance.models import Application, Document, Member, Payment
from fangkong.audit.labels import SELF_SERVICE
from fangkong.audit.models import Event
from fangkong.places.models import Level
from fangkong.policy.models import PolicyProfile
from tests import factories as f
from tests.assistance.conftest import PNG, pdf

pytestmark = pytest.mark.usefixtures("english")


def file_dibao(actor, person, **kw):
    fields = {"programme": "dibao", "monthly_income": "900", "assets": "10000"}
    return services.application_file(actor=actor, person=person, **(fields | kw))


def file_temporary(actor, person, **kw):
    fields = {
        "programme": "temporary",
        "monthly_income": "0",
        "assets": "2000",
        "months_without_income": 3,
    }
    return services.application_file(actor=actor, person=person, **(fields | kw))


def test_the_household_comes_from_the_registry_and_is_covered_whole(personas, family):
    application = file_dibao(personas["grid"], family["head"])
    assert application.number.startswith("JZ") and application.channel == "staff"
    members = Member.objects.filter(application=application)
    assert {m.person_id for m in members} == {p.pk for k, p in family.items() if k != "home"}
    assert all(m.covered for m in members)
    assert application.coverage == "household" and application.covered == 3
    assert application.monthly_amount == Decimal("1050.00")
    assert application.procedure == "standard"
    assert application.profile_code == "20-measures"
    assert application.documents_required == ["authorisation", "income_proof", "property_statement"]
    # standard: 30 days, to the end of the local day
    due = timezone.localtime(application.due_at)
    assert due.date() == timezone.localdate(application.applied_at) + dt.timedelta(days=30)


def test_a_seriously_ill_member_is_covered_alone(personas, family):
    application = file_dibao(
        personas["grid"], family["wife"], monthly_income="2700", seriously_ill_or_disabled=True
    )
    assert application.coverage == "single" and application.eligible
    covered = Member.objects.filter(application=application, covered=True)
    assert [m.person_id for m in covered] == [family["wife"].pk]
    assert "medical_record" in application.documents_required


def test_one_open_application_of_a_programme_per_household(personas, family):
    file_dibao(personas["grid"], family["head"])
    with pytest.raises(ValidationError) as refused:
        file_dibao(personas["street"], family["wife"])
    assert "programme" in refused.value.message_dict
    assert Application.objects.count() == 1


def test_standard_review_then_decision_with_reason_and_basis_then_monthly_payments(
    personas, family
):
    street = personas["street"]
    application = file_dibao(personas["grid"], family["head"])
    with pytest.raises(ValidationError, match="Review the application"):
        services.application_decide(
            actor=street, application=application, approve=True, reason="符合"
        )
    for kind in application.documents_required:
        services.document_add(actor=street, application=application, kind=kind, upload=pdf())
    services.application_review(actor=street, application=application, note="入户核查属实")
    with pytest.raises(ValidationError) as no_reason:
        services.application_decide(actor=street, application=application, approve=True, reason="")
    assert "reason" in no_reason.value.message_dict
    decided = services.application_decide(
        actor=street,
        application=application,
        approve=True,
        reason="家庭人均收入低于低保标准",
        basis="《许昌市最低生活保障审核确认办法》",
    )
    assert decided.status == "approved" and decided.decided_by == street
    event = Event.objects.get(action="assistance.approved", object_id=str(application.pk))
    assert event.actor == street and event.reason == "家庭人均收入低于低保标准"
    assert event.basis == "《许昌市最低生活保障审核确认办法》"
    assert (event.from_value, event.to_value) == ("reviewed", "approved")
    assert event.recorded_at >= event.at
    today = timezone.localdate()
    month = today.strftime("%Y-%m")
    services.payment_record(
        actor=street, application=decided, amount="1050", paid_on=today, period=month
    )
    with pytest.raises(ValidationError) as twice:
        services.payment_record(
            actor=street, application=decided, amount="1050", paid_on=today, period=month
        )
    assert "period" in twice.value.message_dict
    with pytest.raises(ValidationError) as too_much:
        services.payment_record(
            actor=street, application=decided, amount="2000", paid_on=today, period="2099-01"
        )
    assert "amount" in too_much.value.message_dict
    assert Payment.objects.get().amount == Decimal("1050.00")
    actions = list(selectors.application_history(decided).values_list("action", flat=True))
    assert actions == [
        "assistance.filed",
        "assistance.document_added",
        "assistance.document_added",
        "assistance.document_added",
        "assistance.reviewed",
        "assistance.approved",
        "assistance.paid",
    ]


def test_approval_needs_the_rules_met_and_the_documents(personas, family):
    street = personas["street"]
    rich = file_dibao(personas["grid"], family["head"], monthly_income="9000")
    services.application_review(actor=street, application=rich, note="核查")
    with pytest.raises(ValidationError, match="does not meet the rules"):
        services.application_decide(actor=street, application=rich, approve=True, reason="x")
    refused = services.application_decide(
        actor=street, application=rich, approve=False, reason="家庭人均收入高于低保标准"
    )
    assert refused.status == "refused"
    worker = f.resident(family["head"].division, "孙立")
    short = file_temporary(personas["grid"], worker)
    services.application_review(actor=street, application=short, note="核查")
    with pytest.raises(ValidationError, match="Documents missing"):
        services.application_decide(actor=street, application=short, approve=True, reason="x")


def test_emergency_procedure_temporary_assistance_is_decided_and_paid_the_same_day(
    emergency, personas, worker
):
    grid, street = personas["grid"], personas["street"]
    application = file_temporary(grid, worker)
    assert application.procedure == "emergency" and application.eligible
    assert application.documents_required == ["no_income_statement", "residence_permit"]
    assert timezone.localtime(application.due_at).date() == timezone.localdate()
    for kind in application.documents_required:
        services.document_add(actor=grid, application=application, kind=kind, upload=pdf())
    # no review needed under the emergency procedure
    decided = services.application_decide(
        actor=street,
        application=application,
        approve=True,
        reason="连续3个月无收入，未参保失业保险",
    )
    assert decided.status == "approved"
    paid = services.payment_record(
        actor=street, application=decided, amount="1000", paid_on=timezone.localdate()
    )
    assert paid.amount == Decimal("1000.00") and paid.period == ""
    with pytest.raises(ValidationError, match="already made"):
        services.payment_record(
            actor=street, application=decided, amount="1", paid_on=timezone.localdate()
        )


def test_only_a_pdf_jpeg_or_png_is_kept(personas, worker):
    application = file_temporary(personas["grid"], worker)
    with pytest.raises(ValidationError) as refused:
        services.document_add(
            actor=personas["grid"],
            application=application,
            kind="work_record",
            upload=SimpleUploadedFile("x.html", b"<script>alert(1)</script>"),
        )
    assert "file" in refused.value.message_dict
    services.document_add(
        actor=personas["grid"],
        application=application,
        kind="work_record",
        upload=SimpleUploadedFile("p.png", PNG),
    )
    assert Document.objects.get().content_type == "image/png"


def test_the_resident_applies_for_themselves(family):
    application = file_dibao(SELF_SERVICE, family["head"])
    assert application.channel == "resident" and application.created_by is None
    event = Event.objects.get(action="assistance.filed")
    assert event.actor_name == "self-service"


def test_a_future_application_time_is_refused(personas, family):
    with pytest.raises(ValidationError) as refused:
        file_dibao(
            personas["grid"], family["head"], applied_at=timezone.now() + dt.timedelta(days=1)
        )
    assert "applied_at" in refused.value.message_dict
    assert not Application.objects.exists()


def test_the_application_time_is_kept_apart_from_the_recording_time(personas, family):
    yesterday = timezone.now() - dt.timedelta(days=1)
    application = file_dibao(personas["grid"], family["head"], applied_at=yesterday)
    assert application.applied_at == yesterday and application.created_at > yesterday
    assert Event.objects.get(action="assistance.filed").at == yesterday


def test_undecided_applications_past_the_deadline_are_flagged(emergency, personas, worker, family):
    late = file_temporary(
        personas["grid"], worker, applied_at=timezone.now() - dt.timedelta(days=2)
    )
    file_dibao(personas["grid"], family["head"])
    street = personas["street"]
    assert list(selectors.overdue(selectors.applications_for_user(street))) == [late]
    assert selectors.overdue_count(street) == 1
    assert selectors.overdue_count(personas["outsider"]) == 0


def test_an_outsider_sees_nothing_and_cannot_act(personas, family, stranger):
    application = file_dibao(personas["grid"], family["head"])
    outsider = personas["outsider"]
    assert not selectors.applications_for_user(outsider).exists()
    with pytest.raises(Http404):
        selectors.application_for_user(outsider, application.pk)
    with pytest.raises(ValidationError, match="outside your jurisdiction"):
        services.application_review(actor=outsider, application=application, note="x")
    with pytest.raises(ValidationError) as foreign:
        file_dibao(personas["grid"], stranger)
    assert "id_number" in foreign.value.message_dict
    with pytest.raises(PermissionDenied):
        selectors.applications_for_user(personas["lab"])
    with pytest.raises(PermissionDenied):
        services.application_review(actor=personas["grid"], application=application, note="x")
    assert Event.objects.filter(action="assistance.reviewed").count() == 0


def test_when_the_district_keeps_the_decision_a_street_level_account_cannot_decide(
    personas, city, family
):
    profile = PolicyProfile.objects.get(is_active=True)
    rules = dict(profile.rules)
    rules["assistance"] = {"street_confirms": False}
    PolicyProfile.objects.filter(pk=profile.pk).update(rules=rules)
    at_street = f.user("street_level", "street", city.w[Level.STREET])
    application = file_dibao(personas["grid"], family["head"])
    assert not services.may_decide(at_street) and services.may_decide(personas["street"])
    with pytest.raises(ValidationError, match="decided by the district"):
        services.application_review(actor=at_street, application=application, note="x")
