"""Pages of allocation: propose, review, confirm, remove people, cancel."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.core.access import Cap, can, require
from fangkong.core.pages import apply_errors, flash, page_window
from fangkong.quarantine.allocation import selectors, services
from fangkong.quarantine.allocation.forms import (
    AllocationForm,
    ConfirmForm,
    ReasonForm,
)
from fangkong.quarantine.models import AllocationBatch

ALLOCATION = "allocation"


def _ids(request: HttpRequest, name: str) -> list[int]:
    return [int(v) for v in request.POST.getlist(name) if v.isdigit()]


# Allocation -----------------------------------------------------------------------------


def _propose(request: HttpRequest, form: AllocationForm) -> AllocationBatch | None:
    data = form.cleaned_data
    try:
        if data["source"] == "contacts":
            require(request.user, Cap.CONTACTS_VIEW)
            people = selectors.people_from_contacts(
                request.user, category=data["category"], since=data.get("since")
            )
            unplaced: list[dict[str, Any]] = []
            if not people:
                raise ValidationError({"source": [_("No close contact is waiting for a room")]})
        else:
            people, unplaced = selectors.people_from_id_numbers(
                request.user, data["id_numbers"], anchor_on=data["anchor_on"]
            )
        return services.allocation_propose(
            actor=request.user,
            category=data["category"],
            people=people,
            unplaced=unplaced,
            source=data["source"],
        )
    except ValidationError as exc:
        apply_errors(form, exc)
        return None


@login_required
def allocate(request: HttpRequest) -> HttpResponse:
    """Pick people and a category; the proposal is saved as a draft to review."""
    require(request.user, Cap.QUARANTINE_MANAGE)
    contacts = can(request.user, Cap.CONTACTS_VIEW)
    form = AllocationForm(request.POST or None, contacts=contacts)
    if request.method == "POST" and form.is_valid():
        batch = _propose(request, form)
        if batch is not None:
            return redirect("quarantine:allocation", pk=batch.pk)
    batches = selectors.batches_for(request.user)
    return render(
        request,
        "quarantine/allocation_start.html",
        {
            "form": form,
            "waiting": selectors.waiting_contacts(request.user).values("person").distinct().count()
            if contacts
            else None,
            "drafts": batches.filter(status=AllocationBatch.Status.DRAFT)[:20],
            "recent": batches.exclude(status=AllocationBatch.Status.DRAFT)[:10],
            "section": ALLOCATION,
        },
    )


@login_required
def allocation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Review a proposal (take people out, confirm, cancel), or see a confirmed one."""
    batch = selectors.batch_for(request.user, pk)
    page, pager = page_window(request, batch.plan)
    return render(
        request,
        "quarantine/allocation_review.html",
        {
            "batch": batch,
            "lines": selectors.batch_lines(batch, page),
            "pager": pager,
            "sites": selectors.batch_sites(batch),
            "unplaced": selectors.batch_unplaced(batch),
            "placed": len(batch.plan),
            "rooms": len({line["room"] for line in batch.plan}),
            "unplaced_count": len(batch.unplaced),
            "draft": batch.status == AllocationBatch.Status.DRAFT,
            "cancel_form": ReasonForm(),
            "confirm_form": ConfirmForm(),
            "allocated_at": selectors.batch_allocated_at(batch),
            "section": ALLOCATION,
        },
    )


@login_required
@require_POST
def allocation_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    batch = selectors.batch_for(request.user, pk)
    try:
        if action == "confirm":
            confirm = ConfirmForm(request.POST)
            if not confirm.is_valid():
                raise ValidationError(confirm.errors.as_data())
            services.allocation_confirm(
                actor=request.user, batch=batch, allocated_at=confirm.cleaned_data["allocated_at"]
            )
            messages.success(
                request,
                _("Allocation confirmed: %(n)s people have rooms and their measures have started.")
                % {"n": len(batch.plan)},
            )
        elif action == "remove":
            services.allocation_remove(
                actor=request.user, batch=batch, person_ids=_ids(request, "people")
            )
            messages.success(request, _("Taken out of the proposal."))
        elif action == "cancel":
            form = ReasonForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            services.allocation_cancel(actor=request.user, batch=batch, reason=reason)
            messages.success(request, _("Proposal cancelled."))
        elif action == "again":
            fresh = services.allocation_repropose(actor=request.user, batch=batch)
            messages.success(request, _("Proposed again."))
            return redirect("quarantine:allocation", pk=fresh.pk)
    except ValidationError as exc:
        _flash_named(request, exc)
    return redirect("quarantine:allocation", pk=pk)


def _flash_named(request: HttpRequest, exc: ValidationError) -> None:
    """The errors as messages; one about the time names its field ("Allocated at: …")."""
    if not hasattr(exc, "error_dict"):
        flash(request, exc)
        return
    label = ConfirmForm.base_fields["allocated_at"].label
    for field, errors in exc.message_dict.items():
        for message in errors:
            if field == "allocated_at":
                message = _("%(field)s: %(problem)s") % {"field": label, "problem": message}
            messages.error(request, message)
