"""Risk-post workers: registration, overdue lists by group frequency, scope and roles."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fangkong.audit.models import Event
from fangkong.lab.models import Purpose, RiskPostWorker
from fangkong.lab.riskposts import selectors, services
from tests import factories as f
from tests.lab.conftest import SHANGHAI, make_tube

pytestmark = pytest.mark.usefixtures("english")

NOW = dt.datetime(2022, 5, 10, 12, 0, tzinfo=SHANGHAI)


def register(actor, person, employer="胖东来超市", post="超市收银", group="group_2"):
    return services.risk_post_register(
        actor=actor, person=person, employer=employer, post=post, group=group
    )


def sampled(person, barcode, when):
    make_tube(barcode, [person], purpose=Purpose.RISK_POST, collected_at=when)


def overdue_names(user, now=NOW):
    rows, _seen = selectors.overdue_workers(user, today=now)
    return {r.person.name: r for r in rows}


def test_registration_is_audited_with_employer_and_group(personas, people):
    worker = register(personas["street"], people["zhang"])
    assert worker.division_key == people["zhang"].division_key
    event = Event.objects.get(action="risk_post.registered")
    assert event.person_id == people["zhang"].pk
    assert event.data["employer"] == "胖东来超市"
    assert event.data["group"] == "group_2"


def test_registering_twice_at_one_employer_is_refused(personas, people):
    register(personas["street"], people["zhang"])
    with pytest.raises(ValidationError):
        register(personas["street"], people["zhang"], post="理货")
    assert RiskPostWorker.objects.count() == 1


def test_leaving_the_post_is_audited_and_drops_off_the_list(personas, people):
    worker = register(personas["street"], people["zhang"])
    assert "张伟" in overdue_names(personas["street"])
    services.risk_post_leave(actor=personas["street"], worker=worker, reason="辞职")
    assert "张伟" not in overdue_names(personas["street"])
    event = Event.objects.get(action="risk_post.left")
    assert event.reason == "辞职"


def test_group_1_is_overdue_after_one_day(personas, people):
    register(personas["street"], people["zhang"], employer="隔离酒店", post="保洁", group="group_1")
    register(personas["street"], people["li"], employer="隔离酒店", post="保安", group="group_1")
    sampled(people["zhang"], "RP-1", NOW - dt.timedelta(hours=20))
    sampled(people["li"], "RP-2", NOW - dt.timedelta(hours=30))
    late = overdue_names(personas["street"])
    assert set(late) == {"李秀英"}
    assert late["李秀英"].days_since == 1


def test_group_2_is_tested_twice_a_week(personas, people):
    register(personas["street"], people["zhang"], employer="顺丰快递", post="快递员")
    register(personas["street"], people["li"], employer="顺丰快递", post="快递员")
    register(personas["street"], people["wang"], employer="美团外卖", post="骑手")
    sampled(people["zhang"], "RP-3", NOW - dt.timedelta(days=3))
    sampled(people["li"], "RP-4", NOW - dt.timedelta(days=8))
    sampled(people["li"], "RP-5", NOW - dt.timedelta(days=4))  # the latest counts
    late = overdue_names(personas["street"])
    assert set(late) == {"李秀英", "王芳"}
    assert late["李秀英"].days_since == 4
    assert late["王芳"].last_sampled is None  # never tested


def test_counts_per_employer_and_community(personas, people):
    register(personas["street"], people["zhang"], employer="顺丰快递")
    register(personas["street"], people["li"], employer="顺丰快递")
    register(personas["street"], people["wang"], employer="美团外卖")
    sampled(people["zhang"], "RP-6", NOW - dt.timedelta(days=1))
    rows, seen = selectors.overdue_workers(personas["street"], today=NOW)
    assert seen == 3
    tally = {
        t.name: (t.workers, t.overdue)
        for t in selectors.tally_by_employer(personas["street"], rows)
    }
    assert tally == {"顺丰快递": (2, 1), "美团外卖": (1, 1)}
    [community] = selectors.tally_by_community(rows)
    assert community.overdue == 2


def test_outsider_sees_nothing_and_cannot_register_in_weidu(personas, people, login):
    register(personas["street"], people["zhang"])
    assert overdue_names(personas["outsider"]) == {}
    with pytest.raises(ValidationError):
        register(personas["outsider"], people["li"])
    client = login(personas["outsider"])
    page = client.get(reverse("lab:riskposts"))
    assert "张伟" not in page.content.decode()
    response = client.post(
        reverse("lab:riskposts"),
        {"id_number": people["li"].id_number, "employer": "X", "post": "Y", "group": "group_1"},
    )
    assert response.status_code == 200
    assert "No resident with this ID number" in response.content.decode()
    assert not RiskPostWorker.objects.filter(person=people["li"]).exists()
    worker = RiskPostWorker.objects.get()
    leave = client.post(reverse("lab:riskpost_leave", args=[worker.pk]))
    assert leave.status_code == 404
    worker.refresh_from_db()
    assert worker.active


def test_supply_role_is_forbidden(personas, people, login):
    client = login(personas["supply"])
    assert client.get(reverse("lab:riskposts")).status_code == 403
    with pytest.raises(PermissionDenied):
        selectors.overdue_workers(personas["supply"])
    with pytest.raises(PermissionDenied):
        register(personas["supply"], people["zhang"])


def test_street_registers_through_the_page_and_sees_the_worker_overdue(personas, people, login):
    client = login(personas["street"])
    response = client.post(
        reverse("lab:riskposts"),
        {
            "id_number": people["wang"].id_number,
            "employer": "胖东来超市",
            "post": "超市收银",
            "group": "group_2",
        },
        follow=True,
    )
    body = response.content.decode()
    assert "王芳" in body and "胖东来超市" in body
    assert RiskPostWorker.objects.filter(person=people["wang"], active=True).exists()


def test_page_filters_by_employer(personas, people, login):
    register(personas["street"], people["zhang"], employer="顺丰快递")
    register(personas["street"], people["wang"], employer="美团外卖")
    client = login(personas["street"])
    body = client.get(reverse("lab:riskposts"), {"employer": "美团外卖"}).content.decode()
    table = body.split('id="overdue"')[1].split("</table>")[0]
    assert "王芳" in table and "张伟" not in table


def test_page_queries_do_not_grow_with_workers(personas, people, city, login):
    client = login(personas["street"])
    register(personas["street"], people["zhang"])
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("lab:riskposts")).status_code == 200
    unit = city.w[f.Level.UNIT]
    for i in range(8):
        person = f.resident(unit, f"工人{i}", phone=f"1390000010{i}")
        register(personas["street"], person, employer=f"店{i % 3}")
        sampled(person, f"RP-Q{i}", NOW - dt.timedelta(days=10))
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("lab:riskposts")).status_code == 200
    assert len(many) == len(few)
