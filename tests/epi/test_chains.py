"""Transmission chains: clusters as connected components, sizes, aggregation, scope."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fangkong.epi.chains import graph as chains
from fangkong.epi.models import CaseKind, Degree
from tests import factories as f
from tests.epi.conftest import make_case, make_contact

D = dt.date(2022, 1, 10)


@pytest.fixture
def unit(city):
    return city.w[f.Level.UNIT]


@pytest.fixture
def outbreak(unit, people):
    """Two clusters in 魏都区.

    A (张伟) → 李秀英 (close) → 钱 (secondary); 李秀英 became case C → 孙 (close); A → 王芳.
    B (周) → 吴 (close), apart from the rest.
    """
    a = make_case(people["zhang"], onset_on=D - dt.timedelta(days=2))
    li = make_contact(a, people["li"], last_exposure_on=D - dt.timedelta(days=3))
    make_contact(a, people["wang"], last_exposure_on=D - dt.timedelta(days=3))
    qian = f.resident(unit, "钱多多")
    make_contact(a, qian, degree=Degree.SECONDARY, via=li, last_exposure_on=D - dt.timedelta(1))
    c = make_case(people["li"], kind=CaseKind.ASYMPTOMATIC, reported_on=D + dt.timedelta(days=1))
    li.became_case = c
    li.save()
    make_contact(c, f.resident(unit, "孙丽"), last_exposure_on=D)
    b = make_case(f.resident(unit, "周杰"), reported_on=D + dt.timedelta(days=2))
    make_contact(b, f.resident(unit, "吴敏"), last_exposure_on=D)
    return {"a": a, "b": b, "c": c}


def test_clusters_are_the_connected_components_largest_first(outbreak, personas):
    found = chains.chain_clusters(personas["command"])

    assert [(c.key, c.size, c.cases, c.close, c.secondary) for c in found] == [
        (outbreak["a"].pk, 5, 2, 2, 1),  # 张伟, 李秀英 (now a case), 王芳, 孙丽, 钱多多
        (outbreak["b"].pk, 2, 1, 1, 0),
    ]
    assert found[0].numbers == [outbreak["a"].number, outbreak["c"].number]
    assert chains.chain_totals(found) == {"clusters": 2, "cases": 3, "close": 3, "secondary": 1}


def test_a_case_without_contacts_is_a_cluster_of_one(people, personas):
    lone = make_case(people["wang"])

    [only] = chains.chain_clusters(personas["command"])

    assert (only.key, only.size, only.cases) == (lone.pk, 1, 1)


def test_the_chain_graph_draws_everyone_when_small(outbreak, personas):
    graph = chains.chain_graph(personas["command"], outbreak["c"].pk)

    names = {n["name"] for n in graph["nodes"]}
    assert f"{outbreak['a'].number} 张伟" in names and "钱多多" in names
    assert graph["size"] == len(graph["nodes"]) == 5 and not graph["aggregated"]
    cats = {n["name"]: graph["categories"][n["category"]]["name"] for n in graph["nodes"]}
    assert cats["钱多多"] == str(Degree.SECONDARY.label)
    assert cats[f"{outbreak['c'].number} 李秀英"] == str(CaseKind.ASYMPTOMATIC.label)
    ids = {n["name"]: n["id"] for n in graph["nodes"]}
    links = {(link["source"], link["target"]) for link in graph["links"]}
    assert (ids[f"{outbreak['a'].number} 张伟"], ids[f"{outbreak['c'].number} 李秀英"]) in links
    assert (ids[f"{outbreak['c'].number} 李秀英"], ids["钱多多"]) in links


def test_the_timeline_counts_cases_and_contacts_per_day(outbreak, personas):
    t = chains.chain_graph(personas["command"], outbreak["a"].pk)["timeline"]

    assert t["days"][0] == "2022-01-07" and t["days"][-1] == "2022-01-11"
    assert len(t["days"]) == 5  # every day in between, even quiet ones
    assert sum(t["onset"]) == 2 and sum(t["reported"]) == 2
    assert t["exposed"] == [1, 0, 1, 1, 0]  # 李秀英 counts as a case now, not a contact


@pytest.fixture
def big_case(unit, people):
    """One case with 60 close contacts, the first 3 of them with 5 secondary contacts each."""
    case = make_case(people["zhang"])
    for i in range(60):
        contact = make_contact(case, f.resident(unit, f"密接{i}"))
        if i < 3:
            for j in range(5):
                p = f.resident(unit, f"次密{i}-{j}")
                make_contact(case, p, degree=Degree.SECONDARY, via=contact)
    return case


@pytest.mark.parametrize("cap", [5, 12, 30, 70, 100])
def test_aggregation_keeps_the_node_count_under_the_cap_and_loses_nobody(big_case, personas, cap):
    graph = chains.chain_graph(personas["command"], big_case.pk, max_nodes=cap)

    assert len(graph["nodes"]) <= cap
    people = sum(n.get("count", 1) for n in graph["nodes"])
    assert people == graph["size"] == 76
    assert graph["aggregated"] == (cap < 76)
    ids = {n["id"] for n in graph["nodes"]}
    assert all(link["source"] in ids and link["target"] in ids for link in graph["links"])


def test_a_case_with_too_many_contacts_becomes_one_counted_node(big_case, personas):
    graph = chains.chain_graph(personas["command"], big_case.pk, max_nodes=12)

    close = [n for n in graph["nodes"] if n.get("aggregate") and n["category"] == 2]
    assert [n["name"] for n in close] == ["+60 close contacts"]


def test_roles_that_may_not_see_contacts_get_counts_only(outbreak, personas):
    graph = chains.chain_graph(personas["hospital"], outbreak["b"].pk)

    assert [n.get("count") for n in graph["nodes"]] == [None, 1]
    assert "吴敏" not in str(graph)


def test_an_outsider_sees_no_cluster_and_no_chain(outbreak, personas, login):
    client = login(personas["outsider"])

    assert chains.chain_clusters(personas["outsider"]) == []
    assert client.get(reverse("epi:chains")).status_code == 200
    assert client.get(reverse("epi:chain", args=[outbreak["a"].pk])).status_code == 404
    assert client.get("/api/chains").json()["items"] == []
    assert client.get(f"/api/chains/{outbreak['a'].pk}").status_code == 404


def test_a_contact_living_elsewhere_shows_the_case_unnamed(outbreak, people, personas):
    make_contact(outbreak["b"], people["other"])  # 赵强 lives in 建安区

    [cluster] = chains.chain_clusters(personas["outsider"])
    graph = chains.chain_graph(personas["outsider"], cluster.key)

    assert cluster.numbers == [] and cluster.size == 2
    assert outbreak["b"].number not in str(graph) and "周杰" not in str(graph)
    assert {n["name"] for n in graph["nodes"]} == {"Case elsewhere", "赵强"}


@pytest.mark.parametrize(("role", "status"), [("lab", 403), ("supply", 403), ("grid", 200)])
def test_who_may_see_chains(outbreak, personas, login, role, status):
    client = login(personas[role])

    assert client.get(reverse("epi:chains")).status_code == status
    assert client.get(reverse("epi:chain", args=[outbreak["a"].pk])).status_code == status
    assert client.get("/api/chains").status_code == status
    assert client.get(f"/api/chains/{outbreak['a'].pk}").status_code == status


def test_the_chain_pages_show_clusters_and_the_graph(outbreak, personas, login):
    client = login(personas["street"])

    overview = client.get(reverse("epi:chains"))
    chain = client.get(reverse("epi:chain", args=[outbreak["a"].pk]))

    assert outbreak["a"].number in overview.text and outbreak["b"].number in overview.text
    assert overview.text.index(outbreak["a"].number) < overview.text.index(outbreak["b"].number)
    assert chain.status_code == 200
    assert 'id="chain-data"' in chain.text and "vendor/echarts/echarts.min.js" in chain.text
    assert outbreak["c"].number in chain.text
    data = json.loads(chain.text.split('id="chain-data" type="application/json">')[1].split("<")[0])
    assert "钱多多" in {n["name"] for n in data["nodes"]}


def test_the_chain_api(outbreak, personas, login):
    client = login(personas["command"])

    listed = client.get("/api/chains?limit=1").json()
    graph = client.get(f"/api/chains/{outbreak['a'].pk}?max_nodes=10").json()

    assert [c["key"] for c in listed["items"]] == [outbreak["a"].pk]
    assert listed["next_offset"] == 1
    assert listed["items"][0]["case_numbers"] == [outbreak["a"].number, outbreak["c"].number]
    assert graph["size"] == 5 and len(graph["nodes"]) == 5
    assert graph["timeline"]["days"][0] == "2022-01-07"


def test_the_clusters_take_two_queries(outbreak, personas, django_assert_num_queries):
    with django_assert_num_queries(2):
        chains.chain_clusters(personas["command"])


def test_the_chain_graph_takes_three_queries(big_case, personas, django_assert_num_queries):
    with django_assert_num_queries(3):
        chains.chain_graph(personas["command"], big_case.pk, max_nodes=20)


def test_the_overview_page_costs_the_same_queries_however_many_clusters(
    outbreak, unit, personas, login
):
    client = login(personas["command"])
    url = reverse("epi:chains")

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = queries()
    for i in range(30):
        case = make_case(f.resident(unit, f"新病例{i}"))
        make_contact(case, f.resident(unit, f"新密接{i}"))
    assert queries() == before
