"""Risk-post workers: register, see who is overdue for a test, per employer."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fangkong.core.access import Cap, can, require, scoped
from fangkong.core.pages import apply_errors
from fangkong.lab.models import RiskPostGroup, RiskPostWorker
from fangkong.lab.riskposts import selectors, services
from fangkong.lab.rounds.selectors import person_for_sampling


class RiskPostForm(forms.Form):
    id_number = forms.CharField(label=gettext_lazy("ID number"), max_length=40)
    employer = forms.CharField(label=gettext_lazy("Employer"), max_length=200)
    post = forms.CharField(label=gettext_lazy("Post"), max_length=200)
    group = forms.ChoiceField(label=gettext_lazy("Group"), choices=RiskPostGroup.choices)


class LeaveForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300, required=False)


def _register(request: HttpRequest, form: RiskPostForm) -> bool:
    data = form.cleaned_data
    try:
        person = person_for_sampling(request.user, data["id_number"])
    except ValidationError as exc:
        form.add_error("id_number", exc.messages)
        return False
    try:
        services.risk_post_register(
            actor=request.user,
            person=person,
            employer=data["employer"],
            post=data["post"],
            group=data["group"],
        )
    except ValidationError as exc:
        apply_errors(form, exc)
        return False
    messages.success(request, _("%(name)s registered at a risk post.") % {"name": person.name})
    return True


@login_required
def riskpost_list(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.COVERAGE_VIEW)
    can_register = can(request.user, Cap.RISK_POSTS_EDIT)
    form = RiskPostForm(request.POST or None)
    if request.method == "POST":
        require(request.user, Cap.RISK_POSTS_EDIT)
        if form.is_valid() and _register(request, form):
            return redirect("lab:riskposts")
    employer = request.GET.get("employer", "").strip()
    all_rows, seen = selectors.overdue_workers(request.user)
    rows = [r for r in all_rows if r.worker.employer == employer] if employer else all_rows
    context: dict[str, Any] = {
        "section": "riskposts",
        "form": form,
        "can_register": can_register,
        "rows": rows,
        "seen": seen,
        "employer": employer,
        "employers": selectors.tally_by_employer(request.user, all_rows),
        "communities": selectors.tally_by_community(all_rows),
        "can_see_residents": can(request.user, Cap.RESIDENTS_VIEW),
    }
    return render(request, "lab/riskposts.html", context)


@login_required
@require_POST
def riskpost_leave(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Cap.RISK_POSTS_EDIT)
    worker = scoped(RiskPostWorker.objects.filter(pk=pk), request.user).first()
    if worker is None:
        raise Http404
    form = LeaveForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.risk_post_leave(actor=request.user, worker=worker, reason=reason)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Marked as having left the post."))
    return redirect("lab:riskposts")
