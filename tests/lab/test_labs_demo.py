"""The demo city ships laboratories, and its `lab` account works for one of them."""

import datetime as dt

import pytest
from django.urls import reverse

from fangkong.accounts.models import User
from fangkong.audit.models import Event
from fangkong.demo.labs import DEMO_LABS, STAFFED
from fangkong.demo.services import demo_generate
from fangkong.lab.models import Lab
from fangkong.policy.services import profiles_install_shipped
from tests import factories as f


@pytest.fixture
def demo(db):
    profiles_install_shipped()
    return demo_generate(residents=1_000, seed=2, outbreak=False, as_of=dt.date(2022, 5, 7))


def test_the_demo_registers_its_labs_through_the_registry(demo):
    assert demo.labs == len(DEMO_LABS) >= 2
    labs = {lab.code: lab for lab in Lab.objects.select_related("area")}
    assert set(labs) == {spec.code for spec in DEMO_LABS}
    for spec in DEMO_LABS:
        lab = labs[spec.code]
        assert lab.active and lab.capacity_per_day == spec.capacity_per_day and lab.phone
        assert lab.area is not None and lab.division_key.startswith(lab.area_key[:4])
    assert Event.objects.filter(action="lab.registered").count() == len(DEMO_LABS)


def test_the_demo_lab_account_has_its_lab_chosen_on_results_and_custody(demo, client):
    lab_account = User.objects.get(username="lab")
    own = Lab.objects.get(code=STAFFED)
    assert list(lab_account.labs.all()) == [own]
    client = f.sign_in(client, lab_account)
    upload = client.get(reverse("lab:results"))
    assert upload.status_code == 200
    assert upload.context["form"]["lab"].value() == own.pk
    html = upload.content.decode()
    assert f'<option value="{own.pk}" selected>' in html and 'id="no-labs"' not in html
    assert "Select an option" not in html
    custody = client.get(reverse("lab:custody"))
    assert custody.context["receive_form"]["lab"].value() == str(own.pk)
    assert custody.context["send_labs"]
    registry = client.get(reverse("lab:labs"))
    assert [lab.code for lab in registry.context["rows"]] == [STAFFED]
