"""Sampling pooled and single tubes, each refusal, chain of custody, the retest list, the API."""

import datetime as dt

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from fangkong.audit.models import Event
from fangkong.healthcode.models import CodeStatus
from fangkong.lab.models import Lab, Purpose, Retest, RetestStatus, Tube, TubeMember, TubeStatus
from fangkong.lab.rounds import selectors, services
from tests import factories as f
from tests.api.conftest import bearer_client
from tests.lab.conftest import ROUND_START, make_tube

pytestmark = pytest.mark.usefixtures("english")


def open_tube(actor, barcode="T0001", *, round=None, site=None, capacity=1, purpose=None):
    return services.tube_open(
        actor=actor,
        barcode=barcode,
        round=round,
        site=site,
        capacity=capacity,
        purpose=purpose or (Purpose.ROUND if round else Purpose.VOLUNTARY),
    )


def add(actor, tube, person):
    return services.tube_add_member(actor=actor, tube=tube, person=person)


def refusal(exc: pytest.ExceptionInfo) -> str:
    return " ".join(m for msgs in exc.value.message_dict.values() for m in msgs)


# Services --------------------------------------------------------------------------------


def test_pooled_tube_takes_people_one_by_one(personas, people, a_round, a_site):
    grid = personas["grid"]
    tube = open_tube(grid, round=a_round, site=a_site, capacity=10)
    assert (tube.status, tube.division_key, tube.purpose) == (
        "collected",
        a_site.division_key,
        "round",
    )
    for name in ["zhang", "li", "wang"]:
        add(grid, tube, people[name])
    members = TubeMember.objects.filter(tube=tube)
    assert {m.person.name for m in members} == {"张伟", "李秀英", "王芳"}
    assert {m.round_id for m in members} == {a_round.pk}
    assert Event.objects.filter(action="tube.member_added").count() == 3
    assert Event.objects.filter(action="tube.opened").count() == 1


def test_refuses_the_same_person_twice_in_a_tube(personas, people, a_round, a_site):
    tube = open_tube(personas["grid"], round=a_round, site=a_site, capacity=10)
    add(personas["grid"], tube, people["zhang"])
    with pytest.raises(ValidationError) as exc:
        add(personas["grid"], tube, people["zhang"])
    assert "张伟 is already in tube T0001" in refusal(exc)


def test_refuses_a_full_tube(personas, people, a_round, a_site):
    tube = open_tube(personas["grid"], round=a_round, site=a_site, capacity=1)
    add(personas["grid"], tube, people["zhang"])
    with pytest.raises(ValidationError) as exc:
        add(personas["grid"], tube, people["li"])
    assert "full (1/1)" in refusal(exc)


def test_refuses_a_person_already_sampled_in_the_round_naming_the_tube(
    personas, people, a_round, a_site
):
    first = open_tube(personas["grid"], "T0001", round=a_round, site=a_site, capacity=10)
    add(personas["grid"], first, people["zhang"])
    second = open_tube(personas["street"], "T0002", round=a_round, site=a_site, capacity=10)
    with pytest.raises(ValidationError) as exc:
        add(personas["street"], second, people["zhang"])
    assert "already sampled in this round, in tube T0001" in refusal(exc)


def test_refuses_a_person_outside_the_rounds_area(personas, people, city, a_site):
    community = city.w[f.Level.COMMUNITY]
    other_grid = f.division(community.key + "02", "第二网格", f.Level.GRID, community)
    outside = f.resident(other_grid, "孙磊")
    narrow = services.round_start(
        actor=personas["command"],
        area=city.w[f.Level.GRID],
        name="第一网格核查",
        reason="来源不明",
    )
    tube = open_tube(personas["street"], round=narrow, site=a_site, capacity=10)
    with pytest.raises(ValidationError) as exc:
        add(personas["street"], tube, outside)
    assert "孙磊 lives outside this round's area (第一网格)" in refusal(exc)
    add(personas["street"], tube, people["zhang"])


def test_refuses_a_person_outside_the_samplers_jurisdiction(personas, people, a_site):
    tube = open_tube(personas["street"], site=a_site)
    with pytest.raises(ValidationError) as exc:
        add(personas["street"], tube, people["other"])
    assert "No resident with this ID number" in refusal(exc)


def test_refuses_adding_to_a_tube_that_left(personas, people, a_round, a_site, a_lab):
    tube = open_tube(personas["grid"], round=a_round, site=a_site, capacity=10)
    add(personas["grid"], tube, people["zhang"])
    services.tubes_send(actor=personas["grid"], tubes=[tube], lab=a_lab)
    with pytest.raises(ValidationError) as exc:
        add(personas["grid"], tube, people["li"])
    assert "has left the site" in refusal(exc)


def test_tube_open_checks(personas, a_round, a_site):
    street = personas["street"]
    open_tube(street, "T0001", site=a_site)
    with pytest.raises(ValidationError) as exc:
        open_tube(street, "T0001", site=a_site)
    assert "already used" in refusal(exc)
    with pytest.raises(ValidationError) as exc:
        open_tube(street, "bad code!", site=a_site)
    assert "barcode" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        open_tube(street, "T0002", round=a_round, site=a_site, capacity=5)
    assert "1 or 10" in refusal(exc)
    with pytest.raises(ValidationError):
        open_tube(street, "T0003", site=None)
    with pytest.raises(PermissionDenied):
        open_tube(personas["supply"], "T0004", site=a_site)


def test_closed_round_takes_no_tubes(personas, a_round, a_site):
    services.round_close(actor=personas["command"], round=a_round)
    with pytest.raises(ValidationError) as exc:
        open_tube(personas["street"], round=a_round, site=a_site, capacity=10)
    assert "closed" in refusal(exc)


def test_person_by_id_number_qr_url_or_token(personas, people):
    zhang = people["zhang"]
    CodeStatus.objects.create(
        person=zhang,
        colour="green",
        since=timezone.now(),
        division_key=zhang.division_key,
        verify_token="a" * 32,
    )
    street = personas["street"]
    assert selectors.person_for_sampling(street, zhang.id_number) == zhang
    assert selectors.person_for_sampling(street, zhang.id_number.lower()) == zhang
    assert selectors.person_for_sampling(street, f"https://fk.example/v/{'a' * 32}/") == zhang
    assert selectors.person_for_sampling(street, "a" * 32) == zhang
    for raw in ["b" * 32, "https://fk.example/v/" + "b" * 32, "11010519491231002X", "张伟"]:
        with pytest.raises(ValidationError) as exc:
            selectors.person_for_sampling(street, raw)
        assert "No resident" in refusal(exc), raw
    with pytest.raises(ValidationError) as exc:
        selectors.person_for_sampling(
            street,
            zhang.id_number[:17] + "0"
            if zhang.id_number[-1] != "0"
            else zhang.id_number[:17] + "1",
        )
    assert "check digit" in refusal(exc)
    # a person outside the jurisdiction reads like an unknown one
    with pytest.raises(ValidationError) as exc:
        selectors.person_for_sampling(street, people["other"].id_number)
    assert "No resident" in refusal(exc)


# Chain of custody -------------------------------------------------------------------------


def test_custody_collected_sent_received_with_times(personas, people, a_round, a_site, a_lab):
    tubes = [
        make_tube(f"C{i}", [people[n]], round=a_round, site=a_site)
        for i, n in enumerate(["zhang", "li"])
    ]
    assert services.tubes_send(actor=personas["street"], barcodes=["C0 C1"], lab=a_lab) == 2
    sent = list(Tube.objects.filter(pk__in=[t.pk for t in tubes]))
    assert {(t.status, t.lab_id) for t in sent} == {(TubeStatus.SENT, a_lab.pk)}
    assert all(t.sent_at for t in sent)
    assert services.tubes_receive(actor=personas["lab"], barcodes=["C0\nC1"], lab=a_lab) == 2
    got = list(Tube.objects.filter(pk__in=[t.pk for t in tubes]))
    assert all(t.status == TubeStatus.RECEIVED and t.received_at >= t.sent_at for t in got)
    assert Event.objects.filter(action="tube.sent").count() == 2
    assert Event.objects.filter(action="tube.received").count() == 2
    ev = Event.objects.filter(action="tube.received").first()
    assert (ev.from_value, ev.to_value) == ("sent", "received")


def test_out_of_order_custody_is_refused_all_or_nothing(personas, people, a_round, a_site, a_lab):
    make_tube("C0", [people["zhang"]], round=a_round, site=a_site)
    make_tube("C1", [people["li"]], round=a_round, site=a_site)
    with pytest.raises(ValidationError) as exc:
        services.tubes_receive(actor=personas["lab"], barcodes=["C0"], lab=a_lab)
    assert "C0 (Collected)" in refusal(exc)
    services.tubes_send(actor=personas["street"], barcodes=["C0"], lab=a_lab)
    with pytest.raises(ValidationError) as exc:
        services.tubes_send(actor=personas["street"], barcodes=["C0", "C1"], lab=a_lab)
    assert "C0 (Sent to lab)" in refusal(exc)
    assert Tube.objects.get(barcode="C1").status == TubeStatus.COLLECTED
    with pytest.raises(ValidationError) as exc:
        services.tubes_send(actor=personas["street"], barcodes=["NOPE"], lab=a_lab)
    assert "NOPE" in refusal(exc)


def test_receive_refuses_a_tube_sent_to_another_lab(personas, people, a_round, a_site, a_lab, city):
    other = Lab.objects.create(
        code="LAB-2", name="二号实验室", division=city.weidu, division_key=city.weidu.key
    )
    make_tube("C0", [people["zhang"]], round=a_round, site=a_site)
    services.tubes_send(actor=personas["street"], barcodes=["C0"], lab=other)
    with pytest.raises(ValidationError) as exc:
        services.tubes_receive(actor=personas["lab"], barcodes=["C0"], lab=a_lab)
    assert "another lab" in refusal(exc)


def test_empty_tubes_are_not_sent(personas, a_site, a_lab):
    open_tube(personas["street"], "E1", site=a_site)
    with pytest.raises(ValidationError) as exc:
        services.tubes_send(actor=personas["street"], barcodes=["E1"], lab=a_lab)
    assert "Empty" in refusal(exc)


def test_outsider_cannot_send_or_see_tubes(personas, people, a_round, a_site, a_lab):
    make_tube("C0", [people["zhang"]], round=a_round, site=a_site)
    with pytest.raises(ValidationError):
        services.tubes_send(actor=personas["outsider"], barcodes=["C0"], lab=a_lab)
    assert not selectors.tubes_for_user(personas["outsider"]).exists()


# Pages -----------------------------------------------------------------------------------


def test_sampling_page_flow(login, personas, people, a_round, a_site):
    client = login(personas["grid"])
    page = client.get(reverse("lab:sampling"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="barcode"' in html and "autofocus" in html and "inputmode" in html
    client.post(
        reverse("lab:sampling"), {"action": "setup", "round": a_round.pk, "site": a_site.pk}
    )
    opened = client.post(
        reverse("lab:sampling"), {"action": "open", "barcode": "P001", "mode": "pooled"}
    )
    assert opened.url == reverse("lab:sampling") + "?tube=P001"
    tube = Tube.objects.get(barcode="P001")
    assert (tube.capacity, tube.round_id, tube.site_id) == (10, a_round.pk, a_site.pk)

    def add(raw):
        return client.post(
            reverse("lab:sampling"),
            {"action": "add", "tube": "P001", "person": raw},
            follow=True,
        )

    done = add(people["zhang"].id_number)
    assert "张伟 added to P001 (1/10)" in done.content.decode()
    assert done.context["count"] == 1 and done.context["tube"] == tube
    again = add(people["zhang"].id_number)
    assert "already in tube P001" in again.content.decode()
    unknown = add("11010519491231002X")
    assert "No resident with this ID number" in unknown.content.decode()
    add(people["li"].id_number)
    page = client.get(reverse("lab:sampling"), {"tube": "P001"})
    assert [m.person.name for m in page.context["members"]] == ["张伟", "李秀英"]
    assert "2/10" in page.content.decode()
    # the round and site are remembered; a tube put aside stays open for later
    page = client.get(reverse("lab:sampling"))
    assert page.context["tube"] is None and page.context["round"] == a_round
    assert [t.barcode for t in page.context["open_tubes"]] == ["P001"]
    client.post(reverse("lab:sampling"), {"action": "open", "barcode": "S001", "mode": "single"})
    assert Tube.objects.get(barcode="S001").capacity == 1
    taken = client.post(
        reverse("lab:sampling"),
        {"action": "add", "tube": "S001", "person": people["zhang"].id_number},
        follow=True,
    )
    assert "already sampled in this round, in tube P001" in taken.content.decode()


def test_sampling_page_scope(login, personas, a_round, a_site):
    outsider = login(personas["outsider"])
    outsider.post(
        reverse("lab:sampling"), {"action": "setup", "round": a_round.pk, "site": a_site.pk}
    )
    page = outsider.get(reverse("lab:sampling"))
    assert page.context["round"] is None and page.context["site"] is None
    assert login(personas["supply"]).get(reverse("lab:sampling")).status_code == 403
    assert (
        login(personas["hospital"]).post(reverse("lab:sampling"), {"action": "seal"}).status_code
        == 403
    )


def test_custody_page_send_and_receive(login, personas, people, a_round, a_site, a_lab):
    make_tube("C0", [people["zhang"]], round=a_round, site=a_site)
    t1 = make_tube("C1", [people["li"]], round=a_round, site=a_site)
    street = login(personas["street"])
    page = street.get(reverse("lab:custody"), {"round": a_round.pk})
    assert [t.barcode for t in page.context["rows"]] == ["C1", "C0"] or {
        t.barcode for t in page.context["rows"]
    } == {"C0", "C1"}
    assert page.context["receive_form"] is None
    street.post(reverse("lab:custody_send"), {"lab": a_lab.pk, "tube": [t1.pk]})
    assert Tube.objects.get(barcode="C1").status == TubeStatus.SENT
    assert Tube.objects.get(barcode="C0").status == TubeStatus.COLLECTED
    lab = login(personas["lab"])
    assert lab.get(reverse("lab:custody")).context["receive_form"] is not None
    lab.post(reverse("lab:custody_receive"), {"lab": a_lab.pk, "barcodes": "C1\n"})
    assert Tube.objects.get(barcode="C1").status == TubeStatus.RECEIVED
    assert login(personas["street"]).post(reverse("lab:custody_receive"), {}).status_code == 403
    outsider = login(personas["outsider"])
    assert outsider.get(reverse("lab:custody")).context["rows"] == []
    outsider.post(
        reverse("lab:custody_send"), {"lab": a_lab.pk, "tube": [Tube.objects.get(barcode="C0").pk]}
    )
    assert Tube.objects.get(barcode="C0").status == TubeStatus.COLLECTED
    assert login(personas["supply"]).get(reverse("lab:custody")).status_code == 403


def test_retest_list_page(login, personas, people, a_round, a_site, city):
    source = make_tube("POS1", [people["zhang"], people["li"]], round=a_round, site=a_site)
    for name in ["zhang", "li"]:
        p = people[name]
        Retest.objects.create(person=p, source_tube=source, division_key=p.division_key)
    Retest.objects.filter(person=people["li"]).update(status=RetestStatus.NEGATIVE)
    page = login(personas["grid"]).get(reverse("lab:retests"))
    [row] = page.context["rows"]
    assert row.person == people["zhang"]
    html = page.content.decode()
    assert "幸福小区 1号楼 1单元" in html and "POS1" in html
    assert "139****0001" in html and "13900000001" not in html
    everyone = login(personas["street"]).get(reverse("lab:retests"), {"status": "all"})
    assert len(everyone.context["rows"]) == 2
    assert login(personas["lab"]).get(reverse("lab:retests")).status_code == 200
    assert login(personas["outsider"]).get(reverse("lab:retests")).context["rows"] == []
    assert login(personas["supply"]).get(reverse("lab:retests")).status_code == 403


def test_a_retest_tube_marks_the_retest_sampled(personas, people, a_round, a_site):
    source = make_tube("POS1", [people["zhang"]], round=a_round, site=a_site)
    retest = Retest.objects.create(
        person=people["zhang"], source_tube=source, division_key=people["zhang"].division_key
    )
    tube = open_tube(personas["grid"], "R001", purpose=Purpose.RETEST)
    add(personas["grid"], tube, people["zhang"])
    retest.refresh_from_db()
    assert (retest.status, retest.tube) == (RetestStatus.SAMPLED, tube)
    assert Event.objects.filter(action="retest.sampled", person_id=people["zhang"].pk).exists()


# API -------------------------------------------------------------------------------------


def test_api_sampling_and_custody(personas, people, a_round, a_site, a_lab):
    grid = bearer_client(personas["grid"])
    opened = grid.post(
        "/api/tubes",
        {"barcode": "A001", "round": a_round.pk, "site": "SITE-W", "mode": "pooled"},
        content_type="application/json",
    )
    assert opened.status_code == 201, opened.content
    assert opened.json()["capacity"] == 10
    added = grid.post(
        "/api/tubes/A001/members",
        {"person": people["zhang"].id_number},
        content_type="application/json",
    )
    assert added.status_code == 200, added.content
    assert added.json()["count"] == 1
    assert added.json()["members"][0]["id_number"].startswith("411***")
    again = grid.post(
        "/api/tubes/A001/members",
        {"person": people["zhang"].id_number},
        content_type="application/json",
    )
    assert again.status_code == 422
    assert "already in tube" in again.json()["detail"][0]["msg"]
    sent = grid.post(
        "/api/tubes/send", {"barcodes": ["A001"], "lab": "LAB-W"}, content_type="application/json"
    )
    assert sent.json() == {"moved": 1, "status": "sent"}
    assert (
        grid.post(
            "/api/tubes/receive",
            {"barcodes": ["A001"], "lab": "LAB-W"},
            content_type="application/json",
        ).status_code
        == 403
    )
    got = bearer_client(personas["lab"]).post(
        "/api/tubes/receive",
        {"barcodes": ["A001"], "lab": "LAB-W"},
        content_type="application/json",
    )
    assert got.json() == {"moved": 1, "status": "received"}


def test_api_sampling_scope(personas, people, a_round, a_site, a_lab):
    make_tube("C0", [people["zhang"]], round=a_round, site=a_site)
    outsider = bearer_client(personas["outsider"])
    assert (
        outsider.post(
            "/api/tubes/C0/members",
            {"person": people["li"].id_number},
            content_type="application/json",
        ).status_code
        == 404
    )
    refused = outsider.post(
        "/api/tubes",
        {"barcode": "X1", "round": a_round.pk, "mode": "pooled"},
        content_type="application/json",
    )
    assert refused.status_code == 422
    assert (
        outsider.post(
            "/api/tubes/send", {"barcodes": ["C0"], "lab": "LAB-W"}, content_type="application/json"
        ).status_code
        == 422
    )
    assert Tube.objects.get(barcode="C0").status == TubeStatus.COLLECTED
    supply = bearer_client(personas["supply"])
    assert (
        supply.post("/api/tubes", {"barcode": "X2"}, content_type="application/json").status_code
        == 403
    )
    assert supply.get("/api/retests").status_code == 403


def test_api_retests(personas, people, a_round, a_site):
    source = make_tube("POS1", [people["zhang"]], round=a_round, site=a_site)
    Retest.objects.create(
        person=people["zhang"], source_tube=source, division_key=people["zhang"].division_key
    )
    items = bearer_client(personas["street"]).get("/api/retests").json()["items"]
    assert [(r["name"], r["source_tube"], r["phone"]) for r in items] == [
        ("张伟", "POS1", "139****0001")
    ]
    assert (
        bearer_client(personas["street"]).get("/api/retests?status=negative").json()["items"] == []
    )
    assert bearer_client(personas["outsider"]).get("/api/retests").json()["items"] == []


def test_the_phone_page_takes_when_a_tube_was_sampled(login, personas, people, a_round, a_site):
    """A tube entered after the fact: the sampler types when it was taken (empty: now); the
    people added to it are offered the same time; a time ahead of the clock or before the
    round started is refused naming the field, in both languages."""
    client = login(personas["grid"])
    url = reverse("lab:sampling")
    client.post(url, {"action": "setup", "round": a_round.pk, "site": a_site.pk})
    page = client.get(url).content.decode()
    assert 'name="collected_at"' in page and 'type="datetime-local"' in page
    taken = timezone.localtime(ROUND_START + dt.timedelta(minutes=30)).replace(second=0)
    typed = taken.strftime("%Y-%m-%dT%H:%M")

    def open_at(barcode, when, language="en"):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        data = {"action": "open", "barcode": barcode, "mode": "pooled", "collected_at": when}
        return client.post(url, data, follow=True).content.decode()

    ahead = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert "Sampled at: This time is in the future" in open_at("P900", ahead)
    early = (timezone.localtime(ROUND_START) - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    assert "Sampled at: A tube of a round is taken after it started" in open_at("P900", early)
    assert "采样时间：本轮试管的采样时间不能早于该轮次开始时间" in open_at("P900", early, "zh-hans")
    assert "采样时间：" in open_at("P900", "not a time", "zh-hans")
    assert not Tube.objects.filter(barcode="P900").exists()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    opened = open_at("P900", typed)
    assert "P900 opened" in opened
    tube = Tube.objects.get(barcode="P900")
    assert tube.collected_at == taken
    assert f'name="sampled_at" value="{typed}"' in opened  # offered for the people
    client.post(
        url,
        {"action": "add", "tube": "P900", "person": people["zhang"].id_number, "sampled_at": typed},
    )
    assert TubeMember.objects.get(tube=tube).sampled_at == taken
    refused = client.post(
        url,
        {"action": "add", "tube": "P900", "person": people["li"].id_number, "sampled_at": ahead},
        follow=True,
    ).content.decode()
    assert "Sampled at: This time is in the future" in refused
    # a tube taken now: nothing to type, and nothing offered
    live = open_at("P901", "")
    assert 'name="sampled_at" value=' not in live
    assert timezone.now() - Tube.objects.get(barcode="P901").collected_at < dt.timedelta(minutes=1)
