"""The lists behind the dashboard's figures, as they stood at the chosen moment.

A figure names a list (`cases`, `contacts`, `stays`, …) and its filters in the query string;
`figure_rows` returns the rows it counted (the same conditions as `figures`, row by row) and
`columns` how they read on the page and in exports. Personal identifiers never show on the
page and are masked in exports, unless a role that may reveal them asks with a reason.
"""

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, QueryDict
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.command import figures as fig
from fangkong.command.asof import spellings, value_at, value_codes
from fangkong.command.places import Node
from fangkong.core.access import Cap, key_filter, require
from fangkong.epi.models import (
    Case,
    CaseKind,
    CaseStatus,
    Contact,
    ContactStatus,
    Degree,
    ExposureRelation,
    FoundBy,
    FoundWhere,
)
from fangkong.people.idnumber import mask_id_number, mask_phone
from fangkong.places.models import KEY_LENGTH, Division, Level
from fangkong.quarantine.models import Category, RoomStatus, SiteKind, StayStatus


def safe_url(name: str, *args: Any) -> str:
    """A link to another app's page, or none if that page is not there (yet)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


@dataclass(frozen=True)
class Column:
    """A column: the values it reads from a row (`QuerySet.values`) and how it shows them."""

    header: Promise
    fields: tuple[str, ...]
    value: Callable[[dict[str, Any], "Context"], Any]
    personal: bool = False  # an identifier: masked unless revealed
    person: str = ""  # personal: the path of the person it identifies ("person", …)


@dataclass
class Context:
    at: dt.datetime
    since: dt.datetime
    reveal: bool  # identifiers in full: only for an export with a reason
    names: dict[str, str]  # key → name of the streets and communities of the node's rows
    reason: str = ""  # why identifiers are revealed (kept in each person's history)
    _labels: dict[Any, dict[str, str]] = field(default_factory=dict)

    def community(self, key: str) -> str:
        return self.names.get(key[: KEY_LENGTH[Level.COMMUNITY]], "")

    def street(self, key: str) -> str:
        return self.names.get(key[: KEY_LENGTH[Level.STREET]], "")

    def label(self, choices: Any, spelled: str | None) -> str:
        """The label of a code (or of any spelling of it in events), in today's language."""
        if spelled is None:
            return ""
        labels = self._labels.get(choices)
        if labels is None:
            names = {m.value: str(m.label) for m in choices}
            labels = {s: names[c] for s, c in value_codes(choices).items()}
            self._labels[choices] = labels
        return labels.get(spelled, spelled)


def area_names(node: Node) -> dict[str, str]:
    """Streets and communities of the node's rows, by key: those under the node, and the ones
    it is in (a grid worker's rows are all in one community and one street, above the grid).
    One query, a few thousand rows."""
    levels = (Level.STREET, Level.COMMUNITY)
    above = [node.key[: KEY_LENGTH[lv]] for lv in levels if KEY_LENGTH[lv] < len(node.key)]
    rows = Division.objects.filter(
        key_filter(node.key, "key") | Q(key__in=above), level__in=levels
    ).values_list("key", "name")
    return dict(rows)


def _local(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def plain(header: Promise, name: str) -> Column:
    return Column(header, (name,), lambda r, c: r[name])


def dated(header: Promise, name: str) -> Column:
    return Column(header, (name,), lambda r, c: r[name].isoformat() if r[name] else "")


def moment(header: Promise, name: str) -> Column:
    return Column(header, (name,), lambda r, c: _local(r[name]))


def choice(header: Promise, name: str, choices: Any) -> Column:
    return Column(header, (name,), lambda r, c: c.label(choices, r[name]))


def _address(r: dict[str, Any], p: str) -> str:
    """'幸福小区 1号楼 1单元': the compound down to the person's own node (as `place_label`)."""
    names: list[str] = []
    level = r[f"{p}division__level"]
    for i, path in enumerate(("division__", "division__parent__", "division__parent__parent__")):
        if i == 0 or level - i >= Level.COMPOUND:
            names.insert(0, r[f"{p}{path}name"] or "")
    return " ".join(n for n in names if n)


def person_columns(path: str) -> list[Column]:
    """Name, place and identifiers of the person at `path` (e.g. "person")."""
    p = f"{path}__"
    key = f"{p}division_key"
    address = (
        f"{p}division__level",
        f"{p}division__name",
        f"{p}division__parent__name",
        f"{p}division__parent__parent__name",
    )
    return [
        plain(_("Name"), f"{p}name"),
        Column(_("Street"), (key,), lambda r, c: c.street(r[key])),
        Column(_("Community"), (key,), lambda r, c: c.community(r[key])),
        Column(_("Address"), address, lambda r, c: _address(r, p)),
        Column(
            _("ID number"),
            (f"{p}id_number", f"{p}id", key, f"{p}name"),
            lambda r, c: r[f"{p}id_number"] if c.reveal else mask_id_number(r[f"{p}id_number"]),
            personal=True,
            person=path,
        ),
        Column(
            _("Phone"),
            (f"{p}phone", f"{p}id", key, f"{p}name"),
            lambda r, c: r[f"{p}phone"] if c.reveal else mask_phone(r[f"{p}phone"]),
            personal=True,
            person=path,
        ),
    ]


def fields_of(columns: list[Column], *extra: str) -> list[str]:
    """The values a list reads: every column's, and those its links need."""
    out = dict.fromkeys(["pk", *extra])
    for column in columns:
        out.update(dict.fromkeys(column.fields))
    return list(out)


@dataclass(frozen=True)
class FigureList:
    name: str
    title: Promise
    cap: Cap
    rows: Callable[[Node, dt.datetime, dt.datetime, Any], QuerySet[Any]]
    columns: Callable[[], list[Column]]
    link: Callable[[dict[str, Any]], str]
    link_fields: tuple[str, ...] = ()
    registry: Callable[[QueryDict], str] = lambda params: ""  # the app's own list, if any

    def values(self, qs: QuerySet[Any], columns: list[Column]) -> QuerySet[Any]:
        return qs.values(*fields_of(columns, *self.link_fields))


def _choice(params: QueryDict, name: str, allowed: Any) -> str:
    value = params.get(name, "")
    return value if value in allowed else ""


# Cases ----------------------------------------------------------------------------------------


def case_rows(node: Node, at: dt.datetime, since: dt.datetime, params: QueryDict) -> QuerySet[Any]:
    qs = fig.cases_known(node, at).annotate(
        kind_at=value_at(Case, "kind", at), status_at=value_at(Case, "status", at)
    )
    kind = _choice(params, "kind", CaseKind.values)
    if kind:
        qs = qs.filter(kind_at__in=spellings(CaseKind, kind))
    where = _choice(params, "where", FoundWhere.values)
    if where:
        qs = qs.filter(found_where=where)
    status = _choice(params, "status", CaseStatus.values)
    if status:
        qs = qs.filter(status_at__in=spellings(CaseStatus, status))
    if params.get("new") == "1":
        qs = qs.filter(registered_at__gt=since)
    moved = params.get("transferred", "")
    if moved == "1":
        qs = qs.filter(transferred_at__lte=at)
    elif moved == "new":
        qs = qs.filter(transferred_at__gt=since, transferred_at__lte=at)
    if params.get("reclassified") == "1":
        qs = qs.annotate(kind_before=value_at(Case, "kind", since)).filter(
            registered_at__lte=since,
            kind_before__in=spellings(CaseKind, CaseKind.ASYMPTOMATIC),
            kind_at__in=spellings(CaseKind, CaseKind.CONFIRMED),
        )
    return qs.order_by("-reported_on", "-id")


def case_columns() -> list[Column]:
    return [
        plain(_("Case number"), "number"),
        choice(_("Classification"), "kind_at", CaseKind),
        choice(_("Found"), "found_where", FoundWhere),
        choice(_("Found by"), "found_by", FoundBy),
        dated(_("Sampling date"), "sampled_on"),
        dated(_("Onset date"), "onset_on"),
        dated(_("Report date"), "reported_on"),
        moment(_("Registered at"), "registered_at"),
        choice(_("Status"), "status_at", CaseStatus),
        moment(_("Transferred at"), "transferred_at"),
        *person_columns("person"),
    ]


def case_registry(params: QueryDict) -> str:
    """The case registry with the filters it has (it shows today's state)."""
    names = (("kind", "kind"), ("where", "found_where"), ("status", "status"))
    query = {theirs: str(params.get(ours)) for ours, theirs in names if params.get(ours)}
    url = reverse("epi:cases")
    return f"{url}?{urlencode(query)}" if query else url


# Contacts -------------------------------------------------------------------------------------


def contact_rows(
    node: Node, at: dt.datetime, since: dt.datetime, params: QueryDict
) -> QuerySet[Any]:
    qs = fig.contacts_known(node, at).annotate(status_at=value_at(Contact, "status", at))
    degree = _choice(params, "degree", Degree.values)
    if degree:
        qs = qs.filter(degree=degree)
    status = params.get("status", "")
    if status == "not_controlled":
        qs = qs.exclude(
            status_at__in=[
                *spellings(ContactStatus, ContactStatus.UNDER_CONTROL),
                *spellings(ContactStatus, ContactStatus.RELEASED),
            ]
        )
    elif status in ContactStatus.values:
        qs = qs.filter(status_at__in=spellings(ContactStatus, status))
    if params.get("new") == "1":
        qs = qs.filter(identified_at__gt=since)
    return qs.order_by("-id")


def contact_columns() -> list[Column]:
    return [
        choice(_("Degree"), "degree", Degree),
        plain(_("Case"), "case__number"),
        choice(_("Relation"), "relation", ExposureRelation),
        dated(_("Last exposure"), "last_exposure_on"),
        moment(_("Identified at"), "identified_at"),
        moment(_("Case registered at"), "case__registered_at"),
        choice(_("Status"), "status_at", ContactStatus),
        *person_columns("person"),
    ]


def contact_registry(params: QueryDict) -> str:
    query = {"degree": str(params.get("degree", ""))} if params.get("degree") else {}
    if params.get("status") in ContactStatus.values:
        query["status"] = str(params.get("status"))
    url = reverse("epi:contacts")
    return f"{url}?{urlencode(query)}" if query else url


# Quarantine -----------------------------------------------------------------------------------

STAY_STATES = (
    "inside",
    "inside_before",
    "admitted_new",
    "released_new",
    "released",
    "transferred_out_new",
)


def stay_rows(node: Node, at: dt.datetime, since: dt.datetime, params: QueryDict) -> QuerySet[Any]:
    qs = fig.stays_seen(node, at)
    state = _choice(params, "state", STAY_STATES) or "inside"
    conditions = {
        "inside": fig.inside_at(at),
        "inside_before": fig.inside_at(since),
        "admitted_new": Q(checked_in_at__gt=since) & fig.inside_at(at),
        "released_new": fig.ended_between(StayStatus.RELEASED, since, at),
        "released": Q(status=StayStatus.RELEASED, checked_out_at__lte=at),
        "transferred_out_new": fig.ended_between(StayStatus.TRANSFERRED, since, at),
    }
    return qs.filter(conditions[state]).order_by(
        "site__code", "room__building", "room__number", "id"
    )


def stay_columns() -> list[Column]:
    return [
        plain(_("Quarantine site"), "site__name"),
        Column(
            _("Room"),
            ("room__building", "room__number"),
            lambda r, c: "-".join(x for x in (r["room__building"], r["room__number"]) if x),
        ),
        moment(_("Checked in"), "checked_in_at"),
        moment(_("Checked out"), "checked_out_at"),
        choice(_("Status"), "status", StayStatus),
        *person_columns("person"),
    ]


def site_rows(node: Node, at: dt.datetime, since: dt.datetime, params: QueryDict) -> QuerySet[Any]:
    """Sites in use at `at`, with their rooms not closed then."""
    rooms = (
        fig.rooms_open(node, at)
        .filter(site=OuterRef("pk"))
        .order_by()
        .values("site")
        .annotate(n=Count("pk"))
        .values("n")
    )
    room_count = Coalesce(Subquery(rooms, output_field=IntegerField()), 0)
    return fig.sites_open(node, at).annotate(room_count=room_count).order_by("division_key", "code")


def site_columns() -> list[Column]:
    return [
        plain(_("Site code"), "code"),
        plain(pgettext_lazy("of a thing", "Name"), "name"),
        choice(_("Kind"), "kind", SiteKind),
        Column(_("Street"), ("division_key",), lambda r, c: c.street(r["division_key"])),
        plain(_("Address"), "address"),
        moment(_("Opened at"), "opened_at"),
        plain(_("Rooms"), "room_count"),
        plain(_("Phone"), "phone"),
    ]


def room_rows(node: Node, at: dt.datetime, since: dt.datetime, params: QueryDict) -> QuerySet[Any]:
    qs = fig.rooms_open(node, at)
    if params.get("state") == "occupied":
        occupied = fig.stays_seen(node, at).filter(fig.inside_at(at)).values("room_id")
        qs = qs.filter(pk__in=occupied)
    return qs.order_by("site__code", "building", "floor", "number")


def room_columns() -> list[Column]:
    return [
        plain(_("Quarantine site"), "site__name"),
        plain(_("Building"), "building"),
        plain(_("Floor"), "floor"),
        plain(_("Room"), "number"),
        plain(_("Beds"), "beds"),
        choice(_("Status at that moment"), "status_then", RoomStatus),
        choice(_("Status today"), "status", RoomStatus),
    ]


def measure_rows(
    node: Node, at: dt.datetime, since: dt.datetime, params: QueryDict
) -> QuerySet[Any]:
    qs = fig.measures_active(node, at)
    category = _choice(params, "category", Category.values)
    if category:
        qs = qs.filter(category=category)
    return qs.order_by("-starts_on", "-id")


def measure_columns() -> list[Column]:
    return [
        choice(_("Category"), "category", Category),
        moment(_("Started at"), "started_at"),
        dated(_("First day"), "starts_on"),
        dated(_("Last day"), "ends_on"),
        *person_columns("person"),
    ]


# Testing --------------------------------------------------------------------------------------


def round_rows(node: Node, at: dt.datetime, since: dt.datetime, params: QueryDict) -> QuerySet[Any]:
    qs = fig.rounds_started(node, at)
    state = params.get("state", "")
    if state == "closed":
        qs = qs.filter(closed_at__lte=at)
    elif state == "open":
        qs = qs.exclude(closed_at__lte=at)
    return qs.order_by("-starts_at", "-id")


def _by(when: dt.datetime | None, at: dt.datetime) -> bool:
    return when is not None and when <= at


def round_columns() -> list[Column]:
    return [
        plain(_("Round"), "name"),
        plain(_("Area"), "area__name"),
        moment(_("Starts at"), "starts_at"),
        moment(_("Deadline"), "deadline"),
        Column(
            _("Closed at"),
            ("closed_at",),
            lambda r, c: (
                _local(r["closed_at"]) if r["closed_at"] and r["closed_at"] <= c.at else ""
            ),
        ),
        plain(_("Pool size"), "pool_size"),
    ]


LISTS: dict[str, FigureList] = {
    "cases": FigureList(
        "cases",
        _("Cases"),
        Cap.CASES_VIEW,
        case_rows,
        case_columns,
        lambda r: reverse("epi:case", args=[r["pk"]]),
        registry=case_registry,
    ),
    "contacts": FigureList(
        "contacts",
        _("Contacts"),
        Cap.CONTACTS_VIEW,
        contact_rows,
        contact_columns,
        lambda r: reverse("epi:contact", args=[r["pk"]]),
        registry=contact_registry,
    ),
    "stays": FigureList(
        "stays",
        _("People in centralised quarantine"),
        Cap.QUARANTINE_VIEW,
        stay_rows,
        stay_columns,
        lambda r: safe_url("quarantine:room", r["room_id"]),
        link_fields=("room_id",),
    ),
    "sites": FigureList(
        "sites",
        _("Quarantine sites"),
        Cap.QUARANTINE_VIEW,
        site_rows,
        site_columns,
        lambda r: safe_url("quarantine:site", r["pk"]),
    ),
    "rooms": FigureList(
        "rooms",
        _("Quarantine rooms"),
        Cap.QUARANTINE_VIEW,
        room_rows,
        room_columns,
        lambda r: safe_url("quarantine:room", r["pk"]),
    ),
    "measures": FigureList(
        "measures",
        _("People under control measures"),
        Cap.QUARANTINE_VIEW,
        measure_rows,
        measure_columns,
        lambda r: safe_url("quarantine:measure", r["pk"]),
    ),
    "rounds": FigureList(
        "rounds",
        _("Testing rounds"),
        Cap.COVERAGE_VIEW,
        round_rows,
        round_columns,
        lambda r: reverse("lab:round", args=[r["pk"]]),
    ),
}


def figure_list(user: Any, name: str) -> FigureList:
    found = LISTS.get(name)
    if found is None:
        raise Http404
    require(user, found.cap)
    return found


# Figure → the list behind it ------------------------------------------------------------------


def _figure_links() -> dict[str, tuple[str, dict[str, str]]]:
    links: dict[str, tuple[str, dict[str, str]]] = {
        "cases": ("cases", {}),
        "cases_new": ("cases", {"new": "1"}),
        "reclassified_new": ("cases", {"reclassified": "1"}),
        "transferred": ("cases", {"transferred": "1"}),
        "transferred_new": ("cases", {"transferred": "new"}),
        "sites": ("sites", {}),
        "rooms": ("rooms", {}),
        "rooms_occupied": ("rooms", {"state": "occupied"}),
        "measures": ("measures", {}),
        "rounds": ("rounds", {}),
        "rounds_closed": ("rounds", {"state": "closed"}),
        "rounds_open": ("rounds", {"state": "open"}),
    }
    for status in CaseStatus.values:
        links[f"case_{status}"] = ("cases", {"status": status})
    for kind in CaseKind.values:
        links[kind] = ("cases", {"kind": kind})
        links[f"{kind}_new"] = ("cases", {"kind": kind, "new": "1"})
        for where in FoundWhere.values:
            links[f"{kind}_{where}"] = ("cases", {"kind": kind, "where": where})
            links[f"{kind}_new_{where}"] = ("cases", {"kind": kind, "where": where, "new": "1"})
    for degree in Degree.values:
        links[degree] = ("contacts", {"degree": degree})
        links[f"{degree}_new"] = ("contacts", {"degree": degree, "new": "1"})
        links[f"{degree}_not_controlled"] = (
            "contacts",
            {"degree": degree, "status": "not_controlled"},
        )
        for status in ContactStatus.values:
            links[f"{degree}_{status}"] = ("contacts", {"degree": degree, "status": status})
    figure_of_state = {"inside": "people", "inside_before": "people_before"}
    for state in STAY_STATES:
        links[figure_of_state.get(state, state)] = ("stays", {"state": state})
    for category in Category.values:
        links[f"measure_{category}"] = ("measures", {"category": category})
    return links


FIGURE_LINKS = _figure_links()


@functools.cache
def _list_path(name: str, prefix: str, urlconf: str | None) -> str:
    return reverse("command:list", args=[name], urlconf=urlconf)


def figure_url(figure: str, base: dict[str, str]) -> str:
    """The list behind `figure` at the moment and place in `base` ("" if none)."""
    found = FIGURE_LINKS.get(figure)
    if found is None:
        return ""
    name, params = found
    path = _list_path(name, get_script_prefix(), get_urlconf())  # a page has ~150 of these
    return f"{path}?{urlencode({**base, **params})}"


def figure_urls(base: dict[str, str]) -> dict[str, str]:
    return {figure: figure_url(figure, base) for figure in FIGURE_LINKS}


STATE_LABELS = {
    "inside": _("In the room at that moment"),
    "inside_before": _("In the room 24 hours earlier"),
    "admitted_new": _("Arrived in the 24 hours before"),
    "released_new": _("Released in the 24 hours before"),
    "released": _("Released by then"),
    "transferred_out_new": _("Transferred out in the 24 hours before"),
    "occupied": _("Occupied at that moment"),
    "open": _("In progress"),
    "closed": _("Completed"),
}
OTHER_LABELS = {
    "not_controlled": _("Not yet under control"),
    "new": _("New in the 24 hours before"),
    "1": _("Yes"),
}


def describe(params: dict[str, str]) -> list[tuple[Any, Any]]:
    """The filters of a list in words, for its heading."""
    labels: dict[str, tuple[Any, list[Any]]] = {
        "kind": (_("Classification"), [CaseKind]),
        "where": (_("Found"), [FoundWhere]),
        "status": (_("Status"), [CaseStatus, ContactStatus]),
        "degree": (_("Degree"), [Degree]),
        "category": (_("Category"), [Category]),
        "state": (_("Stay"), []),
        "new": (_("Identified in the 24 hours before"), []),
        "transferred": (_("Transferred"), []),
        "reclassified": (_("Reclassified as confirmed in the 24 hours before"), []),
    }
    out = []
    for name, value in params.items():
        label, enums = labels.get(name, (name, []))
        shown: Any = value
        for enum in enums:
            if value in enum.values:
                shown = enum(value).label
                break
        else:
            shown = STATE_LABELS.get(value) or OTHER_LABELS.get(value) or value
        out.append((label, shown))
    return out
