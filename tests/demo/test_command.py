"""`fangkong demo`: loading into an empty database, --replace, --if-empty."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from fangkong.accounts.models import User
from fangkong.audit.models import Event
from fangkong.demo.accounts import DEMO_USERNAMES
from fangkong.epi.models import Case
from fangkong.people.models import Resident
from fangkong.places.models import Division


@pytest.mark.django_db
def test_loads_an_empty_database_and_reports_progress(capsys):
    with translation.override("en"):
        call_command("demo", "--residents", "600", "--seed", "2", "--if-empty")
    assert Resident.objects.count() == 600
    assert "residents/s" in capsys.readouterr().out
    assert sorted(User.objects.values_list("username", flat=True)) == sorted(DEMO_USERNAMES)


@pytest.mark.django_db
def test_replace_deletes_the_old_city_first():
    call_command("demo", "--residents", "300", "--seed", "2")
    Event.objects.create(action="test", object_type="resident", object_id="1")
    first = set(Resident.objects.values_list("id_number", flat=True)[:100])
    call_command("demo", "--residents", "400", "--seed", "3", "--replace")
    assert Resident.objects.count() == 400
    assert User.objects.count() == len(DEMO_USERNAMES)
    assert not Event.objects.filter(action="test").exists()
    assert first != set(Resident.objects.values_list("id_number", flat=True)[:100])
    assert Division.objects.filter(key="4110").count() == 1


@pytest.mark.django_db
def test_too_few_residents_for_six_districts_is_refused():
    with pytest.raises(CommandError):
        call_command("demo", "--residents", "3")


@pytest.mark.django_db
def test_as_of_dates_the_city_and_defaults_to_today(capsys):
    with translation.override("en"):
        call_command("demo", "--residents", "300", "--seed", "2", "--as-of", "2024-02-29")
    assert "as of 2024-02-29" in capsys.readouterr().out
    assert max(Resident.objects.values_list("birth_date", flat=True)) <= dt.date(2024, 2, 29)
    assert {r.created_at for r in Resident.objects.all()[:50]} == {
        dt.datetime(2024, 2, 29, 0, tzinfo=dt.UTC)  # 08:00 in Asia/Shanghai
    }
    assert Case.objects.filter(number__startswith="4110-2024-").exists()
    call_command("demo", "--residents", "300", "--seed", "2", "--replace", "--no-outbreak")
    created = Resident.objects.values_list("created_at", flat=True).first()
    assert timezone.localdate(created) == timezone.localdate()


def test_a_bad_as_of_date_is_refused():
    with pytest.raises(CommandError, match="as-of"):
        call_command("demo", "--residents", "600", "--as-of", "2024-13-01")
