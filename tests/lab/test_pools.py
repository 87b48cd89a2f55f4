"""What results mean for people: positive pools, retests, temporary control, cases."""

import datetime as dt

import pytest
from django.utils import timezone

from fangkong.audit.models import Event
from fangkong.epi.models import Case, ContactStatus
from fangkong.lab.models import (
    ControlStatus,
    Purpose,
    ResultUpload,
    Retest,
    RetestStatus,
    TemporaryControl,
)
from fangkong.lab.results.ingest import results_import
from tests import factories as f
from tests.epi.conftest import make_case, make_contact

HEADER = "试管编码,检测结果,Ct值,检测时间\n"
TESTED = "2022-05-07 20:15"


@pytest.fixture
def changed(monkeypatch):
    """The people the health-code engine was told about, per call."""
    calls: list[list[int]] = []
    monkeypatch.setattr(
        "fangkong.lab.results.ingest.changed", lambda subject, ids: calls.append(ids)
    )
    return calls


@pytest.fixture
def upload(tmp_path, personas, a_lab):
    count = iter(range(1000))

    def _upload(*lines):
        path = tmp_path / f"r{next(count)}.csv"
        path.write_text(HEADER + "".join(f"{line}\n" for line in lines), encoding="utf-8")
        result = results_import(actor=personas["lab"], lab=a_lab, path=path)
        assert result.ok, [(e.row, e.column, e.reason) for e in result.errors]
        return result

    return _upload


@pytest.fixture
def pool(people, a_round, a_site, tube_factory):
    """A pooled round tube with 张伟, 李秀英 and 王芳."""
    members = [people["zhang"], people["li"], people["wang"]]
    return tube_factory("P-001", members, round=a_round, site=a_site)


def controlled(person):
    return TemporaryControl.objects.filter(person=person, status=ControlStatus.ACTIVE).exists()


def test_positive_pool_puts_every_member_under_control_with_a_retest(upload, pool, people, changed):
    result = upload(f"P-001,阳性,31.2,{TESTED}")
    members = [people["zhang"], people["li"], people["wang"]]
    assert (result.positives, result.controls_started, result.retests_created) == (1, 3, 3)
    assert all(controlled(p) for p in members)
    retests = Retest.objects.filter(source_tube=pool)
    assert {r.person_id for r in retests} == {p.pk for p in members}
    assert {r.status for r in retests} == {RetestStatus.PENDING}
    assert {r.division_key for r in retests} == {people["zhang"].division_key}
    assert Event.objects.filter(action="pool.positive", object_label="P-001").count() == 1
    assert Event.objects.filter(action="control.started").count() == 3
    assert Event.objects.filter(action="retest.created", person_id=people["li"].pk).count() == 1
    resulted = Event.objects.filter(action="tube.resulted", object_label="P-001")
    assert sorted(resulted.values_list("person_id", flat=True)) == sorted(p.pk for p in members)
    assert {e.basis for e in resulted} == {
        f"results upload #{ResultUpload.objects.get().pk} sha256:{result.sha256}"
    }
    assert changed == [sorted(p.pk for p in members)]
    assert not Case.objects.exists()  # a pool does not say who is infected


def test_positive_pool_reported_again_creates_nothing_twice(upload, pool):
    upload(f"P-001,阳性,31.2,{TESTED}")
    again = upload(f"P-001,阳性,31.2,{TESTED}", f"P-001,阳性,31.2,{TESTED}")
    assert (again.applied, again.already_applied, again.retests_created) == (0, 2, 0)
    assert Retest.objects.count() == 3
    assert TemporaryControl.objects.count() == 3


def test_negative_pool_clears_its_members(upload, pool, people, changed):
    result = upload(f"P-001,阴性,,{TESTED}")
    assert (result.positives, result.retests_created, result.controls_started) == (0, 0, 0)
    assert not TemporaryControl.objects.exists()
    assert not Retest.objects.exists()
    assert changed == []


def test_negative_retest_clears_control_and_closes_the_retest(
    upload, pool, people, tube_factory, changed
):
    upload(f"P-001,阳性,,{TESTED}")
    retest = Retest.objects.get(person=people["zhang"])
    retest_tube = tube_factory(
        "R-001",
        [people["zhang"]],
        purpose=Purpose.RETEST,
        collected_at=dt.datetime(2022, 5, 8, 9, 0, tzinfo=dt.UTC),
    )
    Retest.objects.filter(pk=retest.pk).update(tube=retest_tube, status=RetestStatus.SAMPLED)
    result = upload("R-001,阴性,,2022-05-08 20:00")
    retest.refresh_from_db()
    assert retest.status == RetestStatus.NEGATIVE
    assert result.controls_cleared == 1
    assert not controlled(people["zhang"])
    assert controlled(people["li"]) and controlled(people["wang"])
    cleared = Event.objects.get(action="control.cleared")
    assert cleared.person_id == people["zhang"].pk
    assert changed[-1] == [people["zhang"].pk]


def test_retest_tube_sampled_at_home_answers_the_retest_without_a_link(
    upload, pool, people, tube_factory
):
    upload(f"P-001,阳性,,{TESTED}")
    now = timezone.localtime()
    tube_factory("R-002", [people["li"]], purpose=Purpose.RETEST, collected_at=now)
    tested = now + dt.timedelta(minutes=1)
    upload(f"R-002,阴性,,{tested:%Y-%m-%d %H:%M}")
    retest = Retest.objects.get(person=people["li"])
    assert retest.status == RetestStatus.NEGATIVE
    assert retest.tube.barcode == "R-002"
    assert not controlled(people["li"])


def test_positive_single_tube_opens_one_case_found_in_the_community(
    upload, people, a_round, a_site, tube_factory
):
    tube_factory("S-001", [people["wang"]], round=a_round, site=a_site)
    tube_factory("S-002", [people["wang"]], purpose=Purpose.VOLUNTARY)
    result = upload(f"S-001,阳性,27.5,{TESTED}")
    assert result.cases_opened == 1
    case = Case.objects.get(person=people["wang"])
    assert (case.kind, case.found_by, case.found_where) == (
        "asymptomatic",
        "community_screening",
        "community",
    )
    assert case.sampled_on == dt.date(2022, 5, 7)
    # registered and reported when the tube was tested (valid time), not when uploaded
    tested = timezone.make_aware(dt.datetime.fromisoformat(TESTED))
    assert (case.registered_at, case.reported_on) == (tested, dt.date(2022, 5, 7))
    assert case.created_at > tested + dt.timedelta(days=365)
    registered = Event.objects.get(action="case.registered")
    assert registered.at == tested and registered.recorded_at > registered.at
    stored = ResultUpload.objects.get()
    assert registered.actor.username == "system"  # labs may not edit cases themselves
    assert registered.data["on_behalf_of"]["username"] == "p_lab"
    assert (registered.data["upload"], registered.data["tube"]) == (stored.pk, "S-001")
    assert registered.basis == f"results upload #{stored.pk} sha256:{stored.sha256}"
    assert "S-001" in registered.reason and "27.5" in registered.reason
    again = upload(f"S-002,阳性,30,{TESTED}")
    assert again.cases_opened == 0
    assert Case.objects.filter(person=people["wang"]).count() == 1


def test_positive_retest_opens_a_case_found_in_quarantine(upload, pool, people, tube_factory):
    upload(f"P-001,阳性,,{TESTED}")
    tube = tube_factory(
        "R-003",
        [people["zhang"]],
        purpose=Purpose.RETEST,
        collected_at=dt.datetime(2022, 5, 8, 1, 0, tzinfo=dt.UTC),
    )
    Retest.objects.filter(person=people["zhang"]).update(tube=tube)
    result = upload("R-003,阳性,25,2022-05-08 20:00")
    assert result.cases_opened == 1
    case = Case.objects.get(person=people["zhang"])
    assert (case.found_by, case.found_where) == ("community_screening", "quarantine")
    assert Retest.objects.get(person=people["zhang"]).status == RetestStatus.POSITIVE
    assert controlled(people["zhang"])  # still held until transferred


@pytest.mark.parametrize(
    ("status", "where"),
    [(ContactStatus.UNDER_CONTROL, "quarantine"), (ContactStatus.RELEASED, "community")],
)
def test_a_traced_contact_is_found_in_quarantine(upload, people, tube_factory, status, where):
    source = make_case(people["other"])
    make_contact(source, people["li"], status=status)
    tube_factory("A-001", [people["li"]], purpose=Purpose.ARRIVAL)
    upload(f"A-001,阳性,,{TESTED}")
    case = Case.objects.get(person=people["li"])
    assert (case.found_by, case.found_where) == ("arrival_test", where)


def test_positive_single_for_someone_with_an_open_case_opens_none(upload, people, tube_factory):
    make_case(people["wang"])
    tube_factory("F-001", [people["wang"]], purpose=Purpose.FEVER_CLINIC)
    result = upload(f"F-001,阳性,,{TESTED}")
    assert (result.positives, result.cases_opened) == (1, 0)
    assert Case.objects.filter(person=people["wang"]).count() == 1


# The system account -----------------------------------------------------------------------


def test_system_account_is_made_once_and_cannot_log_in(city):
    from fangkong.accounts.services import system_actor

    system = system_actor()
    assert system_actor() == system
    assert (system.role, system.jurisdiction) == ("command", city.city)
    assert not system.is_active and not system.has_usable_password()
    assert not system.check_password("") and not system.check_password("system")


def test_a_persons_account_named_system_is_never_taken_over(city):
    from django.core.exceptions import ImproperlyConfigured

    from fangkong.accounts.services import system_actor

    f.user("system", "lab", city.weidu)
    with pytest.raises(ImproperlyConfigured):
        system_actor()
