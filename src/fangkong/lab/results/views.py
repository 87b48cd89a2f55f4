"""Result upload page: a lab uploads CSV/XLSX or a FHIR Bundle (JSON) and sees what changed."""

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.core.access import Cap, can, require
from fangkong.core.uploads import ImportFileField, sample_response, uploaded_path
from fangkong.lab import selectors as lab_selectors
from fangkong.lab.models import Lab
from fangkong.lab.results import ingest


class ResultUploadForm(forms.Form):
    lab = forms.ModelChoiceField(queryset=Lab.objects.none(), label=gettext_lazy("Laboratory"))
    file = ImportFileField(label=gettext_lazy("File (CSV, XLSX or FHIR JSON)"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labs = lab_selectors.labs_for_user(user, Cap.RESULTS_UPLOAD)
        field: Any = self.fields["lab"]
        field.queryset = labs
        self.no_labs = not labs
        if len(labs) == 1:  # the lab's own account: its lab, nothing to choose
            field.initial = labs[0]
            field.empty_label = None


def run_upload(actor: Any, lab: Lab, upload: Any) -> ingest.ResultsImport:
    """Import an uploaded file (from disk when Django spooled it there)."""
    name = getattr(upload, "name", "") or "results.csv"
    with uploaded_path(upload) as path:
        return ingest.results_import(actor=actor, lab=lab, path=path, filename=name)


def column_help() -> list[tuple[str, str, bool, str]]:
    notes = {
        "barcode": _("The tube's barcode, as scanned at sampling"),
        "result": _("阴性 or 阳性 (negative/positive, N/P)"),
        "ct_value": _("Optional: the Ct value, such as 28.5"),
        "tested_at": _("When it was tested, such as 2022-05-07 20:15 (local time)"),
    }
    return ingest.COLUMNS.help(notes)


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.RESULTS_UPLOAD)
    if request.GET.get("sample") == "csv":
        return sample_response(ingest.sample_csv(), "results-sample.csv")
    form = ResultUploadForm(request.POST or None, request.FILES or None, user=request.user)
    context: dict[str, object] = {
        "section": "results",
        "form": form,
        "columns": column_help(),
        "no_labs": form.no_labs,
        "lab_staff": lab_selectors.is_lab_staff(request.user),
        "can_register": can(request.user, Cap.LABS_MANAGE),
    }
    if request.method == "POST" and form.is_valid():
        lab = form.cleaned_data["lab"]
        context["result"] = run_upload(request.user, lab, form.cleaned_data["file"])
        context["lab"] = lab
    return render(request, "lab/results_upload.html", context)
