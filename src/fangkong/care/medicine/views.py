"""Pages of medicine delivery: who runs out soon, the orders (with the forms for a course and
an order, and the batching per pharmacy for the task force), an order's page with its steps."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.care.facilities.selectors import is_facility_staff
from fangkong.care.medicine import selectors, services
from fangkong.care.medicine.forms import CourseForm, MyAnswerForm, OrderForm, StepForm
from fangkong.care.models import OrderStatus
from fangkong.care.requests.services import person_in_scope
from fangkong.care.requests.views import session_person
from fangkong.core.access import Cap, can, require
from fangkong.core.pages import apply_errors, page_window

SECTION = "care_medicine"


def _save_course(request: HttpRequest, data: dict[str, Any]) -> None:
    services.course_save(
        actor=request.user,
        person=person_in_scope(request.user, data.pop("id_number")),
        **data,
    )


def _save_order(request: HttpRequest, data: dict[str, Any]) -> None:
    services.order_raise(
        actor=request.user,
        person=person_in_scope(request.user, data.pop("id_number")),
        **data,
    )


@login_required
def medicine_home(request: HttpRequest) -> HttpResponse:
    keeps = can(request.user, Cap.CARE_COMMUNITY)
    if request.method == "POST":
        require(request.user, Cap.CARE_COMMUNITY)
    which = request.POST.get("form")
    course_form = order_form = None
    if keeps:
        course_form = CourseForm(request.POST if which == "course" else None, user=request.user)
        order_form = OrderForm(request.POST if which == "order" else None, user=request.user)
    forms: list[tuple[Any, Callable[[HttpRequest, dict[str, Any]], None]]] = [
        (course_form, _save_course),
        (order_form, _save_order),
    ]
    for form, save in forms:
        if form is None or not (form.is_bound and form.is_valid()):
            continue
        try:
            save(request, dict(form.cleaned_data))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("care:medicine")
    show = request.GET.get("status", "open")
    orders = selectors.orders_for_user(request.user).select_related("person", "pharmacy")
    if show == "open":
        orders = orders.filter(status__in=services.OPEN)
    elif show in OrderStatus.values:
        orders = orders.filter(status=show)
    rows, pager = page_window(request, orders)
    return render(
        request,
        "care/medicine.html",
        {
            "running_out": selectors.running_out_for_user(request.user) if keeps else None,
            "warning_days": selectors.warning_days(),
            "today": timezone.localdate(),
            "rows": rows,
            "pager": pager,
            "show": show,
            "statuses": OrderStatus.choices,
            "course_form": course_form,
            "order_form": order_form,
            "can_batch": can(request.user, Cap.CARE_MANAGE),
            "section": SECTION,
        },
    )


@login_required
@require_POST
def medicine_batch(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.CARE_MANAGE)
    batches = services.orders_batch(actor=request.user)
    messages.success(request, _("%(n)s batches made, one per pharmacy.") % {"n": len(batches)})
    return redirect("care:medicine")


@login_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_for_user(request.user, pk)
    form = StepForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.order_step(actor=request.user, order=order, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("care:medicine_order", pk=pk)
    return render(
        request,
        "care/medicine_order.html",
        {
            "order": order,
            "form": form,
            "events": selectors.order_history(order),
            "keeps": can(request.user, Cap.CARE_COMMUNITY),
            "sources": can(request.user, Cap.CARE_MANAGE) or is_facility_staff(request.user),
            "section": SECTION,
        },
    )


def my_medicine(request: HttpRequest) -> HttpResponse:
    """The resident's own open medicine orders on their phone, a substitute awaiting their
    answer first, with the form to accept or decline it."""
    person = session_person(request)
    if person is None:
        return redirect("care_public:my_request")
    return render(
        request,
        "care/my_medicine.html",
        {"orders": selectors.orders_of_person(person), "answer_form": MyAnswerForm()},
    )


@require_POST
def my_substitute_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """The patient accepts or declines a substitute themselves, on their phone page (signed in
    there by ID number and phone): only an order of their own."""
    person = session_person(request)
    if person is None:
        return redirect("care_public:my_request")
    form = MyAnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose your answer."))
        return redirect("care_public:my_medicine")
    try:
        services.my_substitute_answer(
            person=person,
            order_id=pk,
            accept=form.cleaned_data["decision"] == "accept",
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your answer was sent to the pharmacy and your community."))
    return redirect("care_public:my_medicine")
