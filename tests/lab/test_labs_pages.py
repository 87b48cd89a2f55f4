"""The laboratories' registry pages (list and register, a lab's page: edit, suspend, staff,
history), the menu, and the lab pickers of the custody and results pages."""

import pytest
from django.urls import reverse
from django.utils import translation

from fangkong.audit.models import Event
from fangkong.lab.labs import services
from fangkong.lab.models import Lab, Tube, TubeStatus
from fangkong.lab.rounds import services as round_services
from fangkong.places.models import Level
from tests import factories as f
from tests.lab.conftest import make_tube

LIST = reverse("lab:labs")


def lab_page(lab):
    return reverse("lab:lab", args=[lab.pk])


def form(at, **kw):
    return {
        "code": "LAB-N",
        "name": "许昌新检测中心",
        "place": at.code,
        "area": "",
        "capacity_per_day": "8000",
        "turnaround": "fever_clinic",
        "address": "健康路 8 号",
        "contact_name": "陈技师",
        "phone": "0374-2966120",
        **kw,
    }


@pytest.fixture
def jianan_lab(city):
    return Lab.objects.create(
        code="LAB-J",
        name="建安检测所",
        division=city.jianan,
        division_key=city.jianan.key,
        phone="0374-8888888",
        contact_name="建安联系人",
    )


@pytest.mark.usefixtures("english")
def test_command_registers_a_lab_on_the_page_and_lands_on_its_page(login, personas, city):
    client = login(personas["command"])
    page = client.get(LIST).content.decode()
    assert 'id="register"' in page and "Fever-clinic standard (within 6 h)" in page
    response = client.post(LIST, form(city.w[Level.STREET], area=city.city.code))
    lab = Lab.objects.get(code="LAB-N")
    assert response.status_code == 302 and response.url == lab_page(lab)
    assert lab.area == city.city and lab.capacity_per_day == 8000
    html = client.get(LIST).content.decode()
    assert 'data-lab="LAB-N"' in html and "许昌市" in html and "8,000" in html
    detail = client.get(lab_page(lab)).content.decode()
    assert 'data-action="lab.registered"' in detail and "Laboratory registered" in detail


@pytest.mark.usefixtures("english")
def test_the_register_form_shows_errors_by_field(login, personas, city):
    client = login(personas["command"])
    page = client.post(LIST, form(city.w[Level.STREET], place="999999", phone="call me"))
    assert page.status_code == 200 and not Lab.objects.exists()
    assert page.context["form"].errors.keys() == {"place"}
    page = client.post(LIST, form(city.w[Level.STREET], phone="call me"))
    assert "phone" in page.context["form"].errors


@pytest.mark.usefixtures("english")
def test_edit_suspend_and_staff_a_lab_each_audited(login, personas, city, people, a_round, a_site):
    lab = services.lab_register(
        actor=personas["command"],
        code="LAB-N",
        name="许昌新检测中心",
        division=city.weidu,
        capacity_per_day=8000,
    )
    client = login(personas["command"])
    edit = form(city.weidu, capacity_per_day="12000", turnaround="outpatient", reason="扩建")
    del edit["code"]
    assert client.post(lab_page(lab), edit).status_code == 302
    lab.refresh_from_db()
    assert (lab.capacity_per_day, lab.turnaround, lab.phone) == (
        12000,
        "outpatient",
        "0374-2966120",
    )
    assert Event.objects.filter(action="lab.updated", field="capacity_per_day").exists()
    client.post(reverse("lab:lab_staff", args=[lab.pk]), {"usernames": "p_lab"})
    assert list(lab.staff.all()) == [personas["lab"]]
    client.post(
        reverse("lab:lab_status", args=[lab.pk]), {"active": "0", "reason": "室间质评未通过"}
    )
    assert not Lab.objects.get(pk=lab.pk).active
    html = client.get(lab_page(lab)).content.decode()
    for action in ("lab.updated", "lab.staff_changed", "lab.suspended"):
        assert f'data-action="{action}"' in html
    assert "室间质评未通过" in html and "p_lab" in html
    tube = make_tube("C0", [people["zhang"]], round=a_round, site=a_site)
    sampler = login(personas["street"])
    choices = sampler.get(reverse("lab:custody")).context["send_form"].fields["lab"].choices
    assert str(lab.pk) not in str(choices)  # suspended: not offered
    sampler.post(reverse("lab:custody_send"), {"lab": lab.pk, "tube": [tube.pk]})
    assert Tube.objects.get(barcode="C0").status == TubeStatus.COLLECTED


@pytest.mark.usefixtures("english")
def test_who_reaches_the_registry_pages(login, personas, city, a_lab, jianan_lab):
    for role in ("street", "grid", "quarantine", "supply", "hotline"):
        assert login(personas[role]).get(LIST).status_code == 403
        assert login(personas[role]).get(lab_page(a_lab)).status_code == 403
    viewer = login(personas["task_force"])
    page = viewer.get(LIST)
    assert [lab.code for lab in page.context["rows"]] == ["LAB-W"]
    assert page.context["form"] is None
    assert 'id="edit"' not in viewer.get(lab_page(a_lab)).content.decode()
    assert viewer.post(lab_page(a_lab), {"name": "x"}).status_code == 403
    assert viewer.post(reverse("lab:lab_status", args=[a_lab.pk]), {}).status_code == 403


@pytest.mark.usefixtures("english")
def test_outside_labs_are_not_found_nor_changed(login, personas, city, a_lab, jianan_lab):
    district = f.user("cmd_w", "command", city.weidu)
    client = login(district)
    html = client.get(LIST).content.decode()
    assert "LAB-W" in html and "LAB-J" not in html and "建安联系人" not in html
    assert client.get(lab_page(jianan_lab)).status_code == 404
    edit = form(city.weidu, name="改名")
    assert client.post(lab_page(jianan_lab), edit).status_code == 404
    assert (
        client.post(
            reverse("lab:lab_status", args=[jianan_lab.pk]), {"active": "0", "reason": "x"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("lab:lab_staff", args=[jianan_lab.pk]), {"usernames": "p_lab"}
        ).status_code
        == 404
    )
    jianan_lab.refresh_from_db()
    assert (jianan_lab.name, jianan_lab.active, jianan_lab.staff.count()) == ("建安检测所", True, 0)
    assert not Event.objects.filter(object_id=str(jianan_lab.pk)).exists()


@pytest.mark.usefixtures("english")
def test_a_lab_account_sees_its_own_lab_only(login, personas, a_lab, jianan_lab, city):
    Lab.objects.create(
        code="LAB-W2", name="魏都二所", division=city.weidu, division_key=city.weidu.key
    )
    client = login(personas["lab"])
    assert [lab.code for lab in client.get(LIST).context["rows"]] == ["LAB-W"]
    other = Lab.objects.get(code="LAB-W2")
    assert client.get(lab_page(other)).status_code == 404
    assert client.get(lab_page(a_lab)).status_code == 200


def test_the_menu_lists_laboratories_for_those_who_may_see_them(login, personas):
    assert reverse("lab:labs") in login(personas["command"]).get("/").content.decode()
    assert reverse("lab:labs") in login(personas["lab"]).get("/").content.decode()
    assert reverse("lab:labs") not in login(personas["street"]).get("/").content.decode()


# The lab pickers ------------------------------------------------------------------------------


def test_a_lab_account_has_its_lab_chosen_on_results_and_custody(login, personas, a_lab, city):
    Lab.objects.create(
        code="LAB-J", name="建安检测所", division=city.jianan, division_key=city.jianan.key
    )
    client = login(personas["lab"])
    with translation.override("zh-hans"):
        upload = client.get(reverse("lab:results"))
    field = upload.context["form"]["lab"]
    assert field.value() == a_lab.pk
    html = upload.content.decode()
    assert f'<option value="{a_lab.pk}" selected>' in html and "建安检测所" not in html
    assert "Select an option" not in html and 'id="no-labs"' not in html
    receive = client.get(reverse("lab:custody")).context["receive_form"]["lab"]
    assert receive.value() == str(a_lab.pk)


def test_an_unstaffed_lab_account_is_told_why_it_has_no_lab(client, city):
    unstaffed = f.user("tech_w", "lab", city.weidu)
    with translation.override("zh-hans"):
        html = f.sign_in(client, unstaffed).get(reverse("lab:results")).content.decode()
    assert 'id="no-labs"' in html
    assert "Select an option" not in html


def test_the_empty_choice_is_in_chinese(login, personas, a_lab, city):
    """Django 6.1's "- Select an option -" has no Chinese; the project's own label does."""
    Lab.objects.create(code="LAB-2", name="二所", division=city.weidu, division_key=city.weidu.key)
    client = login(personas["command"])
    with translation.override("zh-hans"):
        html = client.get(reverse("lab:results")).content.decode()
    assert "Select an option" not in html and "— 请选择 —" in html


@pytest.mark.usefixtures("english")
def test_samplers_choose_among_labs_in_use_serving_their_area_first(
    login, personas, people, city, a_round, a_site, a_lab
):
    Lab.objects.create(
        code="LAB-C",
        name="市检测中心",
        division=city.jianan,
        division_key=city.jianan.key,
        area=city.city,
        area_key=city.city.key,
        capacity_per_day=30000,
    )
    Lab.objects.create(
        code="LAB-J", name="建安检测所", division=city.jianan, division_key=city.jianan.key
    )
    make_tube("C0", [people["zhang"]], round=a_round, site=a_site)
    round_services.tubes_send(actor=personas["street"], barcodes=["C0"], lab=a_lab)
    choices = (
        login(personas["grid"])
        .get(reverse("lab:custody"))
        .context["send_form"]
        .fields["lab"]
        .choices
    )
    assert choices[0][0] == ""
    groups = {str(name): [label for _value, label in options] for name, options in choices[1:]}
    assert groups == {
        "Labs serving your area": [
            "市检测中心 (LAB-C) · today 0 of 30,000",
            "许昌魏都检测中心 (LAB-W)",
        ],
        "Other labs": ["建安检测所 (LAB-J)"],
    }


@pytest.mark.usefixtures("english")
def test_without_labs_the_custody_page_says_so(login, personas, people, a_round, a_site):
    make_tube("C0", [people["zhang"]], round=a_round, site=a_site)
    html = login(personas["street"]).get(reverse("lab:custody")).content.decode()
    assert 'id="no-labs"' in html and "Send the chosen tubes" not in html


@pytest.mark.parametrize("n", [2, 8])
def test_registry_pages_query_counts_stay_flat(
    login, personas, city, people, a_round, a_site, django_assert_num_queries, n
):
    for i in range(n):
        lab = Lab.objects.create(
            code=f"LAB-{i}",
            name=f"检测所{i}",
            division=city.weidu,
            division_key=city.weidu.key,
            area=city.city,
            area_key=city.city.key,
            capacity_per_day=1000,
        )
        lab.staff.add(f.user(f"tech{i}", "lab", city.weidu))
    make_tube("C0", [people["zhang"]], round=a_round, site=a_site)
    round_services.tubes_send(actor=personas["street"], barcodes=["C0"], lab=lab)
    client = login(personas["command"])
    client.get(LIST)
    # session, user, second factor; the policy (promised hours); the page of labs with places
    # and staff counts; tubes sent today
    with django_assert_num_queries(6):
        assert client.get(LIST).status_code == 200
    # session, user, second factor; the lab; the policy; tubes sent today; staff; history
    with django_assert_num_queries(8):
        assert client.get(lab_page(lab)).status_code == 200


def test_a_lab_without_a_declared_capacity_shows_a_dash_not_none(login, personas, city):
    lab = Lab.objects.create(code="LAB-N", name="三所", division=city.weidu, division_key="411002")
    client = login(personas["command"])
    listed = client.get(reverse("lab:labs")).content.decode()
    row = listed.split('data-lab="LAB-N"')[1].split("</tr>")[0]
    detail = client.get(reverse("lab:lab", args=[lab.pk])).content.decode()
    assert "None" not in row and "—" in row
    assert 'data-figure="capacity">—<' in detail
