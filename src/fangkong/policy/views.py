from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.core.access import Cap, require
from fangkong.core.pages import flash
from fangkong.policy import documents, editor, selectors, services
from fangkong.policy.compare import comparison, differences
from fangkong.policy.forms import ActivateForm, ProfileMetaForm, UploadForm, WithdrawForm
from fangkong.policy.schema import Rules
from fangkong.policy.validation import rules_problems


def _manager(request: HttpRequest) -> None:
    if not services.may_activate(request.user):
        raise PermissionDenied


@login_required
def profiles(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.POLICY_VIEW)
    steps = selectors.timeline()
    return render(
        request,
        "policy/profiles.html",
        {
            "versions": selectors.versions(request.user, steps),
            "steps": steps,
            "can_manage": services.may_activate(request.user),
            "upload_form": UploadForm(),
            "section": "policy",
        },
    )


def _problem_list(
    node: editor.Node, out: list[tuple[str, str, str]], trail: tuple[str, ...] = ()
) -> list[tuple[str, str, str]]:
    """(where, message, anchor) of every problem in the form, in its order; `where` names the
    field with the fieldsets and rows around it."""
    where = " › ".join((*trail, node.label))
    for message in node.errors:
        out.append((where, message, node.input_id))
    inner = (*trail, node.label) if node.name != editor.ROOT else ()
    for child in node.children:
        _problem_list(child, out, inner)
    return out


@login_required
def profile(request: HttpRequest, pk: int) -> HttpResponse:
    """A version: its rules in the generated editor, editable while it is a draft."""
    require(request.user, Cap.POLICY_VIEW)
    version = selectors.profile_for_user(request.user, pk)
    editable = version.is_draft and services.may_activate(request.user)
    errors: dict[str, list[str]] = {}
    data: Any = editor.form_data(version.rules)
    meta = ProfileMetaForm(instance=version)
    if request.method == "POST":
        _manager(request)
        if not version.is_draft:
            messages.error(request, services.VersionLocked(version).messages[0])
            return redirect("policy:profile", pk=version.pk)
        data, meta = request.POST, ProfileMetaForm(request.POST, instance=version)
        reading = editor.read(data)
        rules, problems = rules_problems(reading.document)
        problems = reading.problems + problems
        errors = editor.problems_by_input(problems, reading)
        if meta.is_valid() and not problems and rules is not None:
            if "save" not in request.POST:
                messages.success(request, _("No problems found: the draft can be saved."))
            else:
                fields = {f: meta.cleaned_data[f] for f in services.META_FIELDS}
                try:
                    services.profile_update(
                        profile=version, actor=request.user, rules=reading.document, **fields
                    )
                except ValidationError as exc:
                    meta.add_error(None, exc.messages)
                else:
                    messages.success(
                        request, _("Draft saved: %(label)s") % {"label": version.label}
                    )
                    return redirect("policy:profile", pk=version.pk)
    tree = editor.fields(data, errors)
    return render(
        request,
        "policy/profile.html",
        {
            "profile": version,
            "tree": tree,
            "problems": _problem_list(tree, []),
            "meta": meta,
            "editable": editable,
            "can_manage": services.may_activate(request.user),
            "activate_form": ActivateForm(),
            "upload_form": UploadForm(),
            "others": selectors.profiles_for_user(request.user).exclude(pk=version.pk),
            "section": "policy",
        },
    )


@login_required
@require_POST
def copy(request: HttpRequest, pk: int) -> HttpResponse:
    _manager(request)
    draft = services.profile_copy(
        profile=selectors.profile_for_user(request.user, pk), actor=request.user
    )
    messages.success(
        request, _("New draft %(label)s: change it, then activate it") % {"label": draft.label}
    )
    return redirect("policy:profile", pk=draft.pk)


@login_required
@require_POST
def discard(request: HttpRequest, pk: int) -> HttpResponse:
    _manager(request)
    version = selectors.profile_for_user(request.user, pk)
    try:
        services.profile_discard(profile=version, actor=request.user)
    except ValidationError as exc:
        flash(request, exc)
        return redirect("policy:profile", pk=version.pk)
    messages.success(request, _("Draft %(label)s discarded") % {"label": version.label})
    return redirect("policy:profiles")


@login_required
@require_POST
def activate(request: HttpRequest, pk: int) -> HttpResponse:
    _manager(request)
    version = selectors.profile_for_user(request.user, pk)
    form = ActivateForm(request.POST)
    back = request.POST.get("back") == "profile"
    if not form.is_valid():
        flash(request, form=form)
        return redirect("policy:profile", pk=version.pk) if back else redirect("policy:profiles")
    try:
        done = services.profile_activate(
            profile=version,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            effective_on=form.cleaned_data["effective_on"],
        )
    except ValidationError as exc:
        flash(request, exc)
        return redirect("policy:profile", pk=version.pk) if back else redirect("policy:profiles")
    if done is None:
        messages.info(request, _("%(label)s is already in force") % {"label": version.label})
    elif done.applied_at is not None:
        messages.success(
            request, _("In force now: %(name)s") % {"name": f"{version.name} v{version.version}"}
        )
    else:
        messages.success(
            request,
            _("%(label)s comes into force on %(day)s")
            % {
                "label": version.label,
                "day": done.effective_from.date().isoformat(),
            },
        )
    return redirect("policy:profiles")


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    _manager(request)
    activation = selectors.activation_for_user(request.user, pk)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        flash(request, form=form)
        return redirect("policy:profiles")
    try:
        services.activation_withdraw(
            activation=activation, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except ValidationError as exc:
        flash(request, exc)
    else:
        messages.success(
            request, _("Activation of %(label)s withdrawn") % {"label": activation.profile.label}
        )
    return redirect("policy:profiles")


@login_required
def download(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Cap.POLICY_VIEW)
    version = selectors.profile_for_user(request.user, pk)
    if request.GET.get("format") == "json":
        body, ctype, ext = documents.as_json(version), "application/json", "json"
    else:
        body, ctype, ext = documents.as_yaml(version), documents.YAML_TYPE, "yaml"
    response = HttpResponse(body, content_type=f"{ctype}; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{documents.filename_of(version, ext)}"'
    )
    return response


@login_required
def upload(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """A YAML or JSON file as a new draft, or into the draft `pk`; problems listed by path."""
    _manager(request)
    into = selectors.profile_for_user(request.user, pk) if pk is not None else None
    if request.method != "POST":
        return redirect("policy:profile", pk=into.pk) if into else redirect("policy:profiles")
    form = UploadForm(request.POST, request.FILES)
    problems: list[Any] = []
    if form.is_valid():
        file = form.cleaned_data["file"]
        content = file.read(documents.MAX_BYTES + 1)
        try:
            draft = services.profile_upload(
                actor=request.user, content=content, filename=file.name or "", into=into
            )
        except services.RulesInvalid as exc:
            problems = exc.problems
        except ValidationError as exc:
            flash(request, exc)
            return redirect("policy:profile", pk=into.pk) if into else redirect("policy:profiles")
        else:
            messages.success(
                request, _("Draft %(label)s read from the file") % {"label": draft.label}
            )
            return redirect("policy:profile", pk=draft.pk)
    return render(
        request,
        "policy/upload.html",
        {"form": form, "problems": problems, "into": into, "section": "policy"},
        status=422 if problems or form.errors else 200,
    )


@login_required
def compare(request: HttpRequest) -> HttpResponse:
    """Two versions side by side: the rules in plain words, then every field that differs."""
    require(request.user, Cap.POLICY_VIEW)
    visible = list(selectors.profiles_for_user(request.user).order_by("code", "version"))
    by_pk = {str(p.pk): p for p in visible}
    in_force = next((p for p in visible if p.is_active), visible[0] if visible else None)
    a = by_pk.get(request.GET.get("a", ""), in_force)
    b = by_pk.get(request.GET.get("b", "")) or next((p for p in reversed(visible) if p != a), a)
    rows, fields = [], []
    if a is not None and b is not None:
        rows = comparison([Rules.model_validate(a.rules), Rules.model_validate(b.rules)])
        fields = [d for d in differences(a.rules, b.rules) if d.differs or request.GET.get("all")]
    return render(
        request,
        "policy/compare.html",
        {
            "versions": visible,
            "a": a,
            "b": b,
            "rows": rows,
            "fields": fields,
            "all": bool(request.GET.get("all")),
            "section": "policy",
        },
    )
