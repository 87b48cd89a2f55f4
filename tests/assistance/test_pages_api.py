"""Applications through the pages (staff on a phone-sized form, the resident's own phone page)
and the API: the household shown from the registry, filed, decided, paid; scoped (an outsider
gets 404 and no data; a resident only their own)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fangkong.assistance.applications import services
from fangkong.assistance.models import Application, Payment
from fangkong.places.models import Level
from tests import factories as f
from tests.assistance.conftest import PDF, pdf

pytestmark = pytest.mark.usefixtures("english")


def test_a_grid_worker_files_on_the_page_with_the_household_from_the_registry(
    login, personas, family
):
    client = login(personas["grid"])
    url = reverse("assistance:application_new")
    step = client.get(url, {"id_number": family["head"].id_number, "programme": "dibao"})
    page = step.content.decode()
    assert step.status_code == 200
    assert "刘桂兰" in page and "张小明" in page and "Spouse" in page  # not asked again
    assert 'name="doc_income_proof"' in page
    response = client.post(
        url,
        {
            "id_number": family["head"].id_number,
            "programme": "dibao",
            "monthly_income": "900",
            "assets": "10000",
            "months_without_income": "0",
            "doc_authorisation": pdf(),
            "doc_income_proof": pdf(),
        },
    )
    application = Application.objects.get()
    assert response.status_code == 302
    assert application.documents.count() == 2
    detail = client.get(reverse("assistance:application", args=[application.pk])).content
    text = detail.decode()
    assert "Whole household" in text and "1050.00 yuan a month" in text
    assert "Statement of savings and property" in text  # still missing
    assert 'id="decide"' not in text  # a grid worker files; the street decides


def test_a_bad_document_leaves_nothing_filed(login, personas, worker):
    client = login(personas["grid"])
    response = client.post(
        reverse("assistance:application_new"),
        {
            "id_number": worker.id_number,
            "programme": "temporary",
            "monthly_income": "0",
            "assets": "0",
            "months_without_income": "3",
            "doc_no_income_statement": SimpleUploadedFile("x.exe", b"MZ\x90\x00"),
        },
    )
    assert response.status_code == 200
    assert "PDF, JPEG or PNG" in response.content.decode()
    assert not Application.objects.exists()


def test_the_street_reviews_decides_and_pays_on_the_page(login, personas, family):
    application = services.application_file(
        actor=personas["grid"],
        person=family["head"],
        programme="dibao",
        monthly_income="900",
        assets="0",
    )
    for kind in application.documents_required:
        services.document_add(
            actor=personas["grid"], application=application, kind=kind, upload=pdf()
        )
    client = login(personas["street"])
    detail = reverse("assistance:application", args=[application.pk])
    client.post(reverse("assistance:application_review", args=[application.pk]), {"note": "属实"})
    client.post(
        reverse("assistance:application_decide", args=[application.pk]),
        {"decision": "approve", "reason": "符合低保条件", "basis": "审核确认办法第十条"},
    )
    month = timezone.localdate().strftime("%Y-%m")
    client.post(
        reverse("assistance:application_pay", args=[application.pk]),
        {"amount": "1050", "paid_on": timezone.localdate().isoformat(), "period": month},
    )
    application.refresh_from_db()
    assert application.status == "approved" and Payment.objects.count() == 1
    text = client.get(detail).content.decode()
    assert "Assistance application approved" in text and "符合低保条件" in text
    assert "审核确认办法第十条" in text and month in text
    document = application.documents.first()
    download = client.get(reverse("assistance:document", args=[application.pk, document.pk]))
    assert download.status_code == 200 and download.content == PDF


def test_the_list_flags_applications_past_the_deadline(login, personas, worker, emergency):
    services.application_file(
        actor=personas["grid"],
        person=worker,
        programme="temporary",
        monthly_income="0",
        assets="0",
        months_without_income=3,
        applied_at=timezone.now() - timezone.timedelta(days=1),
    )
    client = login(personas["street"])
    page = client.get(reverse("assistance:applications"), {"status": "overdue"}).content.decode()
    assert "1 undecided past the deadline" in page and "王建军" in page
    assert "Emergency simplified procedure in force" in page


def test_an_outsider_gets_nothing(login, personas, family):
    application = services.application_file(
        actor=personas["grid"],
        person=family["head"],
        programme="dibao",
        monthly_income="900",
        assets="0",
    )
    services.document_add(
        actor=personas["grid"], application=application, kind="income_proof", upload=pdf()
    )
    client = login(personas["outsider"])
    listed = client.get(reverse("assistance:applications"), {"status": "all"}).content.decode()
    assert "张建国" not in listed and application.number not in listed
    assert client.get(reverse("assistance:application", args=[application.pk])).status_code == 404
    document = application.documents.get()
    url = reverse("assistance:document", args=[application.pk, document.pk])
    assert client.get(url).status_code == 404
    client.post(reverse("assistance:application_withdraw", args=[application.pk]), {"reason": "x"})
    application.refresh_from_db()
    assert application.status == "submitted"
    assert login(personas["lab"]).get(reverse("assistance:applications")).status_code == 403


def test_the_resident_applies_on_the_phone_page_and_sees_only_their_own(family, worker):
    services.application_file(
        actor=services.SELF_SERVICE,
        person=worker,
        programme="temporary",
        monthly_income="0",
        assets="0",
        months_without_income=3,
    )
    phone = Client()
    url = reverse("assistance_public:my_assistance")
    assert "ID number" in phone.get(url).content.decode()
    phone.post(url, {"id_number": family["head"].id_number, "phone": family["head"].phone})
    page = phone.get(url).content.decode()
    assert "刘桂兰" in page and "王建军" not in page
    response = phone.post(
        url,
        {
            "programme": "dibao",
            "monthly_income": "600",
            "assets": "0",
            "months_without_income": "0",
            "doc_authorisation": pdf(),
        },
    )
    assert response.status_code == 302
    mine = Application.objects.get(applicant=family["head"])
    assert mine.channel == "resident" and mine.documents.count() == 1
    page = phone.get(url).content.decode()
    assert mine.number in page and "Still missing" in page
    other = Application.objects.get(applicant=worker)
    phone.post(
        reverse("assistance_public:my_document", args=[other.pk]),
        {"kind": "work_record", "file": pdf()},
    )
    assert other.documents.count() == 0


def test_the_api_files_decides_and_pays_under_the_emergency_procedure(as_, worker, emergency):
    grid, street = as_("grid"), as_("street")
    created = grid.post(
        "/api/assistance/applications",
        {
            "id_number": worker.id_number,
            "programme": "temporary",
            "monthly_income": "0",
            "assets": "500",
            "months_without_income": 4,
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["procedure"] == "emergency" and body["eligible"]
    assert body["documents_missing"] == ["no_income_statement", "residence_permit"]
    pk = body["id"]
    for kind in body["documents_missing"]:
        uploaded = grid.post(
            f"/api/assistance/applications/{pk}/documents", {"kind": kind, "file": pdf()}
        )
        assert uploaded.status_code == 201, uploaded.content
    refused_for_grid = grid.post(
        f"/api/assistance/applications/{pk}/decision",
        {"decision": "approve", "reason": "符合"},
        content_type="application/json",
    )
    assert refused_for_grid.status_code == 403
    decided = street.post(
        f"/api/assistance/applications/{pk}/decision",
        {"decision": "approve", "reason": "符合一次性临时救助条件", "basis": "许昌市第23场发布会"},
        content_type="application/json",
    )
    assert decided.status_code == 200 and decided.json()["status"] == "approved"
    paid = street.post(
        f"/api/assistance/applications/{pk}/payments",
        {"amount": "1000", "paid_on": timezone.localdate().isoformat()},
        content_type="application/json",
    )
    assert paid.status_code == 201
    assert [p["amount"] for p in street.get(f"/api/assistance/applications/{pk}/payments").json()]
    assert street.get("/api/assistance/overdue").json() == {"overdue": 0}


def test_the_api_names_the_field_and_scopes(as_, stranger, family):
    bad = as_("grid").post(
        "/api/assistance/applications",
        {
            "id_number": stranger.id_number,
            "programme": "dibao",
            "monthly_income": "1",
            "assets": "0",
        },
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "id_number"]
    assert not Application.objects.exists()
    ours = (
        as_("grid")
        .post(
            "/api/assistance/applications",
            {
                "id_number": family["head"].id_number,
                "programme": "dibao",
                "monthly_income": "1",
                "assets": "0",
            },
            content_type="application/json",
        )
        .json()
    )
    outsider = as_("outsider")
    assert outsider.get("/api/assistance/applications").json()["items"] == []
    assert outsider.get(f"/api/assistance/applications/{ours['id']}").status_code == 404
    assert as_("lab").get("/api/assistance/applications").status_code == 403


def test_the_resident_api_reaches_only_their_own(family, worker):
    anonymous = Client()
    assert anonymous.get("/api/my-assistance").status_code == 403
    phone = Client()
    wrong = phone.post(
        "/api/my-assistance/identify",
        {"id_number": family["head"].id_number, "phone": "13000000000"},
        content_type="application/json",
    )
    assert wrong.status_code == 422
    ok = phone.post(
        "/api/my-assistance/identify",
        {"id_number": family["head"].id_number, "phone": family["head"].phone},
        content_type="application/json",
    )
    assert ok.status_code == 204
    applied = phone.post(
        "/api/my-assistance",
        {"programme": "dibao", "monthly_income": "600", "assets": "0"},
        content_type="application/json",
    )
    assert applied.status_code == 201 and applied.json()["channel"] == "resident"
    services.application_file(
        actor=services.SELF_SERVICE,
        person=worker,
        programme="temporary",
        monthly_income="0",
        assets="0",
        months_without_income=3,
    )
    assert [a["applicant_id"] for a in phone.get("/api/my-assistance").json()] == [
        family["head"].pk
    ]
    own = applied.json()["id"]
    uploaded = phone.post(
        f"/api/my-assistance/{own}/documents", {"kind": "authorisation", "file": pdf()}
    )
    assert uploaded.status_code == 201
    assert "authorisation" not in uploaded.json()["documents_missing"]
    other = Application.objects.get(applicant=worker).pk
    refused = phone.post(
        f"/api/my-assistance/{other}/documents", {"kind": "work_record", "file": pdf()}
    )
    assert refused.status_code == 404
    assert Application.objects.get(pk=other).documents.count() == 0


def _count(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx.captured_queries)


def _file_many(personas, city, n):
    for i in range(n):
        person = f.resident(city.w[Level.UNIT], f"申请人{i}")
        application = services.application_file(
            actor=personas["grid"],
            person=person,
            programme="temporary",
            monthly_income="0",
            assets="0",
            months_without_income=3,
        )
        services.document_add(
            actor=personas["grid"], application=application, kind="work_record", upload=pdf()
        )


def test_list_query_counts_are_pinned_and_flat(login, as_, personas, city):
    _file_many(personas, city, 1)
    page, api = login(personas["street"]), as_("street")
    url = reverse("assistance:applications")
    api.get("/api/me")  # the token's first use is recorded once
    small = (_count(page, url, {"status": "all"}), _count(api, "/api/assistance/applications"))
    _file_many(personas, city, 6)
    large = (_count(page, url, {"status": "all"}), _count(api, "/api/assistance/applications"))
    # page: session, user, jurisdiction, the rows, the overdue count, the profile in force;
    # API: the token with its user, the rows, their members, their documents
    assert small == large == (6, 4)


def test_the_command_dashboard_counts_undecided_and_overdue_applications(
    login, personas, worker, family, emergency
):
    services.application_file(
        actor=personas["grid"],
        person=worker,
        programme="temporary",
        monthly_income="0",
        assets="0",
        months_without_income=3,
        applied_at=timezone.now() - timezone.timedelta(days=1),
    )
    services.application_file(
        actor=personas["grid"],
        person=family["head"],
        programme="dibao",
        monthly_income="900",
        assets="0",
        # the dashboard's moment is a whole second: an application of this very second is not
        # yet counted
        applied_at=timezone.now() - timezone.timedelta(minutes=1),
    )
    page = login(personas["command"]).get(reverse("command:dashboard")).content.decode()
    assert 'data-figure="assistance_undecided">2<' in page
    assert 'data-figure="assistance_overdue">1<' in page
    outside = login(personas["outsider"]).get(reverse("command:dashboard")).content.decode()
    assert 'data-figure="assistance_undecided">0<' in outside
