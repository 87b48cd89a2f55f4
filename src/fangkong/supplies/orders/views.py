"""Pages of the orders into sealed compounds: the orders (key persons first, late ones
flagged), ordering for a resident (a phone page for grid workers and the 12345 operator), an
order's page (its way to the door, delivery with proof, problems, history), the batches (run,
accept, dispatch, at the receiving point), receiving points, the catalogue, totals by
compound, and the resident's own /my-orders/."""

import time
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.audit.services import SELF_SERVICE
from fangkong.core.access import Cap, can, require
from fangkong.core.pages import apply_errors, flash, page_window
from fangkong.healthcode import appeals
from fangkong.healthcode.forms import IdentityForm
from fangkong.healthcode.views import MY_CODE_SESSION_SECONDS, my_code_throttled
from fangkong.people.models import Resident
from fangkong.people.selectors import resident_for_user, resident_search
from fangkong.places.selectors import place_in_scope
from fangkong.supplies.orders import selectors, services
from fangkong.supplies.orders.forms import (
    BatchStatusForm,
    CancelForm,
    DeliverForm,
    FindPersonForm,
    MyOrderForm,
    OrderForm,
    PointChangeForm,
    PointForm,
    ProblemForm,
    ProductForm,
)
from fangkong.supplies.orders.models import Order, OrderStatus
from fangkong.zones.selectors import level_label

SECTION = "supply_orders"
BATCH_OPEN = (OrderStatus.PLACED, OrderStatus.ACCEPTED, OrderStatus.DISPATCHED)


def _mark_late(orders: list[Order]) -> list[Order]:
    for o in orders:
        o.late = selectors.is_late(o)  # type: ignore[attr-defined]
    return orders


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    """Orders of the user's compounds (an enterprise: its assignments), key persons first."""
    qs = selectors.orders_for_user(request.user).select_related("person", "compound", "point")
    status = request.GET.get("status", "")
    if status in OrderStatus.values:
        qs = qs.filter(status=status)
    if request.GET.get("late"):
        qs = qs.filter(selectors.late_q())
    rows, pager = page_window(request, qs)
    return render(
        request,
        "supplies/orders.html",
        {
            "rows": _mark_late(rows),
            "pager": pager,
            "statuses": OrderStatus.choices,
            "status": status,
            "late": bool(request.GET.get("late")),
            "may_place": can(request.user, Cap.ORDERS_PLACE),
            "may_batch": can(request.user, Cap.SUPPLIES_MANAGE),
            "names": can(request.user, Cap.RESIDENTS_VIEW),
            "section": SECTION,
        },
    )


@login_required
def order_new(request: HttpRequest) -> HttpResponse:
    """Order for a resident who cannot use a phone: find them, then choose packages."""
    require(request.user, Cap.ORDERS_PLACE)
    person = None
    if request.GET.get("person", "").isdigit():
        person = resident_for_user(request.user, int(request.GET["person"]))
    if person is None:
        find = FindPersonForm(request.GET or None)
        found = (
            list(resident_search(request.user, find.cleaned_data["q"])[:20])
            if find.is_valid() and find.cleaned_data["q"]
            else []
        )
        return render(
            request,
            "supplies/order_find.html",
            {"find": find, "found": found, "section": SECTION},
        )
    products = list(selectors.catalogue())
    form = OrderForm(request.POST or None, products=products)
    if request.method == "POST" and form.is_valid():
        try:
            order = services.order_place(
                actor=request.user,
                person=person,
                lines=form.lines(),
                contact_phone=form.cleaned_data["contact_phone"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Order placed."))
            return redirect("supplies:order", pk=order.pk)
    return render(
        request,
        "supplies/order_new.html",
        {
            "person": person,
            "categories": services.key_categories(person),
            "form": form,
            "section": SECTION,
        },
    )


@login_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_for_user(request.user, pk)
    deliver = (
        DeliverForm()
        if order.status == OrderStatus.AT_POINT and selectors.may_deliver(request.user)
        else None
    )
    return render(
        request,
        "supplies/order_detail.html",
        {
            "order": order,
            "late": selectors.is_late(order),
            "zone_label": level_label(order.zone_level) if order.zone_level else "",
            "lines": order.lines.select_related("product"),
            "problems": order.problems.all(),
            "events": selectors.order_history(order),
            "show_code": order.placed_by_id == request.user.pk,
            "names": can(request.user, Cap.RESIDENTS_VIEW),
            "deliver": deliver,
            "problem": ProblemForm(),
            "cancel": CancelForm()
            if order.status == OrderStatus.PLACED and can(request.user, Cap.ORDERS_PLACE)
            else None,
            "section": SECTION,
        },
    )


@login_required
@require_POST
def order_deliver(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Cap.ORDERS_DELIVER)
    order = selectors.order_for_user(request.user, pk)
    form = DeliverForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data.get("photo")
        try:
            services.order_deliver(
                actor=request.user,
                order=order,
                volunteer=form.cleaned_data["volunteer"],
                code=form.cleaned_data["code"],
                photo=upload[0] if upload else None,
                at=form.cleaned_data["at"],
            )
        except ValidationError as exc:
            flash(request, exc)
        else:
            messages.success(request, _("Delivered to the door."))
    else:
        flash(request, form=form)
    return redirect("supplies:order", pk=pk)


@login_required
def order_photo(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_for_user(request.user, pk)
    photo = getattr(order, "photo", None)
    if photo is None:
        return HttpResponse(status=404)
    response = HttpResponse(bytes(photo.data), content_type=photo.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def order_problem(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_for_user(request.user, pk)
    form = ProblemForm(request.POST)
    if form.is_valid():
        try:
            services.order_problem_record(
                actor=request.user,
                order=order,
                kind=form.cleaned_data["kind"],
                note=form.cleaned_data["note"],
                at=form.cleaned_data["at"],
            )
        except ValidationError as exc:
            flash(request, exc)
        else:
            messages.success(request, _("Problem recorded."))
    else:
        flash(request, form=form)
    return redirect("supplies:order", pk=pk)


@login_required
@require_POST
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_for_user(request.user, pk)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.order_cancel(
                actor=request.user,
                order=order,
                reason=form.cleaned_data["reason"],
                at=form.cleaned_data["at"],
            )
        except ValidationError as exc:
            flash(request, exc)
        else:
            messages.success(request, _("Order cancelled."))
    else:
        flash(request, form=form)
    return redirect("supplies:order", pk=pk)


# Batches ---------------------------------------------------------------------------------------


@login_required
def batch_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.batches_for_user(request.user).select_related("compound", "point", "enterprise")
    rows, pager = page_window(request, qs)
    return render(
        request,
        "supplies/batches.html",
        {
            "rows": rows,
            "pager": pager,
            "may_batch": can(request.user, Cap.SUPPLIES_MANAGE),
            "section": "supply_batches",
        },
    )


@login_required
@require_POST
def batch_run(request: HttpRequest) -> HttpResponse:
    result = services.orders_batch(actor=request.user)
    messages.success(
        request,
        _("%(orders)s orders in %(batches)s batches assigned.")
        % {"orders": result.orders, "batches": result.batches},
    )
    if result.unserved:
        messages.warning(
            request,
            _("No granted enterprise serves %(count)s compounds; their orders wait.")
            % {"count": len(result.unserved)},
        )
    return redirect("supplies:batches")


@login_required
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = selectors.batch_for_user(request.user, pk)
    keeper = can(request.user, Cap.SUPPLY_ENTERPRISE) or can(request.user, Cap.SUPPLIES_MANAGE)
    if request.method == "POST" and not keeper:
        require(request.user, Cap.SUPPLY_ENTERPRISE)
    form = BatchStatusForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            moved = services.batch_advance(
                actor=request.user,
                batch=batch,
                status=form.cleaned_data["status"],
                at=form.cleaned_data["at"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("%(count)s orders moved.") % {"count": moved})
            return redirect("supplies:batch", pk=pk)
    orders = selectors.orders_for_user(request.user).filter(batch=batch).select_related("person")
    keeper = keeper and batch.status in BATCH_OPEN
    return render(
        request,
        "supplies/batch_detail.html",
        {
            "batch": batch,
            "orders": _mark_late(list(orders[:500])),
            "form": form if keeper else None,
            "names": can(request.user, Cap.RESIDENTS_VIEW),
            "section": "supply_batches",
        },
    )


# Receiving points, the catalogue, totals -------------------------------------------------------


def _may_keep_points(user: Any) -> bool:
    return can(user, Cap.RECEIVING_POINTS) or can(user, Cap.SUPPLIES_MANAGE)


@login_required
def point_list(request: HttpRequest) -> HttpResponse:
    form = PointForm(request.POST or None) if _may_keep_points(request.user) else None
    if request.method == "POST":
        if form is None:
            require(request.user, Cap.RECEIVING_POINTS)
        assert form is not None
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.point_register(
                    actor=request.user,
                    compound=place_in_scope(request.user, data["compound"], "compound"),
                    name=data["name"],
                    location=data["location"],
                    hours=data["hours"],
                    contact_name=data["contact_name"],
                    phone=data["phone"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Receiving point registered."))
                return redirect("supplies:points")
    rows, pager = page_window(request, selectors.points_for_user(request.user))
    return render(
        request,
        "supplies/points.html",
        {"rows": rows, "pager": pager, "form": form, "section": "receiving_points"},
    )


@login_required
def point_detail(request: HttpRequest, pk: int) -> HttpResponse:
    point = selectors.point_for_user(request.user, pk)
    initial = {k: getattr(point, k) for k in ("name", "location", "hours", "contact_name")}
    initial |= {"phone": point.phone, "active": point.active}
    keep = _may_keep_points(request.user)
    form = PointChangeForm(request.POST or None, initial=initial) if keep else None
    if request.method == "POST":
        if form is None:
            require(request.user, Cap.RECEIVING_POINTS)
        assert form is not None
        if form.is_valid():
            try:
                services.point_update(actor=request.user, point=point, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("supplies:point", pk=pk)
    return render(
        request,
        "supplies/point_detail.html",
        {"point": point, "form": form, "section": "receiving_points"},
    )


@login_required
def product_list(request: HttpRequest) -> HttpResponse:
    products = selectors.products_for_user(request.user)
    keep = can(request.user, Cap.SUPPLIES_MANAGE)
    editing = None
    if keep and request.GET.get("edit", "").isdigit():
        editing = selectors.product_for_user(request.user, int(request.GET["edit"]))
    initial = (
        {k: getattr(editing, k) for k in ProductForm.base_fields} if editing else {"active": True}
    )
    form = ProductForm(request.POST or None, initial=initial) if keep else None
    if request.method == "POST":
        require(request.user, Cap.SUPPLIES_MANAGE)
        assert form is not None
        if form.is_valid():
            try:
                services.product_save(actor=request.user, product=editing, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("supplies:products")
    return render(
        request,
        "supplies/products.html",
        {"rows": products, "form": form, "editing": editing, "section": "supply_products"},
    )


@login_required
def order_totals(request: HttpRequest) -> HttpResponse:
    """Orders by compound: open, late, key persons, delivered; late ones first."""
    return render(
        request,
        "supplies/order_totals.html",
        {"rows": selectors.totals_by_compound(request.user), "section": "supply_totals"},
    )


# The resident's own page (no login; the identity and session of /my-code/) --------------------


def _session_person(request: HttpRequest) -> Resident | None:
    entry = request.session.get("my_code")
    if not entry or time.time() - entry.get("at", 0) > MY_CODE_SESSION_SECONDS:
        return None
    return Resident.objects.filter(pk=entry.get("person")).first()


def _household(person: Resident) -> list[Resident]:
    if not person.household_id:
        return [person]
    return list(Resident.objects.filter(household_id=person.household_id).order_by("pk"))


def my_orders(request: HttpRequest) -> HttpResponse:
    """A resident orders packages for their own household and follows the orders."""
    person = _session_person(request)
    if person is None:
        return _my_identify(request)
    household = _household(person)
    products = list(selectors.catalogue())
    form = MyOrderForm(
        request.POST or None,
        products=products,
        members=[(p.pk, p.name) for p in household],
        initial={"for_person": person.pk, "contact_phone": person.phone},
    )
    if request.method == "POST" and form.is_valid():
        whom = next(p for p in household if p.pk == form.cleaned_data["for_person"])
        try:
            services.order_place(
                actor=SELF_SERVICE,
                person=whom,
                lines=form.lines(),
                contact_phone=form.cleaned_data["contact_phone"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            apply_errors(form, exc, aliases={"person": "for_person"})
        else:
            messages.success(request, _("Order placed."))
            return redirect("supplies_public:my_orders")
    orders = _mark_late(
        list(
            Order.objects.filter(person__in=household)
            .select_related("person", "point")
            .order_by("-placed_at", "-pk")[:20]
        )
    )
    return render(
        request, "supplies/my_orders.html", {"form": form, "orders": orders, "person": person}
    )


def _my_identify(request: HttpRequest) -> HttpResponse:
    form = IdentityForm(request.POST or None)
    if request.method == "POST":
        if my_code_throttled(request):
            form.add_error(None, _("Too many attempts from this network; try again in an hour."))
            return render(request, "supplies/my_orders_identify.html", {"form": form}, status=429)
        if form.is_valid():
            found = appeals.person_by_identity(
                form.cleaned_data["id_number"], form.cleaned_data["phone"]
            )
            if found is not None:
                request.session.cycle_key()
                request.session["my_code"] = {"person": found.pk, "at": time.time()}
                return redirect("supplies_public:my_orders")
            form.add_error(None, _("No person matches this ID number and phone."))
    return render(request, "supplies/my_orders_identify.html", {"form": form})
