"""Role × jurisdiction matrix over every page: who may open what, and an outsider gets nothing."""

import pytest
from django.urls import reverse

from fangkong.audit.models import Event
from fangkong.core.roles import Role
from fangkong.people.models import KeyPerson, Need, Resident
from fangkong.web.nav import menu_for
from tests import factories as f

ALL = {r.value for r in Role}
REGISTRY_READERS = {"command", "task_force", "street", "grid", "hotline"}

QUARANTINE_STAFF = {"command", "task_force", "street", "grid", "quarantine"}

# page → roles that may open it (explicit, not derived from the code's own table)
CARE_KEEPERS = {"command", "task_force", "street", "grid"}  # the community's side of care
CARE_STAFF = CARE_KEEPERS | {"quarantine", "hotline", "hospital", "dispatch_120"}
# medicine orders: the community, the pharmacies (hospital accounts) and the quarantine sites
# (their own people's); not 120 or 12345, who raise care requests only
MEDICINE_STAFF = CARE_KEEPERS | {"quarantine", "hospital"}

PAGE_ROLES = {
    "home": ALL,
    "care:plans": CARE_KEEPERS,
    "care:plans_due": CARE_KEEPERS,
    "care:medicine": MEDICINE_STAFF,
    "care:lines": CARE_STAFF,
    "assistance:applications": {"command", "street", "grid"},
    "assistance:application_new": {"command", "street", "grid"},
    "places:tree": REGISTRY_READERS,
    "people:residents": REGISTRY_READERS,
    "people:key_persons": {"command", "task_force", "street", "grid", "hospital"},
    "people:key_persons_export": {"command", "task_force", "street", "grid", "hospital"},
    "people:import": {"command", "street"},
    "people:resident_new": {"command", "street", "grid"},
    "policy:profiles": ALL - {"supply"},
    "audit:events": {"command", "street"},
    "tokens": ALL,
    "epi:cases": {"command", "task_force", "street", "grid", "hospital"},
    "epi:case_new": {"command", "task_force"},
    "epi:contacts": {"command", "task_force", "street", "grid"},
    "epi:contact_requests": {"command", "task_force", "street", "grid"},
    "epi:finding": {"command", "task_force"},
    "epi:chains": {"command", "task_force", "street", "grid", "hospital"},
    "epi:checkins": {"command", "task_force"},
    "healthcode:appeals": {"command", "task_force"},
    "lab:rounds": {"command", "task_force", "street", "grid"},
    "lab:sampling": {"command", "street", "grid", "lab", "task_force", "quarantine"},
    "lab:riskposts": {"command", "task_force", "street", "grid"},
    "quarantine:sites": QUARANTINE_STAFF,
    "quarantine:allocate": {"command", "task_force", "quarantine"},
    "quarantine:measures": QUARANTINE_STAFF,
    "quarantine:measure_new": QUARANTINE_STAFF,
    "quarantine:tasks": QUARANTINE_STAFF,
    "quarantine:checks": QUARANTINE_STAFF,
    "quarantine:checks_home": QUARANTINE_STAFF,
    "quarantine:alerts": QUARANTINE_STAFF,
    "quarantine:transfers": QUARANTINE_STAFF | {"hospital"},
    "command:dashboard": {"command", "task_force", "street", "grid", "hospital"},
    "command:report": {"command", "task_force", "street", "grid", "hospital"},
    "command:rounds": {"command", "task_force", "street", "grid"},
    "zones:list": {"command", "task_force", "street"},
    "zones:evaluations": {"command", "task_force", "street"},
    "zones:draw": {"command", "task_force"},
    "travel:trips": {"command", "task_force", "street", "grid"},
    "travel:checkpoint": {"command", "task_force"},
    "travel:handovers": {"command", "task_force", "street", "grid"},
}


@pytest.mark.parametrize("page", sorted(PAGE_ROLES))
def test_each_role_opens_exactly_its_pages(page, login, personas, people):
    for role in Role:
        response = login(personas[role.value]).get(reverse(page))
        allowed = role.value in PAGE_ROLES[page]
        assert (response.status_code in (200, 302)) == allowed, (page, role.value)
        if not allowed:
            assert response.status_code == 403, (page, role.value)


def _object_pages(people, city):
    zhang = people["zhang"]
    return [
        reverse("people:resident", args=[zhang.pk]),
        reverse("people:resident_edit", args=[zhang.pk]),
        reverse("people:household", args=[people["home"].pk]),
        reverse("places:node", args=[city.weidu.key]),
        reverse("places:node", args=[city.w[f.Level.UNIT].key]),
    ]


def test_outsider_gets_not_found_for_every_object_in_another_district(
    login, personas, people, city
):
    client = login(personas["outsider"])
    for url in _object_pages(people, city):
        assert client.get(url).status_code == 404, url


def test_outsider_changes_nothing_in_another_district(login, personas, people, city):
    zhang = people["zhang"]
    need = Need.objects.create(
        resident=zhang, kind="medicine", description="药", division_key=zhang.division_key
    )
    entry = KeyPerson.objects.get(resident=zhang)
    client = login(personas["outsider"])
    before = Event.objects.count()
    posts = [
        (reverse("people:reveal", args=[zhang.pk, "phone"]), {}),
        (reverse("people:key_person_new", args=[zhang.pk]), {"category": "chronic"}),
        (reverse("people:need_new", args=[zhang.pk]), {"kind": "food", "description": "米"}),
        (reverse("people:need_fulfil", args=[need.pk]), {}),
        (reverse("people:need_cancel", args=[need.pk]), {"reason": "x"}),
        (reverse("people:key_person_remove", args=[entry.pk]), {"reason": "x"}),
        (
            reverse("people:resident_edit", args=[zhang.pk]),
            {"name": "改名", "place": city.w[f.Level.UNIT].code, "reason": "x"},
        ),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    assert Event.objects.count() == before
    zhang.refresh_from_db()
    need.refresh_from_db()
    assert (zhang.name, need.status) == ("张伟", "open")
    assert KeyPerson.objects.filter(pk=entry.pk).exists()


def test_outsider_cannot_register_a_resident_into_another_district(login, personas, city):
    response = login(personas["outsider"]).post(
        reverse("people:resident_new"),
        {"id_number": "11010519491231002X", "name": "陈静", "place": city.w[f.Level.UNIT].code},
    )
    assert "place" in response.context["form"].errors
    assert not Resident.objects.filter(id_number="11010519491231002X").exists()


def test_outsider_lists_show_only_their_own_district(login, personas, people, city):
    client = login(personas["outsider"])
    home = client.get("/")
    assert home.context["figures"]["residents"] == 1
    assert home.context["figures"]["key_persons_total"] == 0
    assert client.get(reverse("places:tree"))["Location"].endswith(f"/{city.jianan.key}/")
    residents = client.get(reverse("people:residents")).context["rows"]
    assert [r.name for r in residents] == ["赵强"]
    for q in ["张伟", "zw", people["zhang"].id_number, people["zhang"].phone]:
        assert client.get(reverse("people:residents"), {"q": q}).context["rows"] == [], q
    assert client.get(reverse("people:key_persons")).context["rows"] == []
    assert client.get(reverse("people:key_persons_export"))["X-Row-Count"] == "0"
    filtered = client.get(reverse("people:residents"), {"place": city.weidu.key})
    assert filtered.context["place"] is None
    assert [r.name for r in filtered.context["rows"]] == ["赵强"]


def test_outsider_audit_log_hides_other_districts(login, personas, people):
    login(personas["street"]).post(
        reverse("people:reveal", args=[people["zhang"].pk, "phone"]), {"reason": "回访"}
    )
    outsider_view = login(personas["outsider"]).get(reverse("audit:events"))
    assert outsider_view.context["events"] == []


def test_grid_worker_sees_only_their_grid(login, personas, people, city):
    other_grid = f.division(
        city.w[f.Level.COMMUNITY].key + "02", "第二网格", f.Level.GRID, city.w[f.Level.COMMUNITY]
    )
    stranger = f.resident(other_grid, "孙磊")
    client = login(personas["grid"])
    names = {r.name for r in client.get(reverse("people:residents")).context["rows"]}
    assert names == {"张伟", "李秀英", "王芳"}
    assert client.get(reverse("people:resident", args=[stranger.pk])).status_code == 404


def test_user_without_jurisdiction_sees_nothing(login, people, city):
    nobody = f.user("nobody", "street", None)
    client = login(nobody)
    assert client.get(reverse("people:residents")).context["rows"] == []
    assert client.get("/").context["figures"]["residents"] == 0


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_every_menu_item_opens_for_the_role_that_sees_it(role, login, personas, people):
    """The menu offers only pages the role may open (120 and 12345 hold care.view, but the
    medicine page refuses them: it was in their menu and answered 403)."""
    user = personas[role]
    client = login(user)
    items = [item for group in menu_for(user) for item in group["items"]]
    assert items, role
    refused = [
        (item["url"], status)
        for item in items
        if (status := client.get(item["url"]).status_code) not in (200, 302)
    ]
    assert not refused, (role, refused)
