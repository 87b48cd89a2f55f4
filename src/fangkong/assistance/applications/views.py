"""Pages of social assistance: the street's list (open, past the deadline), filing for a
resident (a phone-sized page for the grid or street worker), an application's page (the
household from the registry, the rules' findings, documents, review, decision, payments,
history), and the resident's own phone page."""

import time
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.assistance.applications import selectors, services
from fangkong.assistance.applications.forms import (
    DecisionForm,
    DocumentForm,
    FindForm,
    MyClaimForm,
    PaymentForm,
    ReviewForm,
    StaffClaimForm,
    WithdrawForm,
)
from fangkong.assistance.models import (
    Application,
    ApplicationStatus,
    DocumentKind,
    Procedure,
    Programme,
)
from fangkong.audit.labels import SELF_SERVICE
from fangkong.core.access import Cap, can, require
from fangkong.core.pages import apply_errors, flash, page_window
from fangkong.healthcode.appeals import person_by_identity
from fangkong.healthcode.forms import IdentityForm
from fangkong.healthcode.views import my_code_throttled
from fangkong.people.models import Resident
from fangkong.policy.accessor import current

SECTION = "assistance"
SESSION_KEY = "assistance_person"
SESSION_SECONDS = 30 * 60


def _document_fields(programme: str, person: Resident) -> list[tuple[str, str]]:
    """The documents to ask for with the form: the programme's under the procedure in force
    (and the residence permit of a floating resident, the proof of illness for 低保 alone)."""
    rules = current().rules.assistance
    programme_rules = rules.programme(programme)
    kinds = list(
        programme_rules.emergency_documents
        if rules.emergency_procedure
        else programme_rules.documents
    )
    if person.residency == "floating" and rules.residence_permit_may_apply:
        kinds.append("residence_permit")
    if programme == "dibao":
        kinds.append("medical_record")
    return [(k, str(DocumentKind(k).label)) for k in dict.fromkeys(kinds)]


def _file_with_documents(
    request: HttpRequest, actor: Any, person: Resident, data: dict[str, Any]
) -> Application:
    """File, then store the documents given with the form: all of it or nothing."""
    with transaction.atomic():
        application = services.application_file(
            actor=actor,
            person=person,
            programme=data["programme"],
            monthly_income=data["monthly_income"],
            assets=data["assets"],
            seriously_ill_or_disabled=data.get("seriously_ill_or_disabled", False),
            months_without_income=data.get("months_without_income") or 0,
            unemployment_insurance=data.get("unemployment_insurance", False),
            circumstances=data["circumstances"],
            contact_phone=data["contact_phone"],
        )
        for kind in DocumentKind.values:
            upload = request.FILES.get(f"doc_{kind}")
            if upload is not None:
                try:
                    services.document_add(
                        actor=actor, application=application, kind=kind, upload=upload
                    )
                except ValidationError as exc:
                    raise ValidationError(
                        {f"doc_{kind}": exc.message_dict.get("file", exc.messages)}
                    ) from None
    return application


def _only_relevant(form: Any, programme: str) -> None:
    """The questions of the programme applied for: income months for temporary assistance,
    illness or disability for 低保 and 特困."""
    unused = (
        ("seriously_ill_or_disabled",)
        if programme == Programme.TEMPORARY
        else ("months_without_income", "unemployment_insurance")
    )
    for name in unused:
        form.fields.pop(name, None)


def _errors_on(form: Any, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        if field.startswith("doc_") or field not in form.fields:
            form.add_error(None, errors)
        else:
            form.add_error(field, errors)


@login_required
def application_list(request: HttpRequest) -> HttpResponse:
    """Applications of the jurisdiction, newest first; open ones by default, or those past
    their deadline undecided."""
    show = request.GET.get("status", "open")
    qs = selectors.applications_for_user(request.user).select_related("applicant")
    if show == "open":
        qs = qs.filter(status__in=selectors.OPEN)
    elif show == "overdue":
        qs = selectors.overdue(qs).order_by("due_at", "pk")
    elif show in ApplicationStatus.values:
        qs = qs.filter(status=show)
    rows, pager = page_window(request, qs)
    return render(
        request,
        "assistance/applications.html",
        {
            "rows": rows,
            "pager": pager,
            "show": show,
            "statuses": ApplicationStatus.choices,
            "overdue": selectors.overdue_count(request.user),
            "can_apply": can(request.user, Cap.ASSISTANCE_APPLY),
            "emergency": current().rules.assistance.emergency_procedure,
            "section": SECTION,
        },
    )


@login_required
def application_new(request: HttpRequest) -> HttpResponse:
    """File for a resident of the jurisdiction: their ID number and the programme first, then
    the household as the registry has it, what they declare, and the documents."""
    require(request.user, Cap.ASSISTANCE_APPLY)
    source = request.POST if request.method == "POST" else request.GET
    find = FindForm(source if "id_number" in source else None)
    context: dict[str, Any] = {"find": find, "section": SECTION}
    person = None
    if find.is_bound and find.is_valid():
        try:
            person = services.person_in_scope(request.user, find.cleaned_data["id_number"])
        except ValidationError as exc:
            apply_errors(find, exc)
    if person is not None:
        programme = find.cleaned_data["programme"]
        form = StaffClaimForm(
            request.POST if request.method == "POST" else None,
            initial={"id_number": person.id_number, "programme": programme},
        )
        _only_relevant(form, programme)
        if request.method == "POST" and form.is_valid():
            try:
                application = _file_with_documents(request, request.user, person, form.cleaned_data)
            except ValidationError as exc:
                _errors_on(form, exc)
            else:
                messages.success(request, _("Application %(n)s filed.") % {"n": application.number})
                return redirect("assistance:application", pk=application.pk)
        context |= {
            "programme_label": Programme(programme).label,
            "person": person,
            "members": services.household_of(person),
            "programme": programme,
            "form": form,
            "documents": _document_fields(programme, person),
            "rules": current().rules.assistance,
        }
    return render(request, "assistance/application_new.html", context)


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_for_user(request.user, pk)
    undecided = application.status in selectors.OPEN
    files = undecided and can(request.user, Cap.ASSISTANCE_APPLY)
    decides = services.may_decide(request.user)
    ready = application.procedure == Procedure.EMERGENCY or (
        application.status == ApplicationStatus.REVIEWED
    )
    reviews = decides and application.status == ApplicationStatus.SUBMITTED
    paid_once = application.one_off_amount and application.payments.exists()
    pays = decides and application.status == ApplicationStatus.APPROVED and not paid_once
    return render(
        request,
        "assistance/application_detail.html",
        {
            "item": application,
            "members": application.members.select_related("person"),
            "findings": selectors.findings_in_words(application.findings),
            "documents": selectors.documents_of(application),
            "missing": [DocumentKind(k).label for k in selectors.missing_documents(application)],
            "payments": application.payments.all(),
            "events": selectors.application_history(application),
            "overdue": undecided and application.due_at < timezone.now(),
            "document_form": DocumentForm() if files else None,
            "review_form": ReviewForm() if reviews else None,
            "decision_form": DecisionForm() if decides and undecided and ready else None,
            "payment_form": PaymentForm() if pays else None,
            "withdraw_form": WithdrawForm() if files else None,
            "section": SECTION,
        },
    )


def _act(request: HttpRequest, pk: int, form_class: type, act: Any) -> HttpResponse:
    """A POST from the application's page: the form, then the service; errors as messages."""
    application = selectors.application_for_user(request.user, pk)
    form = form_class(request.POST, request.FILES)
    if not form.is_valid():
        flash(request, form=form)
        return redirect("assistance:application", pk=pk)
    try:
        message = act(application, form.cleaned_data)
    except ValidationError as exc:
        flash(request, exc)
    else:
        messages.success(request, message)
    return redirect("assistance:application", pk=pk)


@login_required
@require_POST
def application_document(request: HttpRequest, pk: int) -> HttpResponse:
    def act(application: Application, data: dict[str, Any]) -> str:
        services.document_add(
            actor=request.user, application=application, kind=data["kind"], upload=data["file"]
        )
        return _("Document added.")

    return _act(request, pk, DocumentForm, act)


@login_required
@require_POST
def application_review(request: HttpRequest, pk: int) -> HttpResponse:
    def act(application: Application, data: dict[str, Any]) -> str:
        services.application_review(actor=request.user, application=application, note=data["note"])
        return _("Review recorded.")

    return _act(request, pk, ReviewForm, act)


@login_required
@require_POST
def application_decide(request: HttpRequest, pk: int) -> HttpResponse:
    def act(application: Application, data: dict[str, Any]) -> str:
        decided = services.application_decide(
            actor=request.user,
            application=application,
            approve=data["decision"] == "approve",
            reason=data["reason"],
            basis=data["basis"],
        )
        return _("Decision recorded: %(status)s.") % {"status": decided.get_status_display()}

    return _act(request, pk, DecisionForm, act)


@login_required
@require_POST
def application_pay(request: HttpRequest, pk: int) -> HttpResponse:
    def act(application: Application, data: dict[str, Any]) -> str:
        services.payment_record(
            actor=request.user,
            application=application,
            amount=data["amount"],
            paid_on=data["paid_on"],
            period=data["period"],
            reference=data["reference"],
        )
        return _("Payment recorded.")

    return _act(request, pk, PaymentForm, act)


@login_required
@require_POST
def application_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    def act(application: Application, data: dict[str, Any]) -> str:
        services.application_withdraw(
            actor=request.user, application=application, reason=data["reason"]
        )
        return _("Application withdrawn.")

    return _act(request, pk, WithdrawForm, act)


@login_required
def document_download(request: HttpRequest, pk: int, document_pk: int) -> HttpResponse:
    document = selectors.document_for_user(request.user, pk, document_pk)
    response = HttpResponse(bytes(document.content), content_type=document.content_type)
    response["Content-Disposition"] = f'inline; filename="document-{document.pk}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# The resident's own page (no login) -------------------------------------------------------


def _session_person(request: HttpRequest) -> Resident | None:
    entry = request.session.get(SESSION_KEY)
    if not entry or time.time() - entry.get("at", 0) > SESSION_SECONDS:
        return None
    return Resident.objects.filter(pk=entry.get("person")).first()


def my_assistance(request: HttpRequest) -> HttpResponse:
    """The resident applies from their phone, identified by ID number and phone (like
    /my-code/): their household is shown as the registry has it, never asked again."""
    person = _session_person(request)
    if person is None:
        identity = IdentityForm(request.POST or None)
        if request.method == "POST":
            if my_code_throttled(request):
                identity.add_error(
                    None, _("Too many attempts from this network; try again in an hour.")
                )
                return render(
                    request, "assistance/my_identify.html", {"form": identity}, status=429
                )
            if identity.is_valid():
                found = person_by_identity(
                    identity.cleaned_data["id_number"], identity.cleaned_data["phone"]
                )
                if found is not None:
                    request.session.cycle_key()
                    request.session[SESSION_KEY] = {"person": found.pk, "at": time.time()}
                    return redirect("assistance_public:my_assistance")
                identity.add_error(None, _("No person matches this ID number and phone."))
        return render(request, "assistance/my_identify.html", {"form": identity})
    form = MyClaimForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            _file_with_documents(request, SELF_SERVICE, person, form.cleaned_data)
        except ValidationError as exc:
            _errors_on(form, exc)
        else:
            messages.success(request, _("Your application was received."))
            return redirect("assistance_public:my_assistance")
    mine = list(selectors.applications_of_person(person))
    for application in mine:
        application.missing = [  # type: ignore[attr-defined]
            DocumentKind(k).label for k in selectors.missing_documents(application)
        ]
        application.upload = DocumentForm(auto_id=f"id_%s_{application.pk}")  # type: ignore[attr-defined]
    kinds = [d for p in Programme.values for d in _document_fields(p, person)]
    return render(
        request,
        "assistance/my_assistance.html",
        {
            "person": person,
            "members": services.household_of(person),
            "form": form,
            "mine": mine,
            "all_documents": list(dict.fromkeys(kinds)),
            "emergency": current().rules.assistance.emergency_procedure,
        },
    )


@require_POST
def my_assistance_document(request: HttpRequest, pk: int) -> HttpResponse:
    """The resident uploads a missing document to their own undecided application."""
    person = _session_person(request)
    if person is None:
        return redirect("assistance_public:my_assistance")
    application = selectors.applications_of_person(person).filter(pk=pk).first()
    if application is None:
        return redirect("assistance_public:my_assistance")
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        flash(request, form=form)
        return redirect("assistance_public:my_assistance")
    try:
        services.document_add(
            actor=SELF_SERVICE,
            application=application,
            kind=form.cleaned_data["kind"],
            upload=form.cleaned_data["file"],
        )
    except ValidationError as exc:
        flash(request, exc)
    else:
        messages.success(request, _("Document added."))
    return redirect("assistance_public:my_assistance")


@require_POST
def my_assistance_leave(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    return redirect("assistance_public:my_assistance")
