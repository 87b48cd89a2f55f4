"""Pages of health plans: the plans of the jurisdiction with the form for a new one, the needs
falling due in the next days, a plan's page (its details, standing needs, history)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from fangkong.care.models import HealthPlan, StandingNeed
from fangkong.care.plans import selectors, services
from fangkong.care.plans.forms import NeedForm, PlanForm
from fangkong.care.requests.services import person_in_scope
from fangkong.core.pages import apply_errors, page_window

SECTION = "care_plans"


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.plans_for_user(request.user).select_related("person", "contact_hospital")
    form = PlanForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = services.plan_save(
                actor=request.user,
                person=person_in_scope(request.user, data["id_number"]),
                category=data["category"],
                contact_hospital=data["contact_hospital"],
                emergency=data["emergency"],
                note=data["note"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Health plan saved."))
            return redirect("care:plan", pk=plan.pk)
    rows, pager = page_window(request, qs)
    return render(
        request,
        "care/plans.html",
        {"rows": rows, "pager": pager, "form": form, "section": SECTION},
    )


@login_required
def plan_due(request: HttpRequest) -> HttpResponse:
    """Whose standing needs fall due in the next days (policy: care.plans_due_within_days)."""
    return render(
        request,
        "care/plans_due.html",
        {
            "rows": selectors.due_for_user(request.user),
            "days": selectors.lookahead_days(),
            "section": SECTION,
        },
    )


def _need_values(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": data["type"],
        "facility": data["facility"],
        "repeat": data["repeat"],
        "weekdays": "".join(data["weekdays"]),
        "every_days": data["every_days"],
        "starts_on": data["starts_on"],
        "ends_on": data["ends_on"],
        "description": data["description"],
        "active": data["active"],
    }


def _need_initial(need: StandingNeed) -> dict[str, Any]:
    return {
        "type": need.type,
        "facility": need.facility_id,
        "repeat": need.repeat,
        "weekdays": list(need.weekdays),
        "every_days": need.every_days,
        "starts_on": need.starts_on,
        "ends_on": need.ends_on,
        "description": need.description,
        "active": need.active,
    }


def _plan_form(request: HttpRequest, plan: HealthPlan) -> PlanForm:
    initial = {
        "category": plan.category,
        "contact_hospital": plan.contact_hospital_id,
        "emergency": plan.emergency,
        "note": plan.note,
    }
    data = request.POST if request.POST.get("form") == "plan" else None
    return PlanForm(data, user=request.user, editing=True, initial=initial)


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_for_user(request.user, pk)
    plan_form = _plan_form(request, plan)
    need_form = NeedForm(
        request.POST if request.POST.get("form") == "need" else None, user=request.user
    )
    for form in (plan_form, need_form):
        if not (form.is_bound and form.is_valid()):
            continue
        try:
            if form is plan_form:
                services.plan_save(actor=request.user, person=plan.person, **form.cleaned_data)
            else:
                services.need_save(actor=request.user, plan=plan, **_need_values(form.cleaned_data))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("care:plan", pk=plan.pk)
    return render(
        request,
        "care/plan_detail.html",
        {
            "plan": plan,
            "needs": selectors.needs_of(plan),
            "plan_form": plan_form,
            "need_form": need_form,
            "events": selectors.plan_history(plan),
            "section": SECTION,
        },
    )


@login_required
def need_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a standing need (new days apply from the next run; requests raised stay)."""
    need = selectors.need_for_user(request.user, pk)
    plan = selectors.plan_for_user(request.user, need.plan_id)
    form = NeedForm(request.POST or None, user=request.user, initial=_need_initial(need))
    if request.method == "POST" and form.is_valid():
        try:
            services.need_save(
                actor=request.user, plan=plan, need=need, **_need_values(form.cleaned_data)
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("care:plan", pk=plan.pk)
    return render(
        request,
        "care/need_edit.html",
        {"plan": plan, "need": need, "form": form, "section": SECTION},
    )
