"""Pages for contact-finding jobs (start, watch, decide)."""

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from fangkong.core.access import Cap, require
from fangkong.core.pages import page_window
from fangkong.epi.cases.selectors import cases_for_user
from fangkong.epi.contacts import requests as contact_requests
from fangkong.epi.finding import services as finding
from fangkong.epi.models import Candidate, CandidateDecision, Case, Degree, JobStatus
from fangkong.policy.accessor import current

RECENT_CASES = 200  # offered in the picker; older cases are named by number


class FindingJobForm(forms.Form):
    cases = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Recent cases"), coerce=int, required=False
    )
    numbers = forms.CharField(
        label=gettext_lazy("Or case numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 30}),
        help_text=gettext_lazy("Separated by spaces, commas or new lines"),
    )
    padding_minutes = forms.IntegerField(
        label=gettext_lazy("Time padding (minutes)"),
        min_value=0,
        max_value=finding.MAX_PADDING_MINUTES,
        initial=0,
    )
    include_secondary = forms.BooleanField(
        label=gettext_lazy("Also find secondary contacts"), required=False
    )

    def __init__(self, *args: Any, recent: list[Case], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cases"].choices = [  # type: ignore[attr-defined]
            (c.pk, f"{c.number} · {c.person.name} · {c.reported_on:%Y-%m-%d}") for c in recent
        ]


def _chosen_cases(user: Any, data: dict[str, Any]) -> list[Case]:
    numbers = [n for n in re.split(r"[\s,，;；]+", data.get("numbers") or "") if n]
    visible = cases_for_user(user)
    chosen = list(visible.filter(pk__in=data.get("cases") or []))
    if numbers:
        named = list(visible.filter(number__in=numbers))
        unknown = sorted(set(numbers) - {c.number for c in named})
        if unknown:
            raise ValidationError(
                {"numbers": [_("No such case in your jurisdiction: %s") % ", ".join(unknown[:10])]}
            )
        chosen.extend(named)
    return chosen


@login_required
def finding_list(request: HttpRequest) -> HttpResponse:
    """Jobs in the user's jurisdiction, newest first, and a form to start one."""
    jobs_qs = finding.finding_jobs_for_user(request.user).select_related("created_by")
    recent = list(
        cases_for_user(request.user)
        .select_related("person")
        .order_by("-reported_on", "-id")[:RECENT_CASES]
    )
    form = FindingJobForm(request.POST or None, recent=recent)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = finding.finding_job_create(
                actor=request.user,
                cases=_chosen_cases(request.user, data),
                padding_minutes=data["padding_minutes"],
                include_secondary=data["include_secondary"],
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(request, _("Contact finding started."))
            return redirect("epi:finding_job", pk=job.pk)
    jobs, pager = page_window(request, jobs_qs.prefetch_related("cases"))
    context = {
        "form": form,
        "jobs": jobs,
        "pager": pager,
        "secondary_allowed": current().rules.contacts.secondary_contacts,
        "section": "finding",
    }
    return render(request, "epi/finding_list.html", context)


@login_required
def finding_job(request: HttpRequest, pk: int) -> HttpResponse:
    """A job: its progress while it runs; then its candidates to confirm or dismiss."""
    job = finding.finding_job_for_user(request.user, pk)
    decision = request.GET.get("decision", CandidateDecision.PENDING)
    if decision not in CandidateDecision.values:
        decision = ""
    degree = request.GET.get("degree", "")
    if degree not in Degree.values:
        degree = ""
    rows: list[Candidate] = []
    pager: dict[str, Any] = {}
    figures: dict[str, int] = {}
    if job.status == JobStatus.DONE:
        qs = finding.candidates_of_job(request.user, job, decision=decision, degree=degree)
        rows, pager = page_window(
            request, qs.select_related("person", "venue", "case", "via_person")
        )
        figures = finding.candidate_figures(request.user, job)
    context = {
        "job": job,
        "cases": list(job.cases.select_related("person").order_by("id")),
        "rows": rows,
        "pager": pager,
        "figures": figures,
        "decision": decision,
        "degree": degree,
        "decisions": CandidateDecision.choices,
        "degrees": Degree.choices,
        "section": "finding",
    }
    return render(request, "epi/finding_job.html", context)


@login_required
def finding_job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar (htmx polls it each second); a finished job reloads its page."""
    job = finding.finding_job_for_user(request.user, pk)
    response = render(request, "epi/finding_progress.html", {"job": job})
    if job.status in (JobStatus.DONE, JobStatus.FAILED) and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def finding_job_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm or dismiss the ticked candidates, or confirm every pending close candidate."""
    job = finding.finding_job_for_user(request.user, pk)
    require(request.user, Cap.CONTACTS_EDIT)
    action = request.POST.get("action", "")
    ids = [int(v) for v in request.POST.getlist("candidate") if v.isdigit()]
    try:
        if action == "dismiss":
            done = finding.candidates_dismiss(actor=request.user, job=job, candidate_ids=ids)
            messages.success(request, _("%(n)s candidates dismissed.") % {"n": done.decided})
        elif action in ("confirm", "confirm_all_close"):
            done = finding.candidates_confirm(
                actor=request.user,
                job=job,
                candidate_ids=ids,
                all_close=action == "confirm_all_close",
            )
            _report_confirmed(request, done)
        else:
            messages.error(request, _("Choose what to do with the selected candidates."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    url = reverse("epi:finding_job", args=[job.pk])
    query = request.POST.get("query", "")
    return redirect(f"{url}?{query}" if query else url)


@login_required
@require_POST
def finding_job_refer(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the pending candidates living elsewhere to their jurisdiction for confirmation."""
    job = finding.finding_job_for_user(request.user, pk)
    try:
        referred = contact_requests.candidates_refer(actor=request.user, job=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            ngettext(
                "%(n)s candidate sent to the jurisdiction where they are registered.",
                "%(n)s candidates sent to the jurisdictions where they are registered.",
                referred,
            )
            % {"n": referred},
        )
    return redirect("epi:finding_job", pk=job.pk)


def _report_confirmed(request: HttpRequest, done: finding.Decision) -> None:
    messages.success(
        request,
        _("%(n)s candidates confirmed: %(added)s contacts added, %(known)s already known.")
        % {"n": done.decided, "added": done.contacts_added, "known": done.already_known},
    )
    if done.waiting:
        messages.warning(
            request,
            _(
                "%(n)s secondary candidates wait for the close contact who exposed them to be "
                "confirmed first."
            )
            % {"n": len(done.waiting)},
        )
