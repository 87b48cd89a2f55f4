"""Open tubes are rows, not a phone's session: a pool fills and seals itself, a sealer or the
courier seals it, a sealed tube still at its site is reopened with a reason, and only the
samplers of its site and jurisdiction see or continue it (services, pages, API)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from fangkong.audit.models import Event
from fangkong.lab.models import Outcome, Tube, TubeFill, TubeMember
from fangkong.lab.rounds import selectors, services
from tests import factories as f
from tests.api.conftest import bearer_client
from tests.lab.conftest import give_result, make_tube
from tests.lab.test_sampling import add, open_tube, refusal

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def five(city):
    """Five more residents of the 魏都 unit."""
    unit = city.w[f.Level.UNIT]
    return [f.resident(unit, name) for name in ["周一", "吴二", "郑三", "冯四", "陈五"]]


def events(action, tube):
    return list(Event.objects.filter(action=action, object_id=str(tube.pk)).order_by("id"))


# Services --------------------------------------------------------------------------------


def test_a_new_tube_is_open_and_the_person_who_fills_it_seals_it(personas, five, a_round, a_site):
    a_round.pool_size = 5
    a_round.save()
    grid = personas["grid"]
    tube = open_tube(grid, "P5", round=a_round, site=a_site, capacity=5)
    assert (tube.fill, tube.sealed_at) == (TubeFill.OPEN, None)
    for person in five[:4]:
        add(grid, tube, person)
    tube.refresh_from_db()
    assert tube.fill == TubeFill.OPEN
    add(grid, tube, five[4])
    tube.refresh_from_db()
    assert tube.fill == TubeFill.SEALED and tube.sealed_at is not None
    [sealed] = events("tube.sealed", tube)
    assert (sealed.field, sealed.from_value, sealed.to_value) == ("fill", "open", "sealed")
    assert sealed.reason == "The tube is full" and sealed.data["count"] == 5
    assert sealed.actor == grid
    assert not selectors.open_tubes_for_user(grid).exists()


def test_a_sealed_tube_takes_no_one_until_reopened_with_a_reason(personas, people, a_round, a_site):
    street = personas["street"]
    tube = open_tube(street, "P10", round=a_round, site=a_site, capacity=10)
    add(street, tube, people["zhang"])
    add(street, tube, people["li"])
    services.tube_seal(actor=street, tube=tube)
    [sealed] = events("tube.sealed", tube)
    assert sealed.reason == "Sealed by hand at 2/10"
    with pytest.raises(ValidationError) as exc:
        add(street, tube, people["wang"])
    assert list(exc.value.message_dict) == ["barcode"]
    assert "Tube P10 is sealed (2/10): reopen it to add people" in refusal(exc)
    with pytest.raises(ValidationError) as exc:
        services.tube_seal(actor=street, tube=tube)
    assert "already sealed" in refusal(exc)
    with pytest.raises(ValidationError) as exc:
        services.tube_reopen(actor=street, tube=tube, reason="  ")
    assert list(exc.value.message_dict) == ["reason"]
    services.tube_reopen(actor=street, tube=tube, reason="3号楼的人下楼晚了")
    tube.refresh_from_db()
    assert (tube.fill, tube.sealed_at) == (TubeFill.OPEN, None)
    [reopened] = events("tube.reopened", tube)
    assert (reopened.from_value, reopened.to_value) == ("sealed", "open")
    assert reopened.reason == "3号楼的人下楼晚了" and reopened.data == {"count": 2, "capacity": 10}
    add(street, tube, people["wang"])
    assert tube.members.count() == 3
    with pytest.raises(ValidationError) as exc:
        services.tube_reopen(actor=street, tube=tube, reason="again")
    assert "already open" in refusal(exc)


def test_a_full_tube_is_not_reopened(personas, people, a_site):
    single = open_tube(personas["street"], "S1", site=a_site, capacity=1)
    add(personas["street"], single, people["zhang"])
    with pytest.raises(ValidationError) as exc:
        services.tube_reopen(actor=personas["street"], tube=single, reason="one more")
    assert "Tube S1 is full (1/1)" in refusal(exc)


def test_a_tube_sent_to_the_lab_or_resulted_stays_sealed(personas, people, a_round, a_site, a_lab):
    street = personas["street"]
    sent = open_tube(street, "SENT1", round=a_round, site=a_site, capacity=10)
    add(street, sent, people["zhang"])
    services.tubes_send(actor=street, tubes=[sent], lab=a_lab)
    sent.refresh_from_db()
    assert sent.fill == TubeFill.SEALED and sent.sealed_at is not None
    [sealed] = events("tube.sealed", sent)
    assert sealed.reason == "Sent to the lab"
    with pytest.raises(ValidationError) as exc:
        services.tube_reopen(actor=street, tube=sent, reason="forgot one")
    assert list(exc.value.message_dict) == ["barcode"]
    assert "Tube SENT1 has left the site (Sent to lab) and stays sealed" in refusal(exc)
    resulted = make_tube("RES1", [people["li"]], round=a_round, site=a_site, capacity=10)
    give_result(resulted, Outcome.NEGATIVE, lab=a_lab, tested_at=resulted.collected_at)
    with pytest.raises(ValidationError) as exc:
        services.tube_reopen(actor=street, tube=resulted, reason="forgot one")
    assert list(exc.value.message_dict) == ["barcode"]
    assert "Tube RES1 has a result and stays sealed" in refusal(exc)
    assert not Event.objects.filter(action="tube.reopened").exists()


def test_only_the_site_and_jurisdiction_see_and_continue_an_open_tube(
    personas, people, a_round, a_site
):
    grid, street, outsider = personas["grid"], personas["street"], personas["outsider"]
    tube = open_tube(grid, "P1", round=a_round, site=a_site, capacity=10)
    add(grid, tube, people["zhang"])
    [seen] = selectors.open_tubes_to_continue(grid)
    assert (seen, seen.member_count) == (tube, 1)
    # a colleague of the site finds it once they sample there; not as their own
    assert not selectors.open_tubes_to_continue(street).exists()
    assert list(selectors.open_tubes_to_continue(street, a_site)) == [tube]
    add(street, tube, people["li"])
    # the outsider neither sees nor touches it
    assert not selectors.open_tubes_for_user(outsider).exists()
    assert not selectors.open_tubes_to_continue(outsider, a_site).exists()
    for attempt in (
        lambda: add(outsider, tube, people["other"]),
        lambda: services.tube_seal(actor=outsider, tube=tube),
    ):
        with pytest.raises(ValidationError) as exc:
            attempt()
        assert "No tube with this barcode in your jurisdiction" in refusal(exc)
    services.tube_seal(actor=street, tube=tube)
    with pytest.raises(ValidationError):
        services.tube_reopen(actor=outsider, tube=tube, reason="mine now")
    assert list(TubeMember.objects.filter(tube=tube).values_list("person__name", flat=True)) == [
        "张伟",
        "李秀英",
    ]


# Pages -----------------------------------------------------------------------------------


def post(client, **data):
    return client.post(reverse("lab:sampling"), data, follow=True)


def test_an_open_tube_outlives_the_session_and_shows_on_another_phone(
    client, login, personas, people, a_round, a_site
):
    phone = login(personas["grid"])
    post(phone, action="setup", round=a_round.pk, site=a_site.pk)
    post(phone, action="open", barcode="P001", mode="pooled")
    post(phone, action="add", tube="P001", person=people["zhang"].id_number)
    phone.logout()  # the session is gone (a lost phone, an expired login)

    again = login(personas["grid"])
    page = again.get(reverse("lab:sampling"))
    assert page.context["tube"] is None
    [open_tube_row] = page.context["open_tubes"]
    assert (open_tube_row.barcode, open_tube_row.member_count) == ("P001", 1)
    html = page.content.decode()
    assert 'id="open-tubes"' in html and "?tube=P001" in html
    page = again.get(reverse("lab:sampling"), {"tube": "P001"})
    assert page.context["tube"].barcode == "P001" and page.context["count"] == 1
    done = post(again, action="add", tube="P001", person=people["li"].id_number)
    assert "李秀英 added to P001 (2/10)" in done.content.decode()
    sealed = post(again, action="seal", tube="P001")
    assert "Tube P001 sealed." in sealed.content.decode()
    assert sealed.context["open_tubes"] == [] and sealed.context["tube"] is None
    assert Tube.objects.get(barcode="P001").fill == TubeFill.SEALED


def test_an_outsider_neither_sees_nor_fills_an_open_tube_on_the_page(
    login, personas, people, a_round, a_site
):
    tube = open_tube(personas["grid"], "P001", round=a_round, site=a_site, capacity=10)
    add(personas["grid"], tube, people["zhang"])
    outsider = login(personas["outsider"])
    page = outsider.get(reverse("lab:sampling"), {"tube": "P001"})
    assert page.context["tube"] is None and page.context["open_tubes"] == []
    assert 'data-barcode="P001"' not in page.content.decode()
    for data in (
        {"action": "add", "tube": "P001", "person": people["other"].id_number},
        {"action": "seal", "tube": "P001"},
        {"action": "reopen", "tube": "P001", "reason": "x"},
    ):
        answer = post(outsider, **data)
        assert "Not found, or outside your jurisdiction" in answer.content.decode()
    # a used barcode is not offered to the outsider to continue or reopen
    answer = post(outsider, action="open", barcode="P001", mode="pooled")
    assert "Tube P001 is already used" in answer.content.decode()
    tube.refresh_from_db()
    assert tube.fill == TubeFill.OPEN and tube.members.count() == 1


def test_a_used_barcode_continues_the_open_tube_or_offers_to_reopen_it(
    login, personas, people, a_round, a_site, a_lab
):
    street = personas["street"]
    tube = open_tube(street, "P001", round=a_round, site=a_site, capacity=10)
    add(street, tube, people["zhang"])
    client = login(personas["grid"])
    post(client, action="setup", round=a_round.pk, site=a_site.pk)
    answer = client.post(reverse("lab:sampling"), {"action": "open", "barcode": "P001"})
    assert answer.url == reverse("lab:sampling") + "?tube=P001"
    services.tube_seal(actor=street, tube=tube)
    answer = client.post(
        reverse("lab:sampling"), {"action": "open", "barcode": "P001", "mode": "pooled"}
    )
    assert answer.url == reverse("lab:sampling") + "?reopen=P001"
    page = client.get(answer.url)
    assert page.context["reopen"] == tube and page.context["reopen_count"] == 1
    assert 'id="reopen"' in page.content.decode()
    refused = post(client, action="reopen", tube="P001", reason="")
    assert "Say why the tube is reopened" in refused.content.decode()
    reopened = post(client, action="reopen", tube="P001", reason="楼下又来了两位")
    assert reopened.context["tube"] == tube
    added = post(client, action="add", tube="P001", person=people["li"].id_number)
    assert "李秀英 added to P001 (2/10)" in added.content.decode()
    services.tubes_send(actor=street, tubes=[tube], lab=a_lab)
    gone = post(client, action="open", barcode="P001", mode="pooled")
    assert "Tube P001 has left the site (Sent to lab); open a new tube" in gone.content.decode()
    refused = post(client, action="reopen", tube="P001", reason="one more")
    assert "has left the site (Sent to lab) and stays sealed" in refused.content.decode()


def test_custody_page_links_open_and_sealed_tubes_to_the_sampling_page(
    login, personas, people, a_round, a_site
):
    open_one = open_tube(personas["grid"], "OPEN1", round=a_round, site=a_site, capacity=10)
    add(personas["grid"], open_one, people["zhang"])
    make_tube("SEALED1", [people["li"]], round=a_round, site=a_site, capacity=10)
    html = login(personas["street"]).get(reverse("lab:custody")).content.decode()
    assert 'href="/lab/sampling/?tube=OPEN1" data-fill="open"' in html
    assert 'href="/lab/sampling/?reopen=SEALED1" data-fill="sealed"' in html


# API -------------------------------------------------------------------------------------


def test_api_open_tubes_seal_and_reopen(personas, people, a_round, a_site, a_lab):
    grid = bearer_client(personas["grid"])

    def call(path, body=None):
        return grid.post(path, body or {}, content_type="application/json")

    opened = call(
        "/api/tubes", {"barcode": "A001", "round": a_round.pk, "site": "SITE-W", "mode": "pooled"}
    )
    assert opened.json()["fill"] == "open" and opened.json()["collected_by"] == "p_grid"
    call("/api/tubes/A001/members", {"person": people["zhang"].id_number})
    # logged in anew, on any client: the open tubes are there to continue
    listed = bearer_client(personas["grid"]).get("/api/tubes?fill=open&mine=true").json()
    assert [(t["barcode"], t["count"], t["fill"]) for t in listed["items"]] == [("A001", 1, "open")]
    assert (
        bearer_client(personas["street"]).get("/api/tubes?fill=open&mine=true").json()["items"]
        == []
    )
    site_list = bearer_client(personas["street"]).get("/api/tubes?fill=open&site=SITE-W")
    assert [t["barcode"] for t in site_list.json()["items"]] == ["A001"]
    detail = grid.get("/api/tubes/A001").json()
    assert [m["name"] for m in detail["members"]] == ["张伟"]

    sealed = call("/api/tubes/A001/seal", {"reason": "收工"})
    assert sealed.status_code == 200 and sealed.json()["fill"] == "sealed"
    assert sealed.json()["sealed_at"] is not None
    refused = call("/api/tubes/A001/members", {"person": people["li"].id_number})
    assert refused.status_code == 422
    [error] = refused.json()["detail"]
    assert error["loc"] == ["body", "barcode"] and "is sealed (1/10)" in error["msg"]
    blank = call("/api/tubes/A001/reopen", {"reason": " "})
    assert blank.status_code == 422 and blank.json()["detail"][0]["loc"] == ["body", "reason"]
    reopened = call("/api/tubes/A001/reopen", {"reason": "又来一位"})
    assert reopened.status_code == 200 and reopened.json()["fill"] == "open"
    by_id = call("/api/tubes/A001/members", {"person_id": people["li"].pk})
    assert by_id.status_code == 200 and by_id.json()["count"] == 2
    assert Event.objects.filter(action="tube.reopened", reason="又来一位").exists()

    call("/api/tubes/send", {"barcodes": ["A001"], "lab": "LAB-W"})
    late = call("/api/tubes/A001/reopen", {"reason": "one more"})
    assert late.status_code == 422
    [error] = late.json()["detail"]
    assert error["loc"] == ["body", "barcode"]
    assert error["msg"] == "Tube A001 has left the site (Sent to lab) and stays sealed"
    assert grid.get("/api/tubes?fill=open").json()["items"] == []
    assert [t["fill"] for t in grid.get("/api/tubes?fill=sealed").json()["items"]] == ["sealed"]


def test_api_open_tubes_are_not_the_outsiders(personas, people, a_round, a_site):
    tube = open_tube(personas["grid"], "A001", round=a_round, site=a_site, capacity=10)
    add(personas["grid"], tube, people["zhang"])
    outsider = bearer_client(personas["outsider"])
    assert outsider.get("/api/tubes?fill=open").json()["items"] == []
    assert outsider.get("/api/tubes?fill=open&site=SITE-W").json()["items"] == []
    assert outsider.get("/api/tubes/A001").status_code == 404
    for path, body in (
        ("/api/tubes/A001/seal", {}),
        ("/api/tubes/A001/reopen", {"reason": "x"}),
        ("/api/tubes/A001/members", {"person_id": people["other"].pk}),
    ):
        assert outsider.post(path, body, content_type="application/json").status_code == 404
    # a resident of another jurisdiction is not sampled by id either
    grid = bearer_client(personas["grid"])
    stranger = grid.post(
        "/api/tubes/A001/members",
        {"person_id": people["other"].pk},
        content_type="application/json",
    )
    assert stranger.status_code == 422
    tube.refresh_from_db()
    assert tube.fill == TubeFill.OPEN and tube.members.count() == 1
