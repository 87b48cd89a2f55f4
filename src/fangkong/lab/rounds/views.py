"""Pages of testing rounds, sampling sites, sampling on a phone, custody and coverage."""

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.core.access import NO_SCOPE, Cap, can, key_filter, require, scope_key
from fangkong.core.dates import ISO_MOMENT
from fangkong.core.errors import field_error
from fangkong.core.pages import apply_errors, flash, page_window
from fangkong.core.tabular import CsvOut
from fangkong.lab import selectors as lab_selectors
from fangkong.lab.models import (
    Lab,
    Purpose,
    RoundStatus,
    RoundTally,
    TestingRound,
    Tube,
    TubeFill,
    TubeStatus,
)
from fangkong.lab.rounds import coverage, selectors, services
from fangkong.lab.rounds.forms import (
    CloseRoundForm,
    MemberAddForm,
    ReceiveForm,
    RoundForm,
    SamplingSetupForm,
    SendForm,
    SiteForm,
    TubeOpenForm,
    TubeReopenForm,
)
from fangkong.people.display import place_label
from fangkong.people.models import Resident
from fangkong.places.selectors import place_in_scope
from fangkong.policy.accessor import current

SESSION_KEY = "lab.sampling"
TIME_FIELDS = {  # the times a sampler may type on the phone page, by the field they fill
    "collected_at": TubeOpenForm.base_fields["collected_at"].label,
    "sampled_at": MemberAddForm.base_fields["sampled_at"].label,
}


# Rounds ---------------------------------------------------------------------------------


def round_percentages(user: Any, rounds: list[TestingRound]) -> None:
    """Set `view_target`, `view_sampled`, `view_percent` on each round (two queries in all)."""
    prefix = scope_key(user)
    keys: dict[int, str] = {}
    for r in rounds:
        if prefix == NO_SCOPE:
            continue
        keys[r.pk] = prefix if prefix.startswith(r.division_key) else r.division_key
    targets: dict[str, int] = {}
    sampled: dict[str, int] = {}
    if keys:
        distinct = sorted(set(keys.values()))
        targets = Resident.objects.aggregate(
            **{f"k{i}": Count("id", filter=key_filter(k)) for i, k in enumerate(distinct)}
        )
        targets = {k: targets[f"k{i}"] for i, k in enumerate(distinct)}
        sampled = RoundTally.objects.filter(round_id__in=list(keys)).aggregate(
            **{
                f"r{pk}": Sum("sampled", filter=Q(round_id=pk) & key_filter(k))
                for pk, k in keys.items()
            }
        )
    for r in rounds:
        key = keys.get(r.pk)
        r.view_target = targets.get(key, 0) if key else 0  # type: ignore[attr-defined]
        r.view_sampled = sampled.get(f"r{r.pk}") or 0  # type: ignore[attr-defined]
        r.view_percent = (  # type: ignore[attr-defined]
            round(100 * r.view_sampled / r.view_target, 1) if r.view_target else 0.0  # type: ignore[attr-defined]
        )


@login_required
def round_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.rounds_for_user(request.user)
    status = request.GET.get("status", "")
    if status in RoundStatus.values:
        qs = qs.filter(status=status)
    rows, pager = page_window(request, qs)
    round_percentages(request.user, rows)
    now = timezone.now()
    for r in rows:
        r.time_left = r.deadline - now if r.status == RoundStatus.OPEN else None
    return render(
        request,
        "lab/round_list.html",
        {
            "rows": rows,
            "pager": pager,
            "status": status,
            "statuses": RoundStatus.choices,
            "now": now,
            "section": "rounds",
        },
    )


def _site_choices(user: Any) -> list[tuple[str, str]]:
    return [
        (str(s.pk), f"{s.name} ({s.code})")
        for s in selectors.sites_for_user(user).filter(active=True).order_by("code")
    ]


@login_required
def round_new(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.ROUNDS_MANAGE)
    rules = current().rules.testing
    form = RoundForm(
        request.POST or None,
        pool_sizes=rules.pool_sizes,
        default_pool=rules.default_pool_size,
        sites=_site_choices(request.user),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            area = place_in_scope(request.user, data["area"], "area")
            sites = list(selectors.sites_for_user(request.user).filter(pk__in=data["sites"]))
            testing_round = services.round_start(
                actor=request.user,
                area=area,
                name=data["name"],
                reason=data["reason"],
                pool_size=data["pool_size"],
                starts_at=data["starts_at"],
                sites=sites,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Round started."))
            return redirect("lab:round", pk=testing_round.pk)
    return render(
        request,
        "lab/round_form.html",
        {"form": form, "rules": rules, "section": "rounds"},
    )


@login_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    testing_round = selectors.round_for_user(request.user, pk)
    place = request.GET.get("place", "")
    cov = coverage.round_coverage(request.user, testing_round, place)
    missing: list[Resident] = []
    pager = None
    if cov.shows_missing:
        missing, pager = page_window(
            request, coverage.missing_people(request.user, testing_round, cov.node.key)
        )
        _decorate_people(missing)
    now = timezone.now()
    return render(
        request,
        "lab/round_detail.html",
        {
            "round": testing_round,
            "cov": cov,
            "missing": missing,
            "pager": pager,
            "time_left": testing_round.deadline - now
            if testing_round.status == RoundStatus.OPEN
            else None,
            "can_manage": can(request.user, Cap.ROUNDS_MANAGE)
            and testing_round.division_key.startswith(scope_key(request.user))
            and testing_round.status == RoundStatus.OPEN,
            "can_see_residents": can(request.user, Cap.RESIDENTS_VIEW),
            "close_form": CloseRoundForm(),
            "events": selectors.round_history(request.user, testing_round),
            "sites": list(testing_round.sites.all()),
            "section": "rounds",
        },
    )


@login_required
def round_turnaround(request: HttpRequest, pk: int) -> HttpResponse:
    """The round page's turnaround table, loaded after the page (it reads every result of the
    round, while coverage reads running figures)."""
    testing_round = selectors.round_for_user(request.user, pk)
    targets = current().rules.testing.turnaround_hours
    turnaround = coverage.turnaround(Tube.objects.filter(round=testing_round), targets)
    return render(request, "lab/_turnaround.html", {"turnaround": turnaround})


def _decorate_people(people: list[Resident]) -> None:
    for p in people:
        p.place = place_label(p.division)  # type: ignore[attr-defined]


@login_required
def round_missing_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """Whom to call: people not yet sampled under a node, masked phones (a CSV in UTF-8)."""
    testing_round = selectors.round_for_user(request.user, pk)
    place = request.GET.get("place", "")
    node = coverage.coverage_node(request.user, testing_round, place)
    people = coverage.missing_people(request.user, testing_round, node.key)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="round-{pk}-missing-{node.code}.csv"'
    response.write("\ufeff")  # spreadsheet programs read UTF-8 with a BOM
    writer = CsvOut(response)
    writer.writerow([_("Name"), _("Place"), _("Phone"), _("Resident page")])
    count = 0
    for chunk_start in range(0, 10**9, 2000):
        chunk = list(people[chunk_start : chunk_start + 2000])
        _decorate_people(chunk)
        for p in chunk:
            writer.writerow(
                [
                    p.name,
                    p.place,  # type: ignore[attr-defined]
                    p.phone_masked,
                    request.build_absolute_uri(reverse("people:resident", args=[p.pk])),
                ]
            )
        count += len(chunk)
        if len(chunk) < 2000:
            break
    response["X-Row-Count"] = str(count)
    return response


@login_required
@require_POST
def round_close(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Cap.ROUNDS_MANAGE)
    testing_round = selectors.round_for_user(request.user, pk)
    form = CloseRoundForm(request.POST)
    if not form.is_valid():
        flash(request, form=form)
        return redirect("lab:round", pk=pk)
    try:
        services.round_close(actor=request.user, round=testing_round, **form.cleaned_data)
    except ValidationError as exc:
        flash(request, exc)
    else:
        messages.success(request, _("Round closed."))
    return redirect("lab:round", pk=pk)


# Sites ----------------------------------------------------------------------------------


@login_required
def site_list(request: HttpRequest) -> HttpResponse:
    sites = selectors.sites_for_user(request.user).order_by("code")
    can_add = can(request.user, Cap.ROUNDS_MANAGE)
    form = SiteForm(request.POST or None) if can_add else None
    if request.method == "POST":
        require(request.user, Cap.ROUNDS_MANAGE)
        assert form is not None
        if form.is_valid():
            data = form.cleaned_data
            try:
                place = place_in_scope(request.user, data["place"], "place")
                site = services.site_create(
                    actor=request.user,
                    code=data["code"],
                    name=data["name"],
                    division=place,
                    address=data["address"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Sampling site %(name)s added.") % {"name": site})
                return redirect("lab:sites")
    rows, pager = page_window(request, sites)
    return render(
        request,
        "lab/site_list.html",
        {"rows": rows, "pager": pager, "form": form, "section": "sampling"},
    )


# Sampling -------------------------------------------------------------------------------
#
# The round, site and purpose chosen are remembered in the session (a convenience: they are
# chosen again in two taps). The tube being filled is a row (`Tube.fill`), named in the page's
# address (?tube=<barcode>): a sampler who logs in again, on this phone or another, finds it
# among the open tubes and continues. ?person=<id> carries a person to sample (a measure's
# "sample now") through opening or choosing a tube; ?reopen=<barcode> asks why a sealed tube
# is reopened.


def _state(request: HttpRequest) -> dict[str, Any]:
    return dict(request.session.get(SESSION_KEY) or {})


def _save_state(request: HttpRequest, state: dict[str, Any]) -> None:
    request.session[SESSION_KEY] = state


def _current(request: HttpRequest, state: dict[str, Any]) -> dict[str, Any]:
    """The remembered round and site, dropped if no longer usable."""
    user = request.user
    out: dict[str, Any] = {"round": None, "site": None}
    if state.get("round"):
        out["round"] = selectors.open_rounds_for_sampling(user).filter(pk=state["round"]).first()
    if state.get("site"):
        out["site"] = selectors.sites_for_user(user).filter(pk=state["site"], active=True).first()
    return out


def _sampling_url(tube: str = "", person: int | None = None, reopen: str = "") -> str:
    params = {k: v for k, v in (("tube", tube), ("person", person or ""), ("reopen", reopen)) if v}
    url = reverse("lab:sampling")
    return f"{url}?{urlencode(params)}" if params else url


def _tube_in_reach(user: Any, barcode: str) -> Tube | None:
    barcode = (barcode or "").strip()
    return selectors.tubes_for_user(user).filter(barcode=barcode).first() if barcode else None


def _person_to_sample(user: Any, raw: str) -> Resident | None:
    pk = _int(raw or "")
    if not pk:
        return None
    try:
        return selectors.person_by_id_for_sampling(user, pk)
    except ValidationError:
        return None


@login_required
def sampling(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.SAMPLING)
    state = _state(request)
    if request.method == "POST":
        return redirect(_sampling_post(request, state))
    user = request.user
    now = _current(request, state)
    rounds = list(selectors.open_rounds_for_sampling(user).order_by("-starts_at")[:50])
    site_qs = selectors.sites_for_user(user).filter(active=True).order_by("code")
    if now["round"] is not None and now["round"].sites.exists():
        site_qs = site_qs.filter(rounds=now["round"])
    setup = SamplingSetupForm(
        initial={
            "round": state.get("round") or "",
            "site": state.get("site") or "",
            "purpose": state.get("purpose") or Purpose.VOLUNTARY,
        },
        rounds=[(str(r.pk), f"{r.name} · {r.area.name}") for r in rounds],
        sites=[(str(s.pk), f"{s.name} ({s.code})") for s in site_qs[:200]],
    )
    tube = _tube_in_reach(user, request.GET.get("tube", ""))
    if tube is not None and not tube.is_open:
        tube = None
    reopen = None if tube else _tube_in_reach(user, request.GET.get("reopen", ""))
    if reopen is not None and (reopen.is_open or reopen.state != TubeStatus.COLLECTED):
        reopen = None
    members = selectors.tube_members(tube) if tube else []
    pool = (
        now["round"].pool_size
        if now["round"] is not None
        else current().rules.testing.default_pool_size
    )
    open_tubes = selectors.open_tubes_to_continue(user, now["site"]).select_related("collected_by")
    if tube is not None:
        open_tubes = open_tubes.exclude(pk=tube.pk)
    return render(
        request,
        "lab/sampling.html",
        {
            "setup": setup,
            "round": now["round"],
            "site": now["site"],
            "purpose": Purpose(state.get("purpose") or Purpose.VOLUNTARY).label,
            "tube": tube,
            "members": members,
            "count": len(members),
            "pool": pool,
            "open_tubes": list(open_tubes[:50]),
            "reopen": reopen,
            "reopen_count": reopen.members.count() if reopen else 0,
            "to_sample": _person_to_sample(user, request.GET.get("person", "")),
            "open_form": TubeOpenForm(initial={"mode": "pooled" if pool > 1 else "single"}),
            "add_form": MemberAddForm(
                initial={"sampled_at": (state.get("sampled_at") or {}).get(tube.barcode)}
                if tube
                else None
            ),
            "reopen_form": TubeReopenForm(),
            "section": "sampling",
        },
    )


def _sampling_post(request: HttpRequest, state: dict[str, Any]) -> str:
    """Do the posted action; the address of the page to show next."""
    action = request.POST.get("action", "")
    person_id = _int(request.POST.get("person_id", "") or "0") or None
    back = _sampling_url(request.POST.get("tube", ""), person_id)
    try:
        if action == "setup":
            _sampling_setup(request, state)
            back = _sampling_url(person=person_id)
        elif action == "open":
            back = _sampling_open(request, state, person_id)
        elif action == "add":
            back = _sampling_add(request, state, person_id)
        elif action == "seal":
            tube = _posted_tube(request)
            tube = services.tube_seal(actor=request.user, tube=tube)
            messages.success(request, _("Tube %(barcode)s sealed.") % {"barcode": tube.barcode})
            back = _sampling_url(person=person_id)
        elif action == "reopen":
            back = _sampling_reopen(request, person_id)
    except ValidationError as exc:
        _flash_named(request, exc)
    except Http404:
        messages.error(request, _("Not found, or outside your jurisdiction"))
        back = _sampling_url(person=person_id)
    _save_state(request, state)
    return back


def _flash_named(request: HttpRequest, exc: ValidationError) -> None:
    """The errors as messages, those of a time naming the field they are about ("Sampled at:
    This time is in the future"); the others say what they are about themselves."""
    if not hasattr(exc, "error_dict"):
        flash(request, exc)
        return
    for field, errors in exc.message_dict.items():
        for message in errors:
            if field in TIME_FIELDS:
                message = _("%(field)s: %(problem)s") % {
                    "field": TIME_FIELDS[field],
                    "problem": message,
                }
            messages.error(request, message)


def _posted_time(request: HttpRequest, form_class: type[Any], field: str) -> Any:
    """The time posted in `field` (None: now), or a ValidationError naming the field."""
    form = form_class(request.POST)
    form.is_valid()
    if field in form.errors:
        raise ValidationError({field: form.errors[field]})
    return form.cleaned_data.get(field)


def _backdated(state: dict[str, Any], barcode: str, when: Any) -> None:
    """Remember a time the sampler typed for the tube: the next person added to it is
    offered the same time (a tube entered after the fact), until the tube is done."""
    dated = {k: v for k, v in (state.get("sampled_at") or {}).items() if k == barcode}
    if when is not None:
        dated[barcode] = timezone.localtime(when).strftime(ISO_MOMENT)
    state["sampled_at"] = dated


def _posted_tube(request: HttpRequest) -> Tube:
    tube = _tube_in_reach(request.user, request.POST.get("tube", ""))
    if tube is None:
        raise Http404
    return tube


def _sampling_open(request: HttpRequest, state: dict[str, Any], person_id: int | None) -> str:
    """Open a new tube; a barcode of an open tube continues it, of a sealed one still at the
    site asks why to reopen it."""
    user = request.user
    now = _current(request, state)
    barcode = services.clean_barcode(request.POST.get("barcode", ""))
    used = _tube_in_reach(user, barcode)
    if used is not None and used.is_open:
        messages.info(request, _("Tube %(barcode)s is open: continue it.") % {"barcode": barcode})
        return _sampling_url(used.barcode, person_id)
    if used is not None and used.state == TubeStatus.COLLECTED:
        messages.info(
            request,
            _("Tube %(barcode)s is sealed. To add people, reopen it and say why.")
            % {"barcode": barcode},
        )
        return _sampling_url(person=person_id, reopen=used.barcode)
    if used is not None:
        raise field_error(
            "barcode",
            _("Tube %(barcode)s has left the site (%(status)s); open a new tube")
            % {"barcode": barcode, "status": used.get_state_display()},
        )
    collected_at = _posted_time(request, TubeOpenForm, "collected_at")
    form = TubeOpenForm(request.POST)
    if not form.is_valid():
        raise ValidationError({"mode": [_("Choose a single or a pooled tube")]})
    testing_round = now["round"]
    if state.get("round") and testing_round is None:
        raise ValidationError({"round": [_("This round is closed; choose another")]})
    purpose = Purpose.ROUND if testing_round else state.get("purpose") or Purpose.VOLUNTARY
    if form.cleaned_data["mode"] == "single" or purpose == Purpose.RETEST:
        capacity = 1
    else:
        capacity = (
            testing_round.pool_size if testing_round else current().rules.testing.default_pool_size
        )
    tube = services.tube_open(
        actor=user,
        barcode=barcode,
        round=testing_round,
        site=now["site"],
        capacity=capacity,
        purpose=purpose,
        collected_at=collected_at,
    )
    _backdated(state, tube.barcode, collected_at)
    messages.success(
        request,
        _("Tube %(barcode)s opened (0/%(n)s).") % {"barcode": tube.barcode, "n": capacity},
    )
    return _sampling_url(tube.barcode, person_id)


def _sampling_add(request: HttpRequest, state: dict[str, Any], person_id: int | None) -> str:
    user = request.user
    if not request.POST.get("tube", "").strip():
        raise ValidationError({"barcode": [_("Open a tube first")]})
    tube = _posted_tube(request)
    sampled_at = _posted_time(request, MemberAddForm, "sampled_at")
    raw = MemberAddForm(request.POST).data.get("person", "")
    if person_id and not (raw or "").strip():
        person = selectors.person_by_id_for_sampling(user, person_id)
    else:
        person = selectors.person_for_sampling(user, raw)
    services.tube_add_member(actor=user, tube=tube, person=person, sampled_at=sampled_at)
    _backdated(state, tube.barcode, sampled_at)
    tube.refresh_from_db(fields=["fill"])
    count = tube.members.count()
    messages.success(
        request,
        _("%(name)s added to %(barcode)s (%(count)s/%(n)s).")
        % {"name": person.name, "barcode": tube.barcode, "count": count, "n": tube.capacity},
    )
    if tube.fill != TubeFill.OPEN:
        messages.info(request, _("The tube is full and sealed: open the next one."))
        return _sampling_url()
    # the person carried here has been sampled; another one stays to be sampled
    return _sampling_url(tube.barcode, None if person.pk == person_id else person_id)


def _sampling_reopen(request: HttpRequest, person_id: int | None) -> str:
    tube = _posted_tube(request)
    form = TubeReopenForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    services.tube_reopen(actor=request.user, tube=tube, reason=reason)
    messages.success(request, _("Tube %(barcode)s reopened.") % {"barcode": tube.barcode})
    return _sampling_url(tube.barcode, person_id)


def _sampling_setup(request: HttpRequest, state: dict[str, Any]) -> None:
    user = request.user
    round_id = request.POST.get("round", "")
    site_id = request.POST.get("site", "")
    purpose = request.POST.get("purpose", "") or Purpose.VOLUNTARY
    testing_round = None
    if round_id:
        testing_round = selectors.open_rounds_for_sampling(user).filter(pk=_int(round_id)).first()
        if testing_round is None:
            raise ValidationError({"round": [_("No open round with this number for you")]})
    site = None
    if site_id:
        site = selectors.sites_for_user(user).filter(pk=_int(site_id), active=True).first()
        if site is None:
            raise ValidationError({"site": [_("No sampling site with this number for you")]})
        if testing_round is not None:
            round_sites = set(testing_round.sites.values_list("pk", flat=True))
            if round_sites and site.pk not in round_sites:
                raise ValidationError({"site": [_("This site does not sample for this round")]})
    if purpose not in (Purpose.VOLUNTARY, Purpose.RETEST):
        purpose = Purpose.VOLUNTARY
    state.update(
        {
            "round": testing_round.pk if testing_round else None,
            "site": site.pk if site else None,
            "purpose": purpose,
        }
    )
    messages.success(request, _("Sampling set up."))


def _int(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        return 0


# Custody --------------------------------------------------------------------------------


def _lab_choices(qs: Any) -> list[tuple[str, str]]:
    return [(str(lab.pk), f"{lab.name} ({lab.code})") for lab in qs.order_by("code")]


def _send_choices(user: Any) -> list[tuple[str, Any]]:
    """The labs in use, those serving the caller's area first, each with today's load."""
    serving, others = lab_selectors.labs_for_sending(user)
    sent = lab_selectors.tubes_sent_on([lab.pk for lab in serving + others], timezone.localdate())

    def label(lab: Lab) -> str:
        if lab.capacity_per_day is None:
            return f"{lab.name} ({lab.code})"
        return _("%(name)s (%(code)s) · today %(sent)s of %(capacity)s") % {
            "name": lab.name,
            "code": lab.code,
            "sent": f"{sent.get(lab.pk, 0):,}",
            "capacity": f"{lab.capacity_per_day:,}",
        }

    groups = [(_("Labs serving your area"), serving), (_("Other labs"), others)]
    choices = [(str(name), [(str(lab.pk), label(lab)) for lab in labs]) for name, labs in groups]
    return [group for group in choices if group[1]]


def _state_q(state: str) -> Q:
    """Tubes in a custody state; "tested" means the tube has a result, whatever its custody."""
    if state == TubeStatus.TESTED:
        return Q(result__isnull=False)
    return Q(status=state, result__isnull=True)


def _state_counts(tubes: Any) -> dict[str, int]:
    """Tubes per state, in one query."""
    counts: dict[str, int] = {}
    rows = tubes.values("status").annotate(n=Count("id"), tested=Count("result")).order_by()
    for status, n, tested in rows.values_list("status", "n", "tested"):
        counts[status] = counts.get(status, 0) + n - tested
        counts[TubeStatus.TESTED] = counts.get(TubeStatus.TESTED, 0) + tested
    return counts


@login_required
def custody(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.SAMPLING)
    qs = selectors.tubes_for_user(request.user)
    round_id = _int(request.GET.get("round", "") or "0")
    site_id = _int(request.GET.get("site", "") or "0")
    status = request.GET.get("status", TubeStatus.COLLECTED)
    if round_id:
        qs = qs.filter(round_id=round_id)
    if site_id:
        qs = qs.filter(site_id=site_id)
    if status in TubeStatus.values:
        qs = qs.filter(_state_q(status))
    qs = qs.annotate(member_count=Count("members")).order_by("-collected_at", "-id")
    rows, pager = page_window(request, qs)
    by_status = _state_counts(
        selectors.tubes_for_user(request.user)
        .filter(**({"round_id": round_id} if round_id else {}))
        .filter(**({"site_id": site_id} if site_id else {}))
    )
    can_receive = can(request.user, Cap.RESULTS_UPLOAD)
    send_labs = _send_choices(request.user)
    return render(
        request,
        "lab/custody.html",
        {
            "rows": rows,
            "pager": pager,
            "status": status,
            "statuses": [(s, label, by_status.get(s, 0)) for s, label in TubeStatus.choices],
            "rounds": selectors.rounds_for_user(request.user, Cap.SAMPLING).order_by("-starts_at")[
                :50
            ],
            "sites": selectors.sites_for_user(request.user).order_by("code")[:200],
            "round_id": round_id,
            "site_id": site_id,
            "send_form": SendForm(labs=send_labs),
            "send_labs": bool(send_labs),
            "receive_form": ReceiveForm(
                labs=_lab_choices(lab_selectors.labs_for_user(request.user))
            )
            if can_receive
            else None,
            "section": "sampling",
        },
    )


@login_required
@require_POST
def custody_send(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.SAMPLING)
    form = SendForm(request.POST, labs=_send_choices(request.user))
    ids = [_int(v) for v in request.POST.getlist("tube")]
    if not form.is_valid():
        messages.error(request, _("Choose the lab"))
    elif not ids:
        messages.error(request, _("Choose at least one tube"))
    else:
        lab = lab_selectors.labs().get(pk=form.cleaned_data["lab"])
        tubes = list(selectors.tubes_for_user(request.user).filter(pk__in=ids))
        try:
            n = services.tubes_send(actor=request.user, tubes=tubes, lab=lab)
        except ValidationError as exc:
            flash(request, exc)
        else:
            messages.success(request, _("%(n)s tube(s) sent to %(lab)s.") % {"n": n, "lab": lab})
    return redirect(request.POST.get("next") or "lab:custody")


@login_required
@require_POST
def custody_receive(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.RESULTS_UPLOAD)
    form = ReceiveForm(request.POST, labs=_lab_choices(lab_selectors.labs_for_user(request.user)))
    if not form.is_valid():
        flash(request, form=form)
    else:
        lab = lab_selectors.labs_for_user(request.user).get(pk=form.cleaned_data["lab"])
        try:
            n = services.tubes_receive(
                actor=request.user, barcodes=[form.cleaned_data["barcodes"]], lab=lab
            )
        except ValidationError as exc:
            flash(request, exc)
        else:
            message = _("%(n)s tube(s) received at %(lab)s.") % {"n": n, "lab": lab}
            messages.success(request, message)
    return redirect("lab:custody")
