"""Situation import pages: upload a file per kind → the preview (what was found, the defaults
it will apply, who must be decided) → confirm → what was written."""

from contextlib import ExitStack

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from fangkong.command.situation.forms import ConfirmForm, SituationForm
from fangkong.command.situation.registry import BY_NAME, KINDS
from fangkong.command.situation.services import (
    SituationResult,
    discard,
    read_files,
    situation_check,
    situation_import,
    stash,
    unstash,
)
from fangkong.core.access import Cap, require
from fangkong.core.uploads import sample_response, uploaded_path


def _context(form: SituationForm, result: SituationResult | None = None) -> dict[str, object]:
    kinds = [{"kind": k, "columns": k.help()} for k in KINDS]
    return {"section": "situation_import", "form": form, "kinds": kinds, "result": result}


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.SITUATION_IMPORT)
    sample = request.GET.get("sample", "")
    if sample in BY_NAME:
        return sample_response(BY_NAME[sample].sample_csv(), f"situation-{sample}-sample.csv")
    form = SituationForm(request.POST or None, request.FILES or None)
    if request.method != "POST" or not form.is_valid():
        return render(request, "command/situation_import.html", _context(form))
    with ExitStack() as stack:
        files = {
            kind.name: (stack.enter_context(uploaded_path(upload)), upload.name)
            for kind in KINDS
            if (upload := form.cleaned_data.get(kind.name))
        }
        result = situation_check(actor=request.user, result=read_files(files))
    context = _context(SituationForm(), result)
    if result.ok:
        context["confirm"] = ConfirmForm(initial={"token": stash(request.user, result)})
    return render(request, "command/situation_result.html", context)


@login_required
@require_POST
def confirm(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.SITUATION_IMPORT)
    form = ConfirmForm(request.POST)
    lines = unstash(request.user, form.data.get("token", "")) if form.is_valid() else None
    if lines is None:
        raise Http404
    result = situation_import(actor=request.user, result=lines)
    if result.written:
        discard(form.cleaned_data["token"])
    return render(request, "command/situation_result.html", _context(SituationForm(), result))
