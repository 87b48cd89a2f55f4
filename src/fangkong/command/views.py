"""The command dashboard, the daily report (page, PDF, XLSX) and the lists behind figures."""

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.care.admission.services import incidents_sweep
from fangkong.command import exports, issues, lists
from fangkong.command import report as reporting
from fangkong.command.figures import DAY, KINDS, Situation, round_figures, situation
from fangkong.command.forms import MOMENT, AsOfForm, IssueForm, ReportForm
from fangkong.command.models import ReportIssue
from fangkong.command.places import Node, node_for, trail_of
from fangkong.core.access import Cap, can, require
from fangkong.core.dates import DayField
from fangkong.core.pages import page_window
from fangkong.epi.models import CaseKind
from fangkong.people.reveals import export_reveal_allowed

FILTERS = (
    "kind",
    "where",
    "status",
    "new",
    "transferred",
    "reclassified",
    "degree",
    "state",
    "category",
)


def _base(at: dt.datetime, place: str) -> dict[str, str]:
    """Query parameters that pin a page to this moment and place."""
    base = {"as_of": timezone.localtime(at).strftime(MOMENT + ":%S")}
    if place:
        base["place"] = place
    return base


def _place(request: HttpRequest, node: Node) -> str:
    """The place parameter to carry on: none when the page shows the caller's own node."""
    return node.key if request.GET.get("place") else ""


def area_table(s: Situation, base: dict[str, str]) -> list[dict[str, Any]]:
    """The table by place: each cell with the list behind it (and the new ones)."""
    columns = reporting.area_columns(s)
    out = []
    for a, cells in reporting.area_rows(s):
        at_place = {**base, "place": a.key}
        out.append(
            {
                "area": a,
                "drill": a.division is not None and a.key != s.node.key,
                "place": urlencode(at_place),
                "cells": [
                    {
                        "value": value,
                        "new": new,
                        "url": lists.figure_url(figure, at_place),
                        "new_url": lists.figure_url(fresh, at_place) if fresh else "",
                    }
                    for (value, new), (_label, figure, fresh, _section) in zip(
                        cells, columns, strict=True
                    )
                ],
            }
        )
    return out


def changes(s: Situation) -> dict[str, int]:
    """Figures that can fall as well as rise: their change over the 24 hours."""
    t = s.total
    return {
        name: t[name] - t[f"{name}_before"]
        for name in ("people", "close_under_control", "secondary_under_control")
    }


def zone_urls(s: Situation) -> dict[str, str]:
    """Each level's zones: the zones app's list (it shows today's zones)."""
    url = lists.safe_url("zones:list")
    return {lv.level: url for lv in s.zones.levels} if s.zones else {}


def chart_labels(base: dict[str, str]) -> dict[str, str]:
    return {
        "confirmed": str(CaseKind.CONFIRMED.label),
        "asymptomatic": str(CaseKind.ASYMPTOMATIC.label),
        "cases": _("Cases"),
        "new": _("New in the 24 hours before"),
        "none": _("No case"),
        "no_places": _("No place with coordinates to draw."),
        "drill": f"{reverse('command:dashboard')}?{urlencode({'as_of': base['as_of']})}",
    }


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.CASES_VIEW)
    form = AsOfForm(request.GET or None)
    at = form.moment()
    node = node_for(request.user, request.GET.get("place", ""))
    if can(request.user, Cap.CARE_VIEW):
        incidents_sweep()  # missed SLAs counted even if the worker lags
    s = situation(request.user, node, at)
    base = _base(at, _place(request, node))
    local = timezone.localtime(at)
    report_query = {"day": local.date().isoformat(), "hour": str(local.hour)}
    if "place" in base:
        report_query["place"] = base["place"]
    return render(
        request,
        "command/dashboard.html",
        {
            "s": s,
            "form": form,
            "at": local,
            "since": timezone.localtime(s.since),
            "links": lists.figure_urls(base),
            "trail": trail_of(request.user, node),
            "trail_query": urlencode({"as_of": base["as_of"]}),
            "columns": reporting.area_columns(s),
            "table": area_table(s, base),
            "chart": {"curve": s.curve, "places": s.places},
            "chart_labels": chart_labels(base),
            "kinds": [(k.value, k.label) for k in KINDS],
            "split_suffixes": ["_community", "_quarantine", "_new_community", "_new_quarantine"],
            "changes": changes(s),
            "zone_urls": zone_urls(s),
            "report_query": urlencode(report_query),
            "panel_query": urlencode(base),
            "section": "command",
        },
    )


@login_required
def rounds_panel(request: HttpRequest) -> HttpResponse:
    """The latest rounds' coverage at the moment (loaded into the dashboard after it)."""
    require(request.user, Cap.COVERAGE_VIEW)
    at = AsOfForm(request.GET or None).moment()
    node = node_for(request.user, request.GET.get("place", ""))
    return render(request, "command/_rounds.html", {"rounds": round_figures(node, at)})


def _report(request: HttpRequest) -> tuple[ReportForm, reporting.Report, int]:
    """The report asked for, and the report time of its day (from the policy in force)."""
    require(request.user, Cap.CASES_VIEW)
    form = ReportForm(request.GET or None)
    day, hour = form.day_and_hour()
    policy_hour = reporting.report_hour(day)
    node = node_for(request.user, request.GET.get("place", ""))
    rep = reporting.report_for(request.user, node, day, policy_hour if hour is None else hour)
    return form, rep, policy_hour


@login_required
def report(request: HttpRequest) -> HttpResponse:
    form, rep, policy_hour = _report(request)
    place = _place(request, rep.situation.node)
    files = {
        "day": rep.day.isoformat(),
        "hour": str(rep.hour),
        **({"place": place} if place else {}),
    }
    context = reporting.report_context(rep)
    context.update(
        {
            "form": form,
            "issued": issues.issues_of(request.user, rep.situation.node, rep.day),
            "report_hour": policy_hour,
            "issues_query": urlencode(
                {"day": rep.day.isoformat(), **({"place": place} if place else {})}
            ),
            "files_query": urlencode(files),
            "dashboard_query": urlencode(_base(rep.situation.at, place)),
            "section": "command",
        }
    )
    return render(request, "command/report.html", context)


def _stamp(rep: reporting.Report) -> str:
    return f"{rep.situation.node.code or 'all'}-{rep.day:%Y%m%d}-{rep.hour:02d}"


@login_required
def report_pdf(request: HttpRequest) -> HttpResponse:
    _form, rep, _hour = _report(request)
    response = HttpResponse(reporting.report_pdf(rep), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="situation-{_stamp(rep)}.pdf"'
    return response


@login_required
def report_xlsx(request: HttpRequest) -> HttpResponse:
    _form, rep, _hour = _report(request)
    response = HttpResponse(reporting.report_xlsx(rep), content_type=exports.XLSX)
    response["Content-Disposition"] = f'attachment; filename="situation-{_stamp(rep)}.xlsx"'
    return response


def _list_setup(request: HttpRequest, figure: str) -> Any:
    fl = lists.figure_list(request.user, figure)
    at = AsOfForm(request.GET or None).moment()
    node = node_for(request.user, request.GET.get("place", ""))
    since = at - DAY
    qs = fl.rows(node, at, since, request.GET)
    params = {k: request.GET[k] for k in FILTERS if request.GET.get(k)}
    return fl, node, at, since, qs, params


@login_required
def figure_list(request: HttpRequest, figure: str) -> HttpResponse:
    fl, node, at, since, qs, params = _list_setup(request, figure)
    every = fl.columns()
    columns = [c for c in every if not c.personal]
    rows, pager = page_window(request, fl.values(qs, columns))
    ctx = lists.Context(at=at, since=since, reveal=False, names=lists.area_names(node))
    table = [(fl.link(r), [c.value(r, ctx) for c in columns]) for r in rows]
    base = _base(at, _place(request, node))
    return render(
        request,
        "command/list.html",
        {
            "fl": fl,
            "node": node,
            "at": timezone.localtime(at),
            "since": timezone.localtime(since),
            "filters": lists.describe(params),
            "columns": columns,
            "table": table,
            "pager": pager,
            "export_query": urlencode({**base, **params}),
            "dashboard_query": urlencode(base),
            "registry": fl.registry(request.GET),
            "personal": len(columns) < len(every),
            "section": "command",
        },
    )


@login_required
def figure_export(request: HttpRequest, figure: str, fmt: str) -> HttpResponseBase:
    """Masked for everyone (GET); identifiers in full only on a POST by a role that may
    reveal, with a reason (the list's filters stay in the query string)."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    fl, node, at, since, qs, params = _list_setup(request, figure)
    reason = ""
    if request.method == "POST" and request.POST.get("reveal"):
        try:
            reason = export_reveal_allowed(request.user, request.POST.get("reason", ""))
        except ValidationError as exc:
            return HttpResponse(" ".join(exc.messages), status=400)
    ctx = lists.Context(
        at=at, since=since, reveal=bool(reason), names=lists.area_names(node), reason=reason
    )
    if fmt == "csv":
        return exports.csv_response(request.user, fl, node, qs, ctx, params)
    return exports.xlsx_response(request.user, fl, node, qs, ctx, params)


# Issues of the daily report ---------------------------------------------------------------------


@login_required
def report_issues(request: HttpRequest) -> HttpResponse:
    """The issues of a day's report, and (for the command centre) issuing it, or again."""
    require(request.user, Cap.CASES_VIEW)
    data = request.POST if request.method == "POST" else request.GET
    node = node_for(request.user, data.get("place", ""))
    place = node.key if data.get("place") else ""
    may_issue = can(request.user, Cap.REPORT_ISSUE)
    day = _day(request.GET.get("day", ""))
    form = IssueForm(initial={"day": day or timezone.localdate(), "place": place})
    if request.method == "POST":
        require(request.user, Cap.REPORT_ISSUE)
        form = IssueForm(request.POST)
        if form.is_valid():
            day = form.cleaned_data["day"]
            try:
                issue = issues.report_issue(
                    actor=request.user, node=node, day=day, reason=form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                return redirect("command:issue", pk=issue.pk)
    shown = list(issues.issues_of(request.user, node, day)[:200])
    report_query = {"day": day.isoformat()} if day else {}
    if place:
        report_query["place"] = place
    return render(
        request,
        "command/issues.html",
        {
            "form": form,
            "node": node,
            "day": day,
            "issues": shown,
            "may_issue": may_issue,
            "report_query": urlencode(report_query),
            "section": "command",
        },
    )


@login_required
def report_issue_page(request: HttpRequest, pk: int) -> HttpResponse:
    view = issues.issue_view(request.user, issues.issue_for(request.user, pk))
    context = issues.issue_context(view)
    others = ReportIssue.objects.filter(
        division_key=view.issue.division_key, day=view.issue.day
    ).order_by("number")
    context.update(
        {
            "others": others,
            "report_query": urlencode(
                {"day": view.issue.day.isoformat(), "hour": str(view.issue.hour)}
                | ({"place": view.issue.division_key} if view.issue.division_key else {})
            ),
            "section": "command",
        }
    )
    return render(request, "command/issue.html", context)


def _day(text: str) -> dt.date | None:
    """The day a query names, or None (every day) when it names none or not a date."""
    try:
        day: dt.date | None = DayField(required=False).clean(text)
    except ValidationError:
        return None
    return day


def _issue_stamp(issue: ReportIssue) -> str:
    return f"{issue.place_code or 'all'}-{issue.day:%Y%m%d}-{issue.hour:02d}-issue{issue.number}"


@login_required
def report_issue_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    view = issues.issue_view(request.user, issues.issue_for(request.user, pk))
    response = HttpResponse(issues.issue_pdf(view), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="situation-{_issue_stamp(view.issue)}.pdf"'
    )
    return response


@login_required
def report_issue_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    view = issues.issue_view(request.user, issues.issue_for(request.user, pk))
    response = HttpResponse(issues.issue_xlsx(view), content_type=exports.XLSX)
    response["Content-Disposition"] = (
        f'attachment; filename="situation-{_issue_stamp(view.issue)}.xlsx"'
    )
    return response
