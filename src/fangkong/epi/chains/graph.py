"""Transmission chains: people linked by exposure, grouped into clusters (connected components).

Nodes are people: cases and their contacts. Edges run case → close contact and close contact
→ secondary contact; a contact who became a case is the same person, so the chain continues
through them. A cluster is a connected component, named by its earliest case.

Built from two `values_list` queries over what the user may see, with union-find in Python,
so a city with 100,000 contacts costs two queries and well under a second. A chain sent to
the browser never holds more than `MAX_NODES` nodes: where a case has too many contacts they
are drawn as one node ("+1,234 close contacts").
"""

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.core.access import Cap, can, require, scoped
from fangkong.epi.models import Case, CaseKind, Contact, Degree
from fangkong.people.models import Resident

MAX_NODES = 2000

# Node categories, in the order the chart's legend lists them.
CATEGORIES = ("confirmed", "asymptomatic", "close", "secondary")


def category_labels() -> list[str]:
    return [
        str(CaseKind.CONFIRMED.label),
        str(CaseKind.ASYMPTOMATIC.label),
        str(Degree.CLOSE.label),
        str(Degree.SECONDARY.label),
    ]


@dataclass
class CaseNode:
    case_id: int
    number: str  # "" when the case is outside the user's jurisdiction
    kind: str
    onset_on: dt.date | None = None
    reported_on: dt.date | None = None


@dataclass
class Network:
    """Everything a user may see, as plain ids: cases, contacts and their links."""

    cases: dict[int, CaseNode] = field(default_factory=dict)  # person id → their (first) case
    degree: dict[int, str] = field(default_factory=dict)  # contact person id → close/secondary
    exposed_on: dict[int, dt.date] = field(default_factory=dict)  # contact → last exposure
    parent: dict[int, int] = field(default_factory=dict)  # contact → who exposed them (first)
    edges: set[tuple[int, int]] = field(default_factory=set)
    links: dict[int, int] = field(default_factory=dict)  # union-find forest

    def find(self, p: int) -> int:
        root = p
        while (up := self.links.get(root, root)) != root:
            root = up
        while p != root:  # path compression
            self.links[p], p = root, self.links.get(p, p)
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.links[max(ra, rb)] = min(ra, rb)


def network_for_user(user: Any) -> Network:
    """The user's cases and contacts as a network (two queries)."""
    require(user, Cap.CASES_VIEW)
    net = Network()
    cases = scoped(Case.objects.all(), user).order_by("id")
    for case_id, person_id, number, kind, onset, sampled, reported in cases.values_list(
        "id", "person_id", "number", "kind", "onset_on", "sampled_on", "reported_on"
    ):
        net.cases.setdefault(person_id, CaseNode(case_id, number, kind, onset or sampled, reported))
        net.find(person_id)
    contacts = scoped(Contact.objects.all(), user).order_by("id")
    rows = contacts.values_list(
        "person_id",
        "case_id",
        "case__person_id",
        "case__kind",
        "degree",
        "via__person_id",
        "last_exposure_on",
    )
    secondary = []
    for row in rows:
        person_id, case_id, case_person, case_kind, degree, via_person, last_on = row
        if case_person not in net.cases:  # a case outside the jurisdiction: shown unnamed
            net.cases[case_person] = CaseNode(case_id, "", case_kind)
        if degree == Degree.SECONDARY and via_person:
            secondary.append(row)
        else:
            _add_contact(net, person_id, case_person, degree, last_on)
    for person_id, _c, case_person, _k, degree, via_person, last_on in secondary:
        # exposed through a close contact the user cannot see: hang them on the case
        known = via_person in net.degree or via_person in net.cases
        _add_contact(net, person_id, via_person if known else case_person, degree, last_on)
    return net


def _add_contact(net: Network, person: int, source: int, degree: str, last_on: dt.date) -> None:
    if person != source:
        net.edges.add((source, person))
        net.parent.setdefault(person, source)
    if net.degree.get(person) != Degree.CLOSE:
        net.degree[person] = degree
    if last_on and (person not in net.exposed_on or last_on > net.exposed_on[person]):
        net.exposed_on[person] = last_on
    net.union(source, person)


def category_of(net: Network, person: int) -> str:
    node = net.cases.get(person)
    if node is not None:
        return "asymptomatic" if node.kind == CaseKind.ASYMPTOMATIC else "confirmed"
    return "close" if net.degree.get(person) == Degree.CLOSE else "secondary"


# Clusters ------------------------------------------------------------------------------


@dataclass
class Cluster:
    key: int  # the id of its earliest case: /chains/<key>/ shows it
    members: list[int]
    cases: int = 0
    close: int = 0
    secondary: int = 0
    numbers: list[str] = field(default_factory=list)  # case numbers, earliest first
    first_onset: dt.date | None = None

    @property
    def size(self) -> int:
        return len(self.members)


def clusters(net: Network) -> list[Cluster]:
    """Connected components, largest first (ties: earliest case first)."""
    groups: dict[int, list[int]] = defaultdict(list)
    for person in set(net.cases) | set(net.degree):
        groups[net.find(person)].append(person)
    out = [_summary(net, members) for members in groups.values()]
    out.sort(key=lambda c: (-c.size, c.key))
    return out


def _summary(net: Network, members: list[int]) -> Cluster:
    counts = Counter(category_of(net, p) for p in members)
    nodes = sorted((net.cases[p] for p in members if p in net.cases), key=lambda n: n.case_id)
    onsets = [n.onset_on for n in nodes if n.onset_on]
    return Cluster(
        key=nodes[0].case_id if nodes else 0,
        members=members,
        cases=counts["confirmed"] + counts["asymptomatic"],
        close=counts["close"],
        secondary=counts["secondary"],
        numbers=[n.number for n in nodes if n.number],
        first_onset=min(onsets) if onsets else None,
    )


def chain_clusters(user: Any) -> list[Cluster]:
    """The user's clusters, largest first (two queries)."""
    return clusters(network_for_user(user))


def chain_totals(found: list[Cluster]) -> dict[str, int]:
    return {
        "clusters": len(found),
        "cases": sum(c.cases for c in found),
        "close": sum(c.close for c in found),
        "secondary": sum(c.secondary for c in found),
    }


def cluster_of_case(net: Network, case_id: int) -> list[int]:
    """The members of the cluster holding `case_id`; 404 when the user cannot see that case."""
    person = next((p for p, n in net.cases.items() if n.case_id == case_id), None)
    if person is None:
        raise Http404
    root = net.find(person)
    return [p for p in set(net.cases) | set(net.degree) if net.find(p) == root]


# One chain as a chart ----------------------------------------------------------------------


@dataclass
class Layout:
    """Who is drawn as themselves, and who is folded into an aggregate node (a count)."""

    rep: dict[int, str] = field(default_factory=dict)  # person → aggregate node id
    aggregates: dict[str, dict[str, Any]] = field(default_factory=dict)

    def fold(self, net: Network, people: list[int], prefix: str) -> None:
        for category, group in _by_category(net, people).items():
            node_id = f"{prefix}-{category}"
            for p in group:
                self.rep[p] = node_id
            self.aggregates[node_id] = {"id": node_id, "category": category, "count": len(group)}


def _by_category(net: Network, people: list[int]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = defaultdict(list)
    for p in people:
        out[category_of(net, p)].append(p)
    return out


def _children(net: Network, members: list[int]) -> dict[int, list[int]]:
    kids: dict[int, list[int]] = defaultdict(list)
    for p in sorted(members):
        if p not in net.cases and p in net.parent:
            kids[net.parent[p]].append(p)
    return kids


def _below(kids: dict[int, list[int]], roots: list[int]) -> list[int]:
    """Everyone exposed through `roots` (not the roots themselves)."""
    out: list[int] = []
    stack = [k for r in roots for k in kids.get(r, ())]
    while stack:
        p = stack.pop()
        out.append(p)
        stack.extend(kids.get(p, ()))
    return out


def layout(net: Network, members: list[int], max_nodes: int, *, individuals: bool) -> Layout:
    """Fit a cluster into `max_nodes` nodes, drawing the smallest groups person by person.

    Every case's contacts start folded into counts ("+n close contacts", "+m secondary
    contacts"); then groups are opened smallest first while the budget lasts: a case's close
    contacts (their secondaries still folded per contact), then those secondaries. Cases beyond
    what fits fold into "+k more cases". `individuals=False` (a role that may not see
    contacts) keeps every contact folded.
    """
    lay = Layout()
    if individuals and len(members) <= max_nodes:
        return lay
    kids = _children(net, members)
    folded_cost = {p: len(_by_category(net, kids.get(p, []))) for p in kids}
    below_cost = {p: len(_by_category(net, _below(kids, kids.get(p, [])))) for p in kids}
    budget = max_nodes - len(CATEGORIES)  # room for the "+k more cases" nodes
    shown: list[int] = []
    hidden: list[int] = []
    for p in sorted((p for p in members if p in net.cases), key=lambda p: net.cases[p].case_id):
        cost = 1 + folded_cost.get(p, 0) + below_cost.get(p, 0)
        if not hidden and cost <= budget:
            shown.append(p)
            budget -= cost
        else:
            hidden.append(p)
    if hidden:
        lay.fold(net, [*hidden, *_below(kids, hidden)], "more")
    opened: set[int] = set()
    if individuals:
        budget = _open_groups(net, kids, shown, budget, opened)
        closes = [c for p in opened for c in kids[p] if kids.get(c)]
        for c in sorted(closes, key=lambda c: len(_below(kids, [c]))):
            extra = len(_below(kids, [c])) - below_cost.get(c, 0)
            if extra > budget:
                break
            budget -= extra
            opened.add(c)
    for p in shown:
        if p in opened:
            for c in kids.get(p, []):
                if c not in opened and kids.get(c):
                    lay.fold(net, _below(kids, [c]), f"c{c}")
        elif kids.get(p):
            lay.fold(net, kids[p], f"c{p}")
            lay.fold(net, _below(kids, kids[p]), f"c{p}-below")
    return lay


def _open_groups(
    net: Network, kids: dict[int, list[int]], shown: list[int], budget: int, opened: set[int]
) -> int:
    def folded(p: int) -> int:
        return len(_by_category(net, kids[p])) + len(_by_category(net, _below(kids, kids[p])))

    def unfolded(p: int) -> int:
        return sum(1 + len(_by_category(net, _below(kids, [c]))) for c in kids[p])

    for p in sorted((p for p in shown if kids.get(p)), key=lambda p: len(kids[p])):
        extra = unfolded(p) - folded(p)
        if extra > budget:
            break
        budget -= extra
        opened.add(p)
    return budget


def _aggregate_label(agg: dict[str, Any]) -> str:
    n, count = agg["count"], f"{agg['count']:,}"
    if agg["category"] == "close":
        return ngettext("+%(n)s close contact", "+%(n)s close contacts", n) % {"n": count}
    if agg["category"] == "secondary":
        return ngettext("+%(n)s secondary contact", "+%(n)s secondary contacts", n) % {"n": count}
    return ngettext("+%(n)s more case", "+%(n)s more cases", n) % {"n": count}


def chain_graph(user: Any, case_id: int, *, max_nodes: int = MAX_NODES) -> dict[str, Any]:
    """One cluster as chart data: at most `max_nodes` nodes, the links between them, a timeline.

    Three queries: cases, contacts, and the names of the people drawn one by one.
    """
    net = network_for_user(user)
    members = cluster_of_case(net, case_id)
    lay = layout(net, members, max_nodes, individuals=can(user, Cap.CONTACTS_VIEW))
    shown = sorted((p for p in members if p not in lay.rep), key=lambda p: _order(net, p))
    names = _names(shown)
    index = {c: i for i, c in enumerate(CATEGORIES)}
    nodes = [_person_node(net, p, names, index) for p in shown]
    for agg in lay.aggregates.values():
        nodes.append(
            {
                "id": agg["id"],
                "name": _aggregate_label(agg),
                "category": index[agg["category"]],
                "count": agg["count"],
                "aggregate": True,
            }
        )
    inside = set(members)
    links = {
        (lay.rep.get(a, str(a)), lay.rep.get(b, str(b)))
        for a, b in net.edges
        if a in inside and b in inside
    }
    cluster = _summary(net, members)
    return {
        "key": cluster.key,
        "size": cluster.size,
        "cases": cluster.cases,
        "close": cluster.close,
        "secondary": cluster.secondary,
        "aggregated": bool(lay.aggregates),
        "categories": [{"name": n} for n in category_labels()],
        "nodes": nodes,
        "links": [{"source": a, "target": b} for a, b in sorted(links) if a != b],
        "timeline": timeline(net, members),
    }


def _order(net: Network, p: int) -> tuple[int, int]:
    node = net.cases.get(p)
    return (0, node.case_id) if node else (1, p)


def _names(people: list[int]) -> dict[int, str]:
    if not people:
        return {}
    return dict(Resident.objects.filter(pk__in=people).values_list("id", "name"))


def _person_node(
    net: Network, p: int, names: dict[int, str], index: dict[str, int]
) -> dict[str, Any]:
    category = index[category_of(net, p)]
    node = net.cases.get(p)
    if node is None:
        return {"id": str(p), "name": names.get(p, ""), "category": category}
    label = f"{node.number} {names.get(p, '')}".strip() if node.number else _("Case elsewhere")
    return {"id": str(p), "name": label, "category": category, "case": node.case_id}


def timeline(net: Network, members: list[int]) -> dict[str, list[Any]]:
    """Per day: cases by onset (or sampling) and by report, contacts by last exposure."""
    onset: Counter[dt.date] = Counter()
    reported: Counter[dt.date] = Counter()
    exposed: Counter[dt.date] = Counter()
    for p in members:
        node = net.cases.get(p)
        if node is not None:
            if node.onset_on:
                onset[node.onset_on] += 1
            if node.reported_on:
                reported[node.reported_on] += 1
        elif p in net.exposed_on:
            exposed[net.exposed_on[p]] += 1
    days = sorted(set(onset) | set(reported) | set(exposed))
    if days:
        span = (days[-1] - days[0]).days
        days = [days[0] + dt.timedelta(days=i) for i in range(span + 1)]
    return {
        "days": [d.isoformat() for d in days],
        "onset": [onset[d] for d in days],
        "reported": [reported[d] for d in days],
        "exposed": [exposed[d] for d in days],
    }
