"""Pages for people under measures: the list and each measure, test days, daily checks (one
screen per site floor, one per community for people at home), alerts, transfers, release."""

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.core.access import Cap, can, require
from fangkong.core.errors import BulkErrors
from fangkong.core.pages import apply_errors, flash, page_window
from fangkong.quarantine.measures import (
    bulk,
    checks,
    release,
    rules,
    selectors,
    services,
    transfers,
)
from fangkong.quarantine.measures.forms import (
    AlertHandleForm,
    CheckInForm,
    DayForm,
    DepartForm,
    HandOverForm,
    MeasureEndForm,
    MeasureFilterForm,
    MeasureStartForm,
    ReasonForm,
    ReleaseForm,
    SampledForm,
    SiteReleaseForm,
    TransferForm,
)
from fangkong.quarantine.models import (
    AlertStatus,
    Measure,
    MeasureStatus,
    Site,
    Stay,
    TransferStatus,
)
from fangkong.quarantine.sites import selectors as sites_selectors
from fangkong.quarantine.sites.forms import StaysOutForm


def _day(request: HttpRequest) -> dt.date:
    form = DayForm(request.GET or None)
    if form.is_valid() and form.cleaned_data["day"]:
        return form.cleaned_data["day"]
    return timezone.localdate()


# Measures ----------------------------------------------------------------------------------------


def _filtered(request: HttpRequest, query: QueryDict) -> tuple[MeasureFilterForm, Any, str]:
    """The measures list's filter form, its measures and its status, from `query`."""
    sites = list(selectors.sites_for_measures(request.user).values_list("pk", "name"))
    form = MeasureFilterForm(query or None, sites=sites)
    f = form.cleaned_data if form.is_valid() else {}
    status = f.get("status") or MeasureStatus.ACTIVE
    qs = selectors.measure_search(
        request.user,
        today=timezone.localdate(),
        category=f.get("category", ""),
        phase=f.get("phase", ""),
        where=f.get("where", ""),
        site=f.get("site"),
        due=bool(f.get("due")),
        missed=bool(f.get("missed")),
        status="" if status == "all" else status,
    )
    return form, qs, status


def _filter_query(form: MeasureFilterForm) -> str:
    """The list's filters as a query string (no page number): what "all matching" sends."""
    query = QueryDict(mutable=True)
    if form.is_bound and form.is_valid():
        query.update({k: str(v) for k, v in form.cleaned_data.items() if v})
    return query.urlencode()


@login_required
def measure_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form, qs, status = _filtered(request, request.GET)
    rows, pager = page_window(request, qs)
    can_end = can(request.user, Cap.MEASURES_KEEP) or can(request.user, Cap.QUARANTINE_MANAGE)
    return render(
        request,
        "quarantine/measure_list.html",
        {
            "form": form,
            "rows": rows,
            "pager": pager,
            "today": today,
            "can_end": can_end and status == MeasureStatus.ACTIVE,
            "end_form": MeasureEndForm(),
            "all_end_form": MeasureEndForm(auto_id="all_%s"),
            "query": _filter_query(form),
            # one COUNT only when the matches run past this page
            "matching": qs.count() if pager["next"] else pager["first"] - 1 + len(rows),
            "section": "measures",
        },
    )


# Refused measures named in the messages after a refused bulk change (the rest are counted).
REFUSED_NAMED = 10


def report_batch(
    request: HttpRequest, batch: Any, names: dict[int, str], done: str, what: str
) -> None:
    """Messages after a bulk change: the refused rows named (up to `REFUSED_NAMED`), or what
    was done (`done` with %(changed)s and %(unchanged)s)."""
    if batch.refused:
        messages.error(request, what % {"n": len(batch.refused)})
        for pk in sorted(batch.refused)[:REFUSED_NAMED]:
            messages.error(request, f"{names.get(pk, f'#{pk}')}: {batch.refused[pk]}")
        return
    messages.success(
        request, done % {"changed": len(batch.changed), "unchanged": len(batch.unchanged)}
    )


@login_required
@require_POST
def measures_end(request: HttpRequest) -> HttpResponse:
    """End the ticked measures, or (`query`: the list's filter) every active measure matching
    the filter: shown first for confirmation with their number, then ended all at once."""
    services.require_keeper(request.user)
    form = MeasureEndForm(request.POST)
    by_filter = "query" in request.POST
    query = request.POST.get("query", "")
    back = redirect(
        f"{reverse('quarantine:measures')}?{query}" if by_filter else reverse("quarantine:measures")
    )
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
    if not form.is_valid() or not (ids or by_filter):
        flash(request, form=form)
        if not (ids or by_filter):
            messages.error(request, _("Tick the measures to end."))
        return back
    selection = None
    if by_filter:
        filter_form, qs, _status = _filtered(request, QueryDict(query))
        selection = qs.filter(status=MeasureStatus.ACTIVE)
        if "confirm" not in request.POST:
            context = {
                "form": form,
                "filter_form": filter_form,
                "query": query,
                "count": selection.count(),
                "section": "measures",
            }
            return render(request, "quarantine/measures_end_confirm.html", context)
    try:
        batch = bulk.measures_end(
            actor=request.user,
            ids=None if by_filter else ids,
            selection=selection,
            **form.cleaned_data,
        )
    except ValidationError as exc:
        flash_at_fields(request, exc, form)
        return back
    named = sorted(batch.refused)[:REFUSED_NAMED]
    names = dict(
        selectors.measures_for_user(request.user)
        .filter(pk__in=named)
        .values_list("pk", "person__name")
    )
    report_batch(
        request,
        batch,
        names,
        _("%(changed)s measures ended, %(unchanged)s had already ended."),
        _("Nothing was changed: %(n)s measures cannot be ended."),
    )
    return back


@login_required
def measure_new(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.MEASURES_KEEP)
    form = MeasureStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            measure = services.measure_start_home(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Measure started."))
            return redirect("quarantine:measure", pk=measure.pk)
    return render(request, "quarantine/measure_form.html", {"form": form, "section": "measures"})


def _phases(measure: Measure, today: dt.date) -> list[dict[str, Any]]:
    home = selectors.HOME_KINDS
    return [
        {"phase": p, "now": p.first_day <= today <= p.last_day, "home": p.kind in home}
        for p in measure.phases.order_by("order")
    ]


def _checks_of(measure: Measure) -> list[Any]:
    rows = list(measure.checks.select_related("stay__room", "recorded_by").order_by("-day")[:60])
    for c in rows:
        c.labels = ", ".join(checks.symptom_labels(c.symptoms, c.symptom_other))  # type: ignore[attr-defined]
    return rows


@login_required
def measure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    measure = selectors.measure_for_user(request.user, pk)
    today = timezone.localdate()
    user = request.user
    stay = selectors.open_stay(measure.person_id)
    tests = list(measure.tests.select_related("tube__result").order_by("due_on", "id"))
    for t in tests:
        t.state = selectors.test_state(t)  # type: ignore[attr-defined]
    active = measure.status == MeasureStatus.ACTIVE
    context = {
        "measure": measure,
        "person": measure.person,
        "today": today,
        "stay": stay,
        "phases": _phases(measure, today),
        "tests": tests,
        "checks": _checks_of(measure),
        "alerts": checks.alerts_for_user(user, status="").filter(check_record__measure=measure),
        "transfers": measure.transfers.order_by("-requested_at"),
        "stays": measure.stays.select_related("site", "room").order_by("-allocated_at"),
        "events": selectors.measure_history(measure),
        "active": active,
        **rules.measure_permissions(user, measure, stay),
        "release_refusals": release.release_refusals(measure, today=today) if active else [],
        "site_refusals": (
            release.site_release_refusals(measure, stay, today=today)
            if active and stay is not None
            else []
        ),
        "close_form": MeasureEndForm(),
        "release_form": ReleaseForm(),
        "site_release_form": SiteReleaseForm(),
        "checkin_form": CheckInForm(initial={"day": today}),
        "sampled_form": SampledForm(),
        "section": "measures",
    }
    return render(request, "quarantine/measure_detail.html", context)


def flash_at_fields(request: HttpRequest, exc: ValidationError, form: Form | None) -> None:
    """A service's refusal as messages, each error of one of the form's fields named by the
    field's label ("Ended at: the measure had not started yet")."""
    if form is None or not hasattr(exc, "error_dict"):
        flash(request, exc=exc)
        return
    for name, errors in exc.message_dict.items():
        label = form.fields[name].label if name in form.fields else None
        for message in errors:
            messages.error(request, f"{label}: {message}" if label else message)


def _measure_action(
    request: HttpRequest, pk: int, action: Any, form: Form | None = None
) -> HttpResponse:
    measure = selectors.measure_for_user(request.user, pk)
    try:
        message = action(measure)
    except ValidationError as exc:
        flash_at_fields(request, exc, form)
    else:
        messages.success(request, message)
    return redirect("quarantine:measure", pk=pk)


@login_required
@require_POST
def measure_close(request: HttpRequest, pk: int) -> HttpResponse:
    services.require_keeper(request.user)
    form = MeasureEndForm(request.POST)
    if not form.is_valid():
        flash(request, form=form)
        return redirect("quarantine:measure", pk=pk)

    def close(measure: Measure) -> str:
        services.measure_end_early(actor=request.user, measure=measure, **form.cleaned_data)
        return _("Measure ended.")

    return _measure_action(request, pk, close, form)


@login_required
@require_POST
def measure_checkin(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Cap.MEASURES_KEEP)
    form = CheckInForm(request.POST)
    if not form.is_valid():
        flash(request, form=form)
        return redirect("quarantine:measure", pk=pk)
    data = form.cleaned_data

    def record(measure: Measure) -> str:
        entry = checks.CheckEntry(
            measure=measure,
            temperature=data["temperature"],
            symptoms=data["symptoms"],
            symptom_other=data["symptom_other"],
            note=data["note"],
        )
        try:
            result = checks.checks_record(actor=request.user, day=data["day"], entries=[entry])
        except BulkErrors as exc:
            raise ValidationError(
                [m for row in exc.rows.values() for ms in row.values() for m in ms]
            ) from None
        return _alert_message(result) or _("Check-in recorded.")

    return _measure_action(request, pk, record)


def _alert_message(result: checks.CheckResult) -> str:
    if not result.alerts:
        return ""
    return _("Saved. %(n)s abnormal: the medical task force is alerted.") % {
        "n": len(result.alerts)
    }


@login_required
@require_POST
def measure_release(request: HttpRequest, pk: int) -> HttpResponse:
    form = ReleaseForm(request.POST)
    if not form.is_valid():
        flash(request, form=form)
        return redirect("quarantine:measure", pk=pk)

    def do(measure: Measure) -> str:
        released = release.measure_release(actor=request.user, measure=measure, **form.cleaned_data)
        return _("Released. Certificate %(number)s.") % {"number": released.certificate_number}

    return _measure_action(request, pk, do, form)


@login_required
@require_POST
def measure_site_release(request: HttpRequest, pk: int) -> HttpResponse:
    form = SiteReleaseForm(request.POST)
    if not form.is_valid():
        flash(request, form=form)
        return redirect("quarantine:measure", pk=pk)

    def do(measure: Measure) -> str:
        stay = release.measure_release_from_site(
            actor=request.user, measure=measure, **form.cleaned_data
        )
        return _("Released from %(site)s; the community takes over at home.") % {
            "site": stay.site.name
        }

    return _measure_action(request, pk, do, form)


@login_required
def measure_certificate(request: HttpRequest, pk: int) -> HttpResponse:
    measure = selectors.measure_for_user(request.user, pk)
    try:
        pdf = release.certificate_pdf(measure)
    except ValidationError:
        raise Http404 from None
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"release-{measure.certificate_number}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


# Test days --------------------------------------------------------------------------------------


@login_required
def test_tasks(request: HttpRequest) -> HttpResponse:
    day = _day(request)
    groups = selectors.test_tasks(request.user, day)
    for g in groups:
        for t in g.tests:
            t.state = selectors.test_state(t)  # type: ignore[attr-defined]
    return render(
        request,
        "quarantine/tasks.html",
        {
            "day": day,
            "today": timezone.localdate(),
            "groups": groups,
            "missed": selectors.missed_tests(request.user),
            "can_sample": can(request.user, Cap.SAMPLING),
            "form": SampledForm(),
            "section": "tasks",
        },
    )


@login_required
@require_POST
def test_sampled(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Cap.SAMPLING)
    test = selectors.test_for_user(request.user, pk)
    form = SampledForm(request.POST)
    back = request.POST.get("next") or f"{reverse('quarantine:tasks')}?day={test.due_on}"
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("quarantine:tasks")
    if not form.is_valid():
        flash(request, form=form)
        return redirect(back)
    try:
        services.test_mark_sampled(actor=request.user, test=test, **form.cleaned_data)
    except ValidationError as exc:
        flash(request, exc=exc)
    else:
        messages.success(
            request,
            _("%(name)s: test of %(day)s recorded.")
            % {"name": test.person.name, "day": test.due_on},
        )
    return redirect(back)


# Daily checks -----------------------------------------------------------------------------------


def _entries(post: QueryDict, rows: list[checks.RosterRow]) -> list[checks.CheckEntry]:
    entries = []
    for row in rows:
        if row.measure is None:
            continue
        k = row.key
        row.posted = {
            "temperature": post.get(f"t-{k}", "").strip(),
            "symptoms": post.getlist(f"sym-{k}"),
            "symptom_other": post.get(f"o-{k}", "").strip(),
        }
        entries.append(checks.CheckEntry(measure=row.measure, stay=row.stay, **row.posted))
    return entries


def _save_rows(request: HttpRequest, day: dt.date, rows: list[checks.RosterRow]) -> bool:
    """Save the posted rows; on errors mark them on the rows and say so. True when saved."""
    with_measure = [r for r in rows if r.measure is not None]
    entries = _entries(request.POST, rows)
    try:
        result = checks.checks_record(actor=request.user, day=day, entries=entries)
    except BulkErrors as exc:
        for index, errors in exc.rows.items():
            with_measure[index].errors = errors
        messages.error(request, _("Nothing was saved. Fix the marked rows and save again."))
        return False
    except ValidationError as exc:
        flash(request, exc=exc)
        return False
    messages.success(
        request,
        _alert_message(result) or _("%(n)s checks saved.") % {"n": len(result.saved)},
    )
    return True


def _pick(request: HttpRequest) -> dict[str, Any]:
    """The site → building → floor choice of the floor screen (404 for a site out of scope)."""
    sites = list(selectors.sites_for_measures(request.user).order_by("name"))
    picked: dict[str, Any] = {"sites": sites, "site": None, "buildings": [], "floors": []}
    raw = request.GET.get("site") or (str(sites[0].pk) if len(sites) == 1 else "")
    if not raw:
        return picked
    site = next((s for s in sites if str(s.pk) == raw), None)
    if site is None:
        raise Http404
    picked["site"] = site
    picked["buildings"] = checks.site_buildings(site)
    building = request.GET.get(
        "building", picked["buildings"][0] if len(picked["buildings"]) == 1 else None
    )
    if building is None or building not in picked["buildings"]:
        return picked
    picked["building"] = building
    picked["floors"] = checks.site_floors(site, building)
    floor = request.GET.get("floor", "")
    if floor.lstrip("-").isdigit() and int(floor) in picked["floors"]:
        picked["floor"] = int(floor)
    return picked


@login_required
def checks_floor(request: HttpRequest) -> HttpResponse:
    """One screen per floor: every person in the floor's rooms, saved with one submit."""
    require(request.user, Cap.QUARANTINE_VIEW)
    day = _day(request)
    picked = _pick(request)
    rows: list[checks.RosterRow] = []
    if picked.get("floor") is not None:
        site: Site = picked["site"]
        rows = checks.floor_roster(site, picked["building"], picked["floor"], day)
        if request.method == "POST":
            require(request.user, Cap.MEASURES_KEEP)
            if _save_rows(request, day, rows):
                return redirect(request.get_full_path())
            return _render_checks(request, "quarantine/checks_floor.html", day, rows, picked, 400)
    return _render_checks(request, "quarantine/checks_floor.html", day, rows, picked)


def _render_checks(
    request: HttpRequest,
    template: str,
    day: dt.date,
    rows: list[checks.RosterRow],
    extra: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    context = {
        "day": day,
        "today": timezone.localdate(),
        "rows": rows,
        "symptoms": checks.Symptom.choices,
        "fever": checks.fever_line(),
        "can_record": can(request.user, Cap.MEASURES_KEEP),
        "section": "checks",
        **extra,
    }
    return render(request, template, context, status=status)


@login_required
def checks_home(request: HttpRequest) -> HttpResponse:
    """People at home under a measure, per community: check-ins, missed check-ins and tests."""
    require(request.user, Cap.QUARANTINE_VIEW)
    day = _day(request)
    today = timezone.localdate()
    communities = checks.home_communities(request.user, today)
    community = request.GET.get("community", "")
    if not community and len(communities) == 1:
        community = communities[0][0]
    if community and community not in {k for k, _n in communities}:
        community = ""
    rows = checks.home_roster(request.user, community, day, today) if community else []
    extra = {
        "communities": communities,
        "community": community,
        "missed_checkins": checks.missed_checkins(request.user, community)[:200]
        if community
        else [],
        "section": "checks_home",
    }
    if request.method == "POST" and community:
        require(request.user, Cap.MEASURES_KEEP)
        if _save_rows(request, day, rows):
            return redirect(request.get_full_path())
        return _render_checks(request, "quarantine/checks_home.html", day, rows, extra, 400)
    return _render_checks(request, "quarantine/checks_home.html", day, rows, extra)


# Alerts ----------------------------------------------------------------------------------------


@login_required
def alert_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", AlertStatus.OPEN)
    if status not in AlertStatus.values:
        status = ""
    qs = checks.alerts_for_user(request.user, status=status)
    rows, pager = page_window(request, qs.order_by("-raised_at", "-id"))
    return render(
        request,
        "quarantine/alerts.html",
        {
            "rows": rows,
            "pager": pager,
            "status": status,
            "statuses": AlertStatus.choices,
            "can_handle": can(request.user, Cap.QUARANTINE_MANAGE),
            "form": AlertHandleForm(),
            "section": "alerts",
        },
    )


@login_required
@require_POST
def alert_handle(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Cap.QUARANTINE_MANAGE)
    alert = checks.alerts_for_user(request.user, status="").filter(pk=pk).first()
    if alert is None:
        raise Http404
    form = AlertHandleForm(request.POST)
    if not form.is_valid():
        flash(request, form=form)
    else:
        try:
            checks.alert_handle(actor=request.user, alert=alert, **form.cleaned_data)
        except ValidationError as exc:
            flash(request, exc=exc)
        else:
            messages.success(request, _("Alert handled."))
    return redirect("quarantine:alerts")


# Transfers ----------------------------------------------------------------------------------------


@login_required
def transfer_list(request: HttpRequest) -> HttpResponse:
    qs = transfers.transfers_for_user(request.user)
    status = request.GET.get("status", "open")
    if status == "open":
        qs = qs.filter(status__in=transfers.OPEN_TRANSFER)
    elif status in TransferStatus.values:
        qs = qs.filter(status=status)
    rows, pager = page_window(request, qs.order_by("-requested_at", "-id"))
    can_manage = can(request.user, Cap.TRANSFERS_MANAGE)
    candidates = (
        transfers.transfer_candidates(request.user)
        if can_manage and can(request.user, Cap.QUARANTINE_VIEW)
        else []
    )
    return render(
        request,
        "quarantine/transfers.html",
        {
            "rows": rows,
            "pager": pager,
            "status": status,
            "statuses": TransferStatus.choices,
            "candidates": candidates,
            "can_manage": can_manage,
            "depart_form": DepartForm(),
            "handover_form": HandOverForm(),
            "cancel_form": ReasonForm(),
            "section": "transfers",
        },
    )


@login_required
def transfer_new(request: HttpRequest, pk: int) -> HttpResponse:
    """A transfer task for the person of measure `pk`."""
    require(request.user, Cap.TRANSFERS_MANAGE)
    measure = selectors.measure_for_user(request.user, pk)
    form = TransferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            transfers.transfer_request(actor=request.user, measure=measure, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Transfer requested."))
            return redirect("quarantine:transfers")
    context = {
        "form": form,
        "measure": measure,
        "case": transfers.open_case(measure.person_id),
        "stay": selectors.open_stay(measure.person_id),
        "section": "transfers",
    }
    return render(request, "quarantine/transfer_form.html", context)


def _transfer_step(
    request: HttpRequest, pk: int, form_class: type[Form], step: Any
) -> HttpResponse:
    require(request.user, Cap.TRANSFERS_MANAGE)
    transfer = transfers.transfer_for_user(request.user, pk)
    form = form_class(request.POST)
    if not form.is_valid():
        flash(request, form=form)
        return redirect("quarantine:transfers")
    try:
        step(actor=request.user, transfer=transfer, **form.cleaned_data)
    except ValidationError as exc:
        flash_at_fields(request, exc, form)
    else:
        messages.success(request, _("Saved."))
    return redirect("quarantine:transfers")


@login_required
@require_POST
def transfer_depart(request: HttpRequest, pk: int) -> HttpResponse:
    return _transfer_step(request, pk, DepartForm, transfers.transfer_depart)


@login_required
@require_POST
def transfer_hand_over(request: HttpRequest, pk: int) -> HttpResponse:
    return _transfer_step(request, pk, HandOverForm, transfers.transfer_hand_over)


@login_required
@require_POST
def transfer_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _transfer_step(request, pk, ReasonForm, transfers.transfer_cancel)


# Many people leave a site ------------------------------------------------------------------------


@login_required
@require_POST
def site_stays_check_out(request: HttpRequest, pk: int) -> HttpResponse:
    """The ticked people at a site, or (`all_due`) everyone there whose centralised phase is
    over, leave for the home phase at the time given: all or nothing (the site's stays page)."""
    require(request.user, Cap.QUARANTINE_MANAGE)
    site = sites_selectors.site_for(request.user, pk, Cap.QUARANTINE_MANAGE)
    back = redirect("quarantine:site_stays", pk=pk)
    form = StaysOutForm(request.POST)
    if not form.is_valid():
        flash(request, form=form)
        return back
    here = Stay.objects.filter(site=site)
    ids: list[int] | None = None
    if "all_due" in request.POST:
        here = selectors.due_home(request.user, site, timezone.localdate())
        if "confirm" not in request.POST:
            context = {
                "site": site,
                "leaving": True,
                "at": form.cleaned_data["checked_out_at"],
                "at_name": "checked_out_at",
                "at_label": form.fields["checked_out_at"].label,
                "count": here.count(),
                "section": "quarantine_sites",
            }
            return render(request, "quarantine/site_stays_confirm.html", context)
    else:
        ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
        if not ids:
            messages.error(request, _("Tick the people who leave."))
            return back
    try:
        batch = bulk.stays_leave(
            actor=request.user, ids=ids, selection=here, at=form.cleaned_data["checked_out_at"]
        )
    except ValidationError as exc:
        flash_at_fields(request, exc, form)
        return back
    named = sorted(batch.refused)[:REFUSED_NAMED]
    names = dict(Stay.objects.filter(site=site, pk__in=named).values_list("pk", "person__name"))
    report_batch(
        request,
        batch,
        names,
        _("%(changed)s people left for the home phase, %(unchanged)s had already left."),
        _("Nobody was checked out: %(n)s of them cannot leave yet."),
    )
    return back
