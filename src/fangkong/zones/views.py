"""Pages of risk zones: list, drawing, one zone, evaluations, and the public list."""

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fangkong.core.access import Cap, can, in_scope, require
from fangkong.core.pages import apply_errors, flash, page_window
from fangkong.core.words import listing
from fangkong.places import selectors as place_selectors
from fangkong.places.models import Division, Level
from fangkong.policy.accessor import current
from fangkong.zones import selectors, services
from fangkong.zones.forms import (
    ActivateForm,
    DrawForm,
    EvaluateForm,
    ExtendForm,
    LevelForm,
    ReasonForm,
    split_codes,
)
from fangkong.zones.models import Verdict, Zone, ZoneStatus

NOTE_LABELS = {
    "rule_met": gettext_lazy("The rule is met"),
    "too_few_clean_days": gettext_lazy("Not enough days without infection yet"),
    "positive_in_round": gettext_lazy("A positive result among the zone's people"),
    "no_round": gettext_lazy("No testing round of the zone's people on the required day yet"),
    "results_pending": gettext_lazy("The required round's results are not all in"),
    "infection_escalates": gettext_lazy("A new infection inside: the policy escalates the zone"),
    "level_not_in_scheme": gettext_lazy("The zone's level is not in its policy's scheme"),
    "no_rule": gettext_lazy("The policy has no rule that lowers this level"),
}
RECENT_EVALUATIONS = 20  # on a zone's page; the evaluations page lists them all


def _map_settings(
    request: HttpRequest | None = None, *, open_on_jurisdiction: bool = False
) -> dict[str, Any]:
    """What the page's map script needs: the optional tile server, and for staff pages the
    base layer of the user's places (`places:map`) and the box of their jurisdiction."""
    out: dict[str, Any] = {
        "tiles": settings.MAP_TILES,
        "attribution": settings.MAP_TILES_ATTRIBUTION,
    }
    if request is not None and can(request.user, Cap.PLACES_VIEW):
        out["base"] = reverse("places:map")
    if request is not None and open_on_jurisdiction:
        out["bounds"] = place_selectors.jurisdiction_bounds(request.user)
    return out


def _levels(rules: Any, drawable: bool = True) -> list[tuple[str, str]]:
    levels = rules.zones.levels[:-1] if drawable else rules.zones.levels
    return [(lv, selectors.level_label(lv)) for lv in levels]


def _decorate_evaluations(rows: list[Any]) -> None:
    for e in rows:
        e.level_label = selectors.level_label(e.level)
        e.proposed_label = selectors.level_label(e.proposed_level) if e.proposed_level else ""
        e.note_labels = [str(NOTE_LABELS.get(n, n)) for n in e.notes]


def _decorate(zones: list[Zone]) -> None:
    cache = selectors.RulesCache()
    for z in zones:
        z.level_label = selectors.level_label(z.level)  # type: ignore[attr-defined]
        z.level_rank = selectors.severity(cache.for_zone(z), z.level)  # type: ignore[attr-defined]


# List ------------------------------------------------------------------------------------------


@login_required
def zone_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.zones_for_user(request.user)
    status = request.GET.get("status", "current")
    if status == "current":
        qs = qs.filter(status__in=[ZoneStatus.ACTIVE, ZoneStatus.PROPOSED])
    elif status in ZoneStatus.values:
        qs = qs.filter(status=status)
    rows, pager = page_window(request, qs.order_by("status", "-level_since", "-id"))
    _decorate(rows)
    today = timezone.localdate()
    return render(
        request,
        "zones/zone_list.html",
        {
            "rows": rows,
            "pager": pager,
            "status": status,
            "statuses": [("current", _("In force or proposed")), *ZoneStatus.choices],
            "figures": selectors.zone_figures_for_user(request.user, today),
            "today": today,
            "can_manage": can(request.user, Cap.ZONES_MANAGE),
            "section": "zones",
        },
    )


# Drawing ---------------------------------------------------------------------------------------


def _area_inputs(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "divisions": selectors.divisions_by_codes(request.user, split_codes(data["places"])),
        "polygon": data.get("polygon") or None,
        "cases": selectors.cases_by_numbers(request.user, split_codes(data["cases"])),
    }


@login_required
def zone_draw(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.ZONES_MANAGE)
    rules = current().rules
    form = DrawForm(request.POST or None, levels=_levels(rules))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            zone = services.zone_draw(
                actor=request.user,
                level=data["level"],
                reason=data["reason"],
                name=data["name"],
                started_at=data["started_at"],
                in_force=data["in_force"],
                **_area_inputs(request, data),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Zone drawn: %(name)s") % {"name": zone.name})
            return redirect("zones:zone", pk=zone.pk)
    return render(
        request,
        "zones/zone_draw.html",
        {
            "form": form,
            "rules": rules,
            "drawn_by": listing(Level[k.upper()].label for k in rules.zones.drawn_by),
            "obligations": [
                (selectors.level_label(lv), selectors.obligations_text(rules, lv))
                for lv in rules.zones.levels[:-1]
            ],
            "map": _map_settings(request, open_on_jurisdiction=True),
            "section": "zones",
        },
    )


@login_required
def place_search(request: HttpRequest) -> JsonResponse:
    """JSON for the place picker: nodes by name or code, or the children of a node."""
    require(request.user, Cap.ZONES_MANAGE)
    nodes = selectors.places_search(
        request.user, q=request.GET.get("q", "").strip(), parent=request.GET.get("parent", "")
    )
    paths = selectors.place_paths([d.key for d in nodes], start=Level.STREET)
    return JsonResponse(
        {
            "items": [
                {
                    "code": d.code,
                    "key": d.key,
                    "name": d.name,
                    "path": paths.get(d.key) or d.name,
                    "level": str(Level(d.level).label),
                    "kind": services.node_kind(d),
                    "lat": d.lat,
                    "lon": d.lon,
                    "leaf": d.level >= Level.UNIT,
                }
                for d in nodes
            ]
        }
    )


# One zone -------------------------------------------------------------------------------------


def _zone_geojson(zone: Zone, nodes: list[Division], paths: dict[str, str]) -> dict[str, Any]:
    props = {
        "zone": zone.pk,
        "level": zone.level,
        "label": selectors.level_label(zone.level),
        "rank": zone.level_rank,  # type: ignore[attr-defined]
    }
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [d.lon, d.lat]},
            "properties": {**props, "name": paths.get(d.key, d.name)},
        }
        for d in nodes
        if d.lat is not None and d.lon is not None
    ]
    features += [
        {"type": "Feature", "geometry": g, "properties": props}
        for g in selectors.zone_polygons(zone)
    ]
    return {"type": "FeatureCollection", "features": features}


def _evidence_rounds(zone: Zone) -> list[dict[str, Any]]:
    latest = zone.evaluations.order_by("-day", "-id").first()
    return list(latest.rounds) if latest else []


@login_required
def zone_detail(request: HttpRequest, pk: int) -> HttpResponse:
    zone = selectors.zone_for_user(request.user, pk)
    cache = selectors.RulesCache()
    policy = cache.policy_for(zone)
    zone.level_rank = selectors.severity(policy.rules, zone.level)  # type: ignore[attr-defined]
    areas = selectors.node_areas(zone)
    keys = [a.division_key for a in areas]
    paths = selectors.place_paths(keys)
    counts = selectors.people_by_node(keys)
    nodes = [a.division for a in areas if a.division is not None]
    evaluations = list(
        zone.evaluations.select_related("decided_by").order_by("-day", "-id")[:RECENT_EVALUATIONS]
    )
    _decorate_evaluations(evaluations)
    manage = can(request.user, Cap.ZONES_MANAGE) and in_scope(request.user, zone.division_key)
    return render(
        request,
        "zones/zone_detail.html",
        {
            "zone": zone,
            "level_label": selectors.level_label(zone.level),
            "level_rank": zone.level_rank,  # type: ignore[attr-defined]
            "obligations": selectors.obligations_text(policy.rules, zone.level),
            "policy": policy,
            "places": [
                {
                    "division": a.division,
                    "path": paths.get(a.division_key),
                    "people": counts.get(a.division_key, 0),
                    "from_polygon": a.polygon_id is not None,
                }
                for a in areas
            ],
            "people": sum(counts.values()),
            "cases": list(zone.cases.order_by("number")),
            "history": [
                {
                    "change": c,
                    "from_label": selectors.level_label(c.from_level),
                    "to_label": selectors.level_label(c.to_level),
                }
                for c in selectors.zone_history(zone)
            ],
            "evaluations": evaluations,
            "rounds": _evidence_rounds(zone),
            "geojson": _zone_geojson(zone, nodes, paths),
            "map": _map_settings(request),
            "can_manage": manage,
            "can_round": can(request.user, Cap.ROUNDS_MANAGE)
            and in_scope(request.user, zone.division_key)
            and zone.status == ZoneStatus.ACTIVE,
            "can_see_cases": can(request.user, Cap.CASES_VIEW),
            "level_form": LevelForm(levels=_levels(policy.rules, drawable=False)),
            "extend_form": ExtendForm(),
            "reason_form": ReasonForm(),
            "activate_form": ActivateForm(),
            "events": selectors.zone_events(request.user, zone),
            "section": "zones",
        },
    )


def _zone_action(request: HttpRequest, pk: int, action: Any, success: str) -> HttpResponse:
    zone = selectors.zone_for_user(request.user, pk)
    try:
        action(zone)
    except ValidationError as exc:
        flash(request, exc)
    else:
        messages.success(request, success)
    return redirect("zones:zone", pk=zone.pk)


@login_required
@require_POST
def zone_activate(request: HttpRequest, pk: int) -> HttpResponse:
    form = ActivateForm(request.POST)
    if not form.is_valid():
        flash(request, form=form)
        return redirect("zones:zone", pk=pk)
    return _zone_action(
        request,
        pk,
        lambda z: services.zone_activate(actor=request.user, zone=z, **form.cleaned_data),
        _("The zone is in force."),
    )


@login_required
@require_POST
def zone_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _zone_action(
        request,
        pk,
        lambda z: services.zone_withdraw(actor=request.user, zone=z, reason=reason),
        _("The proposed zone was withdrawn."),
    )


@login_required
@require_POST
def zone_level(request: HttpRequest, pk: int) -> HttpResponse:
    zone = selectors.zone_for_user(request.user, pk)
    rules = selectors.RulesCache().policy_for(zone).rules
    form = LevelForm(request.POST, levels=_levels(rules, drawable=False))
    if not form.is_valid():
        flash(request, form=form)
        return redirect("zones:zone", pk=pk)
    return _zone_action(
        request,
        pk,
        lambda z: services.zone_set_level(actor=request.user, zone=z, **form.cleaned_data),
        _("The zone's level was changed."),
    )


@login_required
@require_POST
def zone_extend(request: HttpRequest, pk: int) -> HttpResponse:
    form = ExtendForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the places to add and a reason."))
        return redirect("zones:zone", pk=pk)

    def extend(zone: Zone) -> None:
        services.zone_extend(
            actor=request.user,
            zone=zone,
            reason=form.cleaned_data["reason"],
            **_area_inputs(request, form.cleaned_data),
        )

    return _zone_action(request, pk, extend, _("The zone was extended."))


@login_required
@require_POST
def zone_round(request: HttpRequest, pk: int) -> HttpResponse:
    zone = selectors.zone_for_user(request.user, pk)
    try:
        rounds = services.zone_round_start(
            actor=request.user, zone=zone, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        flash(request, exc)
        return redirect("zones:zone", pk=zone.pk)
    messages.success(request, _("Testing started: %(n)s round(s).") % {"n": len(rounds)})
    if len(rounds) == 1:
        return redirect("lab:round", pk=rounds[0].pk)
    return redirect("zones:zone", pk=zone.pk)


# Evaluations ----------------------------------------------------------------------------------


@login_required
def evaluation_list(request: HttpRequest) -> HttpResponse:
    verdict = request.GET.get("verdict", Verdict.PROPOSED)
    qs = selectors.evaluations_for_user(request.user).select_related("decided_by")
    if verdict in Verdict.values:
        qs = qs.filter(verdict=verdict)
    rows, pager = page_window(request, qs.order_by("-day", "-id"))
    _decorate_evaluations(rows)
    return render(
        request,
        "zones/evaluation_list.html",
        {
            "rows": rows,
            "pager": pager,
            "verdict": verdict,
            "verdicts": Verdict.choices,
            "can_manage": can(request.user, Cap.ZONES_MANAGE),
            "evaluate_form": EvaluateForm(initial={"day": timezone.localdate()}),
            "section": "zone_evaluations",
        },
    )


@login_required
@require_POST
def evaluations_run(request: HttpRequest) -> HttpResponse:
    """Run the daily evaluation now over the zones the user may manage (as of a day)."""
    require(request.user, Cap.ZONES_MANAGE)
    form = EvaluateForm(request.POST)
    if not form.is_valid():
        for message in form.errors.get("day") or [_("Give the day to evaluate.")]:
            messages.error(request, str(message))
        return redirect("zones:evaluations")
    day: dt.date = form.cleaned_data["day"]
    zones = selectors.zones_for_user(request.user).filter(status=ZoneStatus.ACTIVE)
    cache = selectors.RulesCache()
    done = [
        services.zone_evaluate(z, today=day, cache=cache)
        for z in zones
        if in_scope(request.user, z.division_key)
    ]
    proposed = sum(1 for e in done if e is not None and e.verdict == Verdict.PROPOSED)
    messages.success(
        request,
        _("%(n)s zone(s) evaluated for %(day)s; %(p)s change(s) proposed.")
        % {"n": len([e for e in done if e]), "day": day, "p": proposed},
    )
    return redirect("zones:evaluations")


@login_required
@require_POST
def evaluation_decide(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = selectors.evaluation_for_user(request.user, pk)
    reason = request.POST.get("reason", "")
    try:
        if request.POST.get("decision") == "approve":
            services.evaluation_approve(actor=request.user, evaluation=evaluation, reason=reason)
            messages.success(request, _("Change approved and published."))
        else:
            services.evaluation_reject(actor=request.user, evaluation=evaluation, reason=reason)
            messages.success(request, _("Proposal rejected."))
    except ValidationError as exc:
        flash(request, exc)
    if request.POST.get("next") == "zone":
        return redirect("zones:zone", pk=evaluation.zone_id)
    return redirect("zones:evaluations")


# Public ---------------------------------------------------------------------------------------


def risk_zones(request: HttpRequest) -> HttpResponse:
    """Zones in force with address and since when; no personal data, no login."""
    zones = selectors.public_zones()
    return render(
        request,
        "zones/public_list.html",
        {
            "zones": zones,
            "geojson": selectors.public_geojson(zones),
            "now": timezone.localtime(),
            "map": _map_settings(),
        },
    )
