"""The daily situation report in the form of a city's press release (许昌, 7 May 2022).

"As of 8:00 on 7 May, the city had reported 43 confirmed cases and 62 asymptomatic
infections in this outbreak, all transferred in a closed loop; 5,431 close and 27,526
secondary contacts traced, all under control; 74 quarantine sites with 11,833 rooms holding
9,807 people; 41 sealed and 151 controlled zones; a fifth round of mass testing under way."

`report_for` computes the figures at the cut-off and 24 hours before (`figures.situation`),
`paragraphs` writes them as sentences, `headline_rows` and `area_rows` as tables; the page,
the PDF (WeasyPrint), the XLSX and the API all read these.
"""

import datetime as dt
import functools
import io
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, npgettext, pgettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from fangkong.care.models import Facility
from fangkong.command.figures import Area, Situation, situation, transfer_destinations
from fangkong.command.places import Node
from fangkong.core.pdf import html_to_pdf_cached
from fangkong.core.tabular import xlsx_append
from fangkong.epi.models import CaseKind, ContactStatus, Degree, Destination
from fangkong.policy.accessor import Policy, in_force, load
from fangkong.zones.selectors import level_label

CJK_STOPS = ("。", "！", "？")


@dataclass
class Report:
    situation: Situation
    day: dt.date
    hour: int

    @property
    def title(self) -> str:
        return _("Epidemic prevention and control situation report: %(place)s") % {
            "place": self.situation.node.name
        }

    @property
    def as_of(self) -> str:
        return _("As of %(hour)s:00 on %(date)s") % {
            "hour": self.hour,
            "date": formats.date_format(self.day, "DATE_FORMAT"),
        }

    @functools.cached_property
    def hospitals(self) -> list[tuple[str, int]]:
        """The hospitals the cases had been transferred to by the cut-off, with their cases,
        most first: the name each transfer recorded; where one recorded none, the designated
        hospital the policy of the day names (its medical-care routing), else the kind of
        hospital ("designated hospital", "shelter hospital"). One query (two if a name is
        missing and the policy names a facility)."""
        named: Counter[str] = Counter()
        for kind, name, n in transfer_destinations(self.situation.node, self.situation.at):
            named[name or self._unnamed(kind)] += n
        return sorted(named.items(), key=lambda item: (-item[1], item[0]))

    def _unnamed(self, kind: str) -> str:
        if kind == Destination.SHELTER_HOSPITAL:
            return str(Destination.SHELTER_HOSPITAL.label)
        return self._designated or str(Destination.DESIGNATED_HOSPITAL.label)

    @functools.cached_property
    def _designated(self) -> str:
        """The name of the designated hospital the policy of the day routes patients under
        control to (`care.routes`, a rule to "designated" naming a facility), if any."""
        codes = [
            route.facility
            for route in policy_for_day(self.day).rules.care.routes
            if route.destination == "designated" and route.facility
        ]
        if not codes:
            return ""
        names = dict(Facility.objects.filter(code__in=codes).values_list("code", "name"))
        return next((names[code] for code in codes if code in names), "")


def cut_off(day: dt.date, hour: int | None = None) -> dt.datetime:
    """`hour`:00 on `day` (default: the report time of the policy in force that day)."""
    hour = report_hour(day) if hour is None else hour
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def policy_for_day(day: dt.date) -> Policy:
    """The policy the report of `day` is written under: the one in force as the day begins
    (its `reporting.report_hour` is the report time, e.g. 8 for "截至…8时")."""
    return load(in_force(timezone.make_aware(dt.datetime.combine(day, dt.time(0)))))


def report_hour(day: dt.date) -> int:
    """The report time of `day`, from the policy in force (never from code)."""
    return policy_for_day(day).rules.reporting.report_hour


def report_for(user: Any, node: Node, day: dt.date, hour: int | None = None) -> Report:
    """The report of `day` as of `hour`:00 (default: the policy's report time)."""
    hour = report_hour(day) if hour is None else hour
    return Report(situation(user, node, cut_off(day, hour)), day, hour)


def _people_change(n: int) -> str:
    """The change in people in quarantine over the day (较24小时前增加3人)."""
    if n > 0:
        return pgettext("people in quarantine", "%(n)s more than 24 hours earlier") % {"n": n}
    if n < 0:
        return pgettext("people in quarantine", "%(n)s fewer than 24 hours earlier") % {"n": -n}
    return pgettext("people in quarantine", "unchanged from 24 hours earlier")


def sectioned_paragraphs(report: Report) -> list[tuple[str, str]]:
    """The report's paragraphs, each with the section it tells (the parts the role may see)."""
    s = report.situation
    out = []
    if "cases" in s.sections:
        out.append(("cases", _cases_text(report)))
    if "contacts" in s.sections:
        out.append(("contacts", _contacts_text(s)))
    if "quarantine" in s.sections:
        out.append(("quarantine", _quarantine_text(s)))
    if "zones" in s.sections:
        out.append(("zones", _zones_text(s)))
    if "testing" in s.sections:
        out.append(("testing", _testing_text(s)))
    if s.care is not None:
        out.append(("care", _care_text(s.care)))
    return [(section, text) for section, text in out if text]


def paragraphs(report: Report) -> list[str]:
    return [text for _section, text in sectioned_paragraphs(report)]


def _n(phrase: str, n: int) -> str:
    """A counted phrase of the report ("1 close contact", "6 close contacts"; 密切接触者 6 人),
    from `npgettext` with the context "daily report": sentences are built of these so English
    agrees in number and Chinese keeps its measure words."""
    return phrase % {"n": n}


def _sentences(*sentences: str) -> str:
    """Sentences one after the other: a space after a Western full stop, none after a Chinese
    one (。), as each language is typeset."""
    out = ""
    for sentence in sentences:
        if out and not out.endswith(CJK_STOPS):
            out += " "
        out += sentence
    return out


def _cases_text(report: Report) -> str:
    s = report.situation
    t = s.total
    place = s.node.name
    if t["cases"] == 0:
        return _("%(as_of)s, %(place)s had reported no case in this outbreak.") % {
            "as_of": report.as_of,
            "place": place,
        }
    parts = [
        _("%(as_of)s, %(place)s had reported %(confirmed)s and %(asymptomatic)s in this outbreak.")
        % {
            "as_of": report.as_of,
            "place": place,
            "confirmed": _n(
                npgettext(
                    "daily report",
                    "%(n)s confirmed case",
                    "%(n)s confirmed cases",
                    t[CaseKind.CONFIRMED],
                ),
                t[CaseKind.CONFIRMED],
            ),
            "asymptomatic": _n(
                npgettext(
                    "daily report",
                    "%(n)s asymptomatic infection",
                    "%(n)s asymptomatic infections",
                    t[CaseKind.ASYMPTOMATIC],
                ),
                t[CaseKind.ASYMPTOMATIC],
            ),
        }
    ]
    if t["transferred"]:
        parts.append(_transferred_text(report))
    parts.append(
        _(
            "In the preceding 24 hours, %(confirmed)s (%(c_community)s found in the community, "
            "%(c_quarantine)s in quarantine or controlled areas) and %(asymptomatic)s "
            "(%(a_community)s in the community, %(a_quarantine)s in quarantine or controlled "
            "areas) were reported."
        )
        % {
            "confirmed": _n(
                npgettext(
                    "daily report",
                    "%(n)s new confirmed case",
                    "%(n)s new confirmed cases",
                    t["confirmed_new"],
                ),
                t["confirmed_new"],
            ),
            "c_community": t["confirmed_new_community"],
            "c_quarantine": t["confirmed_new_quarantine"],
            "asymptomatic": _n(
                npgettext(
                    "daily report",
                    "%(n)s new asymptomatic infection",
                    "%(n)s new asymptomatic infections",
                    t["asymptomatic_new"],
                ),
                t["asymptomatic_new"],
            ),
            "a_community": t["asymptomatic_new_community"],
            "a_quarantine": t["asymptomatic_new_quarantine"],
        }
    )
    if t["reclassified_new"]:
        parts.append(
            _n(
                npgettext(
                    "daily report",
                    "%(n)s asymptomatic infection was reclassified as a confirmed case.",
                    "%(n)s asymptomatic infections were reclassified as confirmed cases.",
                    t["reclassified_new"],
                ),
                t["reclassified_new"],
            )
        )
    return _sentences(*parts)


def _transferred_text(report: Report) -> str:
    """Where the cases went: "All of them have been transferred in a closed loop to 许昌市
    中心医院 (30 cases) and 许昌方舱医院 (13 cases)" (目前已全部闭环转运至许昌市中心医院（30例）、
    许昌方舱医院（13例）救治), one hospital without its count, every hospital named."""
    t = report.situation.total
    hospitals = report.hospitals or [(str(Destination.DESIGNATED_HOSPITAL.label), 0)]
    if len(hospitals) == 1:
        named = hospitals[0][0]
    else:
        named = listed(
            [
                npgettext(
                    "daily report", "%(hospital)s (%(n)s case)", "%(hospital)s (%(n)s cases)", n
                )
                % {"hospital": name, "n": n}
                for name, n in hospitals
            ]
        )
    if t["transferred"] == t["cases"]:
        return _("All of them have been transferred in a closed loop to %(hospitals)s.") % {
            "hospitals": named
        }
    return pgettext("daily report", "%(transferred)s; %(waiting)s.") % {
        "transferred": npgettext(
            "daily report",
            "%(n)s of them has been transferred in a closed loop to %(hospitals)s",
            "%(n)s of them have been transferred in a closed loop to %(hospitals)s",
            t["transferred"],
        )
        % {"n": t["transferred"], "hospitals": named},
        "waiting": _n(
            npgettext(
                "daily report",
                "%(n)s is awaiting transfer",
                "%(n)s are awaiting transfer",
                t["case_reported"],
            ),
            t["case_reported"],
        ),
    }


def listed(items: list[str]) -> str:
    """Names in a list as each language writes one: "A, B and C"; 甲、乙、丙."""
    if len(items) < 2:
        return "".join(items)
    return pgettext("a list of names", "%(items)s and %(last)s") % {
        "items": pgettext("between names in a list", ", ").join(items[:-1]),
        "last": items[-1],
    }


def _contacts_text(s: Situation) -> str:
    t = s.total
    close, secondary = t[Degree.CLOSE], t[Degree.SECONDARY]
    if close + secondary == 0:
        return _("No close contact had been identified.")
    close_n = _n(
        npgettext("daily report", "%(n)s close contact", "%(n)s close contacts", close), close
    )
    if secondary:
        traced = _(
            "%(close)s and %(secondary)s had been traced (%(close_new)s and %(secondary_new)s "
            "of them in the preceding 24 hours)."
        ) % {
            "close": close_n,
            "secondary": _n(
                npgettext(
                    "daily report", "%(n)s secondary contact", "%(n)s secondary contacts", secondary
                ),
                secondary,
            ),
            "close_new": t["close_new"],
            "secondary_new": t["secondary_new"],
        }
    else:
        traced = _(
            "%(close)s had been traced (%(close_new)s of them in the preceding 24 hours)."
        ) % {"close": close_n, "close_new": t["close_new"]}
    pending = t["close_not_controlled"] + t["secondary_not_controlled"]
    if pending == 0:
        return _sentences(
            traced, _("All of them have been placed under control measures as required.")
        )
    controlled = _count_status(t, ContactStatus.UNDER_CONTROL)
    released = _count_status(t, ContactStatus.RELEASED)
    return _sentences(
        traced,
        pgettext("daily report", "%(controlled)s, %(released)s, and %(pending)s.")
        % {
            "controlled": _n(
                npgettext(
                    "daily report",
                    "%(n)s is under control measures",
                    "%(n)s are under control measures",
                    controlled,
                ),
                controlled,
            ),
            "released": _n(
                npgettext(
                    "daily report",
                    "%(n)s has completed them and been released",
                    "%(n)s have completed them and been released",
                    released,
                ),
                released,
            ),
            "pending": _n(
                npgettext(
                    "daily report",
                    "%(n)s is still being located or placed",
                    "%(n)s are still being located or placed",
                    pending,
                ),
                pending,
            ),
        },
    )


def _count_status(t: Any, status: str) -> int:
    return int(t[f"close_{status}"] + t[f"secondary_{status}"])


def _quarantine_text(s: Situation) -> str:
    t = s.total
    sites = npgettext(
        "daily report",
        "%(n)s centralised quarantine site with %(rooms)s was in use",
        "%(n)s centralised quarantine sites with %(rooms)s were in use",
        t["sites"],
    ) % {
        "n": t["sites"],
        "rooms": _n(npgettext("daily report", "%(n)s room", "%(n)s rooms", t["rooms"]), t["rooms"]),
    }
    text = _("%(sites)s, with %(people)s in centralised quarantine (%(change)s); %(released)s.") % {
        "sites": sites,
        "people": _n(
            npgettext("daily report", "%(n)s person", "%(n)s people", t["people"]), t["people"]
        ),
        "change": _people_change(t["people"] - t["people_before"]),
        "released": _n(
            npgettext(
                "daily report",
                "%(n)s person was released from quarantine in the preceding 24 hours",
                "%(n)s people were released from quarantine in the preceding 24 hours",
                t["released_new"],
            ),
            t["released_new"],
        ),
    }
    if t["measures"]:
        text = _sentences(
            text,
            _n(
                npgettext(
                    "daily report",
                    "%(n)s person was under control measures (centralised or at home).",
                    "%(n)s people were under control measures (centralised or at home).",
                    t["measures"],
                ),
                t["measures"],
            ),
        )
    return text


def _zones_text(s: Situation) -> str:
    if s.zones is None:
        return _("Zone figures are not available.")
    levels = [lv for lv in s.zones.levels if lv.zones]
    if not levels:
        return _("No zone was in force.")
    listed = _("; ").join(
        npgettext(
            "daily report",
            "%(level)s: %(zones)s (%(n)s person inside)",
            "%(level)s: %(zones)s (%(n)s people inside)",
            lv.people,
        )
        % {"level": level_label(lv.level), "zones": lv.zones, "n": lv.people}
        for lv in levels
    )
    return _("Zones in force: %(list)s.") % {"list": listed}


def _care_text(care: dict[str, int]) -> str:
    """Medical care (issue 17): requests raised, open and late; first-diagnosis incidents."""
    requests = _(
        "Medical care: %(raised)s in the 24 hours before; %(open)s still open, of which "
        "%(late)s past their time limit."
    ) % {
        "raised": _n(
            npgettext(
                "daily report", "%(n)s request raised", "%(n)s requests raised", care["raised"]
            ),
            care["raised"],
        ),
        "open": care["open"],
        "late": care["late"],
    }
    if not care["incidents"]:
        return _sentences(requests, _("No patient was refused or left unconfirmed."))
    incidents = _n(
        npgettext(
            "daily report",
            "%(n)s first-diagnosis incident (a refusal or no confirmation in time) was "
            "escalated to the command centre.",
            "%(n)s first-diagnosis incidents (refusals or no confirmation in time) were "
            "escalated to the command centre.",
            care["incidents"],
        ),
        care["incidents"],
    )
    unresolved = care.get("incidents_unresolved", 0)
    if not unresolved:
        return _sentences(requests, incidents)
    pending = _n(
        npgettext(
            "daily report",
            "%(n)s incident not yet resolved.",
            "%(n)s incidents not yet resolved.",
            unresolved,
        ),
        unresolved,
    )
    return _sentences(requests, incidents, pending)


def _testing_text(s: Situation) -> str:
    t = s.total
    if t["rounds"] == 0:
        return _("No round of mass testing had been started.")
    text = pgettext("daily report", "%(closed)s and %(open)s.") % {
        "closed": _n(
            npgettext(
                "daily report",
                "%(n)s round of mass testing had been completed",
                "%(n)s rounds of mass testing had been completed",
                t["rounds_closed"],
            ),
            t["rounds_closed"],
        ),
        "open": _n(
            npgettext(
                "daily report", "%(n)s was in progress", "%(n)s were in progress", t["rounds_open"]
            ),
            t["rounds_open"],
        ),
    }
    current = next((r for r in s.rounds if not r.closed), None)
    if current is not None:
        text = _sentences(
            text,
            npgettext(
                "daily report",
                "In %(round)s, %(sampled)s of %(n)s person (%(percent)s%%) had been sampled.",
                "In %(round)s, %(sampled)s of %(n)s people (%(percent)s%%) had been sampled.",
                current.target,
            )
            % {
                "round": current.round.name,
                "sampled": current.sampled,
                "n": current.target,
                "percent": current.percent,
            },
        )
    return text


# Tables ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    key: str  # the figure's name (`zones_<level>` for a zone level)
    label: Any
    value: int
    change: int | None  # the change in the 24 hours to the cut-off; None: not dated
    section: str


def headline_rows(s: Situation) -> list[Line]:
    """The report's figures with their change over the day (rows the role may see)."""
    t = s.total

    def grew(name: str, before: str) -> int:
        return int(t[name] - t[before])

    lines = [
        Line(
            "confirmed",
            gettext_lazy("Confirmed cases"),
            t[CaseKind.CONFIRMED],
            t["confirmed_new"],
            "cases",
        ),
        Line(
            "asymptomatic",
            gettext_lazy("Asymptomatic infections"),
            t[CaseKind.ASYMPTOMATIC],
            t["asymptomatic_new"],
            "cases",
        ),
        Line(
            "transferred",
            gettext_lazy("Transferred in a closed loop"),
            t["transferred"],
            t["transferred_new"],
            "cases",
        ),
        Line(
            "close", gettext_lazy("Close contacts traced"), t["close"], t["close_new"], "contacts"
        ),
        Line(
            "close_under_control",
            gettext_lazy("Close contacts under control"),
            t["close_under_control"],
            grew("close_under_control", "close_under_control_before"),
            "contacts",
        ),
        Line(
            "secondary",
            gettext_lazy("Secondary contacts traced"),
            t["secondary"],
            t["secondary_new"],
            "contacts",
        ),
        Line(
            "secondary_under_control",
            gettext_lazy("Secondary contacts under control"),
            t["secondary_under_control"],
            grew("secondary_under_control", "secondary_under_control_before"),
            "contacts",
        ),
        Line("sites", gettext_lazy("Quarantine sites in use"), t["sites"], None, "quarantine"),
        Line("rooms", gettext_lazy("Quarantine rooms"), t["rooms"], None, "quarantine"),
        Line(
            "people",
            gettext_lazy("People in centralised quarantine"),
            t["people"],
            grew("people", "people_before"),
            "quarantine",
        ),
        Line(
            "released",
            gettext_lazy("Released from centralised quarantine"),
            t["released"],
            t["released_new"],
            "quarantine",
        ),
        Line(
            "rounds_closed",
            gettext_lazy("Testing rounds completed"),
            t["rounds_closed"],
            None,
            "testing",
        ),
        Line(
            "rounds_open",
            gettext_lazy("Testing rounds in progress"),
            t["rounds_open"],
            None,
            "testing",
        ),
    ]
    if s.zones is not None:
        for lv in s.zones.levels:
            lines.append(Line(f"zones_{lv.level}", level_label(lv.level), lv.zones, None, "zones"))
    return [line for line in lines if line.section in s.sections]


AREA_COLUMNS: list[tuple[Any, str, str, str]] = [
    # header, figure, its change (or ""), section
    (gettext_lazy("Confirmed cases"), CaseKind.CONFIRMED, "confirmed_new", "cases"),
    (
        gettext_lazy("Asymptomatic infections"),
        CaseKind.ASYMPTOMATIC,
        "asymptomatic_new",
        "cases",
    ),
    (gettext_lazy("Transferred"), "transferred", "transferred_new", "cases"),
    (gettext_lazy("Close contacts"), "close", "close_new", "contacts"),
    (gettext_lazy("Under control"), "close_under_control", "", "contacts"),
    (gettext_lazy("Secondary contacts"), "secondary", "secondary_new", "contacts"),
    (gettext_lazy("Under control"), "secondary_under_control", "", "contacts"),
    (gettext_lazy("Quarantine sites"), "sites", "", "quarantine"),
    (gettext_lazy("Rooms"), "rooms", "", "quarantine"),
    (gettext_lazy("In centralised quarantine"), "people", "", "quarantine"),
]


def area_columns(s: Situation) -> list[tuple[Any, str, str, str]]:
    return [c for c in AREA_COLUMNS if c[3] in s.sections]


def area_rows(s: Situation) -> list[tuple[Area, list[tuple[int, int | None]]]]:
    columns = area_columns(s)
    return [
        (a, [(a.figures[f], a.figures[new] if new else None) for _h, f, new, _s in columns])
        for a in s.rows
    ]


# Files ----------------------------------------------------------------------------------------


def report_context(report: Report) -> dict[str, Any]:
    s = report.situation
    return {
        "report": report,
        "s": s,
        "paragraphs": paragraphs(report),
        "headline": headline_rows(s),
        "columns": area_columns(s),
        "rows": area_rows(s),
        "generated_at": timezone.localtime(),
    }


def report_pdf(report: Report) -> bytes:
    """The report as a PDF (A4, Chinese fonts named in the template's CSS), made once for what
    it says: asked for again with the same figures, places and language, the PDF made then
    (with its "generated at") comes from the cache; any change in the figures makes a new one."""
    context = report_context(report)
    html = render_to_string("command/report_pdf.html", context)
    version = render_to_string("command/report_pdf.html", {**context, "generated_at": None})
    return html_to_pdf_cached(html, version=version)


def report_xlsx(report: Report) -> bytes:
    """The report as a workbook: the text, the figures with their changes, the places."""
    s = report.situation
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _("Report")[:31]
    xlsx_append(ws, [report.title])
    ws["A1"].font = Font(bold=True, size=14)
    xlsx_append(ws, [report.as_of])
    for text in paragraphs(report):
        xlsx_append(ws, [text])
        ws.cell(ws.max_row, 1).alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 120
    figures = wb.create_sheet(_("Figures")[:31])
    xlsx_append(figures, [_("Figure"), _("Total"), _("Change in 24 hours")])
    for line in headline_rows(s):
        xlsx_append(figures, [str(line.label), line.value, line.change])
    figures.column_dimensions["A"].width = 40
    places = wb.create_sheet(_("By place")[:31])
    columns = area_columns(s)
    header: list[str] = [_("Place")]
    for label, _fig, fresh, _section in columns:
        header.append(str(label))
        if fresh:
            header.append(_("%(figure)s, new") % {"figure": label})
    xlsx_append(places, header)
    for a, cells in area_rows(s):
        row: list[Any] = [a.name]
        for (value, new), column in zip(cells, columns, strict=True):
            row.append(value)
            if column[2]:
                row.append(new)
        xlsx_append(places, row)
    places.column_dimensions["A"].width = 24
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
