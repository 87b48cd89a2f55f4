"""Pages render for people who may use them, and show what a user would look for."""

import pytest
from django.urls import reverse

from fangkong.audit.models import Event
from fangkong.people.models import Household, KeyPerson, Need, Resident
from fangkong.policy.models import PolicyProfile
from tests import factories as f


def test_home_shows_registry_figures_of_the_jurisdiction(login, personas, people):
    page = login(personas["street"]).get("/")
    assert page.status_code == 200
    assert page.context["figures"]["residents"] == 3  # 赵强 lives in 建安区
    assert page.context["figures"]["key_persons_total"] == 1
    city_wide = login(personas["command"]).get("/")
    assert city_wide.context["figures"]["residents"] == 4


def test_menu_shows_only_what_the_role_may_use(login, personas):
    street = login(personas["street"]).get("/").content.decode()
    assert 'data-section="residents"' in street and 'data-section="import"' in street
    lab = login(personas["lab"]).get("/").content.decode()
    assert 'data-section="residents"' not in lab
    assert 'data-section="key_persons"' not in lab
    assert 'data-section="policy"' in lab


def test_interface_is_chinese_by_default_and_switches_to_english(client, personas):
    f.sign_in(client, personas["street"])
    assert '<html lang="zh-Hans">' in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert '<html lang="en">' in client.get("/").content.decode()


def test_places_tree_goes_down_to_units(login, personas, people, city):
    client = login(personas["street"])
    root = client.get(reverse("places:tree"))
    assert root["Location"] == reverse("places:node", args=[city.weidu.key])
    page = client.get(reverse("places:node", args=[city.w[f.Level.BUILDING].key]))
    assert page.status_code == 200
    assert [c.name for c in page.context["children"]] == ["1单元"]
    assert page.context["children"][0].resident_count == 3
    assert "411002001000" in page.content.decode() or city.w[f.Level.STREET].name in (
        page.content.decode()
    )


def test_resident_search_by_name_initials_id_and_phone(login, personas, people):
    client = login(personas["street"])
    zhang = people["zhang"]
    for q in ["张", "张伟", "zw", "ZW", "zhangw", zhang.id_number, zhang.phone]:
        rows = client.get(reverse("people:residents"), {"q": q}).context["rows"]
        assert zhang in rows, q
    assert client.get(reverse("people:residents"), {"q": "赵强"}).context["rows"] == []


def test_resident_page_masks_identifiers_and_logs_reveals(login, personas, people):
    client = login(personas["grid"])
    zhang = people["zhang"]
    page = client.get(reverse("people:resident", args=[zhang.pk])).content.decode()
    assert zhang.id_number not in page and zhang.phone not in page
    assert zhang.id_number_masked in page
    shown = client.post(reverse("people:reveal", args=[zhang.pk, "phone"]), {"reason": "回访"})
    assert zhang.phone in shown.content.decode()
    event = Event.objects.get(action="pii.revealed")
    assert (event.person_id, event.field, event.actor) == (zhang.pk, "phone", personas["grid"])


def test_hotline_cannot_reveal_identifiers(login, personas, people):
    client = login(personas["hotline"])
    zhang = people["zhang"]
    page = client.get(reverse("people:resident", args=[zhang.pk])).content.decode()
    assert 'data-reveal="phone"' not in page
    assert client.post(reverse("people:reveal", args=[zhang.pk, "phone"])).status_code == 403
    assert not Event.objects.filter(action="pii.revealed").exists()


def test_register_and_edit_a_resident_records_history(login, personas, city):
    client = login(personas["grid"])
    unit = city.w[f.Level.UNIT]
    response = client.post(
        reverse("people:resident_new"),
        {
            "id_number": "11010519491231002X",
            "name": "陈静",
            "phone": "13800001111",
            "place": unit.code,
            "household_code": "HH-NEW",
            "relation": "head",
        },
    )
    resident = Resident.objects.get(id_number="11010519491231002X")
    assert response["Location"] == reverse("people:resident", args=[resident.pk])
    assert (resident.sex, resident.name_initials, resident.household.code) == ("F", "cj", "HH-NEW")
    client.post(
        reverse("people:resident_edit", args=[resident.pk]),
        {
            "name": "陈静",
            "phone": "13800002222",
            "place": unit.code,
            "household_code": "HH-NEW",
            "relation": "head",
            "reason": "电话变更",
        },
    )
    page = client.get(reverse("people:resident", args=[resident.pk])).content.decode()
    assert "138****2222" in page and "电话变更" in page
    assert "13800002222" not in page


def test_edit_form_shows_the_phone_masked_and_keeps_it_when_untouched(login, personas, people):
    """Opening the form is no reveal: the phone is masked and kept unless a new one is typed."""
    zhang = people["zhang"]
    client = login(personas["grid"])
    page = client.get(reverse("people:resident_edit", args=[zhang.pk])).content.decode()
    assert zhang.phone not in page and zhang.phone_masked in page
    unit = zhang.division
    form = {"name": "张伟", "place": unit.code, "household_code": zhang.household.code}
    client.post(
        reverse("people:resident_edit", args=[zhang.pk]),
        {**form, "phone": zhang.phone_masked, "relation": "", "reason": "改名前核对"},
    )
    zhang.refresh_from_db()
    assert zhang.phone == "13900000001"
    assert not Event.objects.filter(action="resident.updated", field="phone").exists()


@pytest.mark.parametrize("reason", [None, "", "  "])
def test_an_edit_without_a_reason_is_refused_on_the_field(login, personas, people, reason):
    zhang = people["zhang"]
    form = {
        "name": "张伟伟",
        "phone": "13611112222",
        "place": zhang.division.code,
        "household_code": "HH-NEW-2",
        "relation": "",
    }
    if reason is not None:
        form["reason"] = reason
    client = login(personas["grid"])
    response = client.post(reverse("people:resident_edit", args=[zhang.pk]), form)
    assert response.status_code == 200
    assert response.context["form"].errors == {"reason": ["请填写变更原因"]}
    assert 'name="reason"' in response.content.decode()
    zhang.refresh_from_db()
    assert (zhang.name, zhang.phone, zhang.household.code) == ("张伟", "13900000001", "HH-W-1")
    assert not Household.objects.filter(code="HH-NEW-2").exists()
    assert not Event.objects.filter(action="resident.updated").exists()


def test_register_rejects_bad_id_naming_the_field(login, personas, city):
    client = login(personas["grid"])
    response = client.post(
        reverse("people:resident_new"),
        {"id_number": "110105194912310021", "name": "陈静", "place": city.w[f.Level.UNIT].code},
    )
    assert response.status_code == 200
    assert "id_number" in response.context["form"].errors
    assert not Resident.objects.exists()


def test_key_person_ledger_filters_and_exports(login, personas, people, city):
    client = login(personas["street"])
    li = people["li"]
    client.post(reverse("people:key_person_new", args=[li.pk]), {"category": "pregnant"})
    client.post(
        reverse("people:need_new", args=[li.pk]),
        {"kind": "prenatal", "description": "产检", "recurrence_days": "14"},
    )
    ledger = client.get(reverse("people:key_persons"), {"category": "pregnant"})
    assert [row.resident for row in ledger.context["rows"]] == [li]
    assert ledger.context["rows"][0].open_needs[0].description == "产检"
    in_grid = client.get(reverse("people:key_persons"), {"place": city.w[f.Level.GRID].key})
    assert len(in_grid.context["rows"]) == 2
    export = client.get(reverse("people:key_persons_export"))
    assert export["X-Row-Count"] == "2"
    assert export.content[:2] == b"PK"


def test_need_fulfilment_advances_recurring_needs(login, personas, people):
    client = login(personas["grid"])
    zhang = people["zhang"]
    client.post(
        reverse("people:need_new", args=[zhang.pk]),
        {"kind": "medicine", "description": "降压药", "recurrence_days": "30"},
    )
    need = Need.objects.get()
    client.post(reverse("people:need_fulfil", args=[need.pk]))
    need.refresh_from_db()
    assert need.status == "open" and need.next_due is not None
    assert Event.objects.filter(action="need.fulfilled", person_id=zhang.pk).exists()


def test_leaving_the_ledger_needs_a_reason(login, personas, people):
    client = login(personas["grid"])
    entry = KeyPerson.objects.get()
    client.post(reverse("people:key_person_remove", args=[entry.pk]), {"reason": ""})
    assert KeyPerson.objects.filter(pk=entry.pk).exists()
    client.post(reverse("people:key_person_remove", args=[entry.pk]), {"reason": "迁出"})
    assert not KeyPerson.objects.filter(pk=entry.pk).exists()
    assert Event.objects.get(action="key_person.removed").reason == "迁出"


def test_policy_profiles_side_by_side_and_activation(login, personas):
    client = login(personas["command"])
    page = client.get(reverse("policy:profiles"))
    assert {(v.profile.code, v.status) for v in page.context["versions"]} == {
        ("xuchang-2022-05", "available"),
        ("9th-edition", "available"),
        ("20-measures", "in_force"),
    }
    ninth = PolicyProfile.objects.get(code="9th-edition")
    compared = client.get(reverse("policy:compare"), {"b": ninth.pk})
    assert (compared.context["a"].code, compared.context["b"].code) == (
        "20-measures",
        "9th-edition",
    )
    assert any(row.differs for row in compared.context["rows"])
    client.post(reverse("policy:activate", args=[ninth.pk]), {"reason": "演练"})
    assert PolicyProfile.objects.get(is_active=True) == ninth
    assert Event.objects.get(action="policy.activated").reason == "演练"


def test_only_command_may_switch_policy(login, personas):
    ninth = PolicyProfile.objects.get(code="9th-edition")
    response = login(personas["street"]).post(
        reverse("policy:activate", args=[ninth.pk]), {"reason": "x"}
    )
    assert response.status_code == 403
    assert PolicyProfile.objects.get(is_active=True).code == "20-measures"


def test_only_a_city_wide_command_may_switch_policy(login, city):
    """The profile applies to the whole city: a district's command centre (or one without a
    jurisdiction) cannot change it for everyone else."""
    ninth = PolicyProfile.objects.get(code="9th-edition")
    for place in (city.weidu, None):
        commander = f.user(f"cmd_{place.key if place else 'none'}", "command", place)
        client = login(commander)
        page = client.get(reverse("policy:profiles"))
        assert page.context["can_manage"] is False
        response = client.post(reverse("policy:activate", args=[ninth.pk]), {"reason": "x"})
        assert response.status_code == 403
    assert PolicyProfile.objects.get(is_active=True).code == "20-measures"
    assert not Event.objects.filter(action="policy.activated").exists()


def test_audit_log_lists_events_in_scope(login, personas, people):
    login(personas["street"]).post(
        reverse("people:reveal", args=[people["zhang"].pk, "phone"]), {"reason": "回访"}
    )
    page = login(personas["command"]).get(reverse("audit:events"))
    assert [e.action for e in page.context["events"]] == ["pii.revealed"]


def test_english_browser_still_starts_in_chinese(client, personas):
    f.sign_in(client, personas["street"])
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="zh-Hans">' in page.content.decode()


def test_hotline_sees_the_resident_but_not_the_ledger(login, personas, people):
    zhang = people["zhang"]
    page = login(personas["hotline"]).get(reverse("people:resident", args=[zhang.pk]))
    assert page.status_code == 200
    assert "独居老人" not in page.content.decode() and "Elderly living alone" not in (
        page.content.decode()
    )


def test_hospital_reads_the_ledger_without_links_to_resident_pages(login, personas, people):
    page = login(personas["hospital"]).get(reverse("people:key_persons")).content.decode()
    assert "张伟" in page
    assert reverse("people:resident", args=[people["zhang"].pk]) not in page


def test_street_staff_add_a_unit_from_the_building_page(login, personas, city):
    building = city.w[f.Level.BUILDING]
    client = login(personas["street"])
    page = client.get(reverse("places:node", args=[building.key])).content.decode()
    assert "data-add-child" in page
    client.post(reverse("places:add_child", args=[building.key]), {"name": "2单元"})
    child = building.children.get(name="2单元")
    assert (child.level, child.key) == (f.Level.UNIT, building.key + "02")
    grid_page = login(personas["grid"]).get(reverse("places:node", args=[building.key]))
    assert "data-add-child" not in grid_page.content.decode()
