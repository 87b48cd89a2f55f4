"""Resident import pages: upload a CSV/XLSX file, see what happened, fetch the rejected rows."""

import tempfile

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.core.access import Cap, require
from fangkong.core.rejected import rejected_filename, rejected_owner, write_rejected
from fangkong.core.uploads import ImportFileField, sample_response, uploaded_path
from fangkong.people.importing.services import import_residents
from fangkong.people.importing.spec import COLUMNS, ResidentImportResult, sample_csv

MODES = [
    ("all", gettext_lazy("All or nothing: write nothing if any row is wrong")),
    ("valid", gettext_lazy("Import the valid rows and return the rest as a file")),
]
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ImportForm(forms.Form):
    file = ImportFileField(label=gettext_lazy("File (CSV or XLSX)"))
    mode = forms.ChoiceField(
        label=gettext_lazy("If some rows are wrong"),
        choices=MODES,
        initial="all",
        widget=forms.RadioSelect,
    )


def _run(request: HttpRequest, form: ImportForm) -> ResidentImportResult:
    upload = form.cleaned_data["file"]
    valid_only = form.cleaned_data["mode"] == "valid"
    with uploaded_path(upload) as path:
        return import_residents(
            actor=request.user, path=path, filename=upload.name, valid_only=valid_only
        )


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.RESIDENTS_IMPORT)
    if request.GET.get("sample") == "csv":
        return sample_response(sample_csv(), "residents-sample.csv")
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, object] = {"section": "import", "form": form, "columns": column_help()}
    if request.method == "POST" and form.is_valid():
        result = _run(request, form)
        context["result"] = result
        return render(request, "people/import_result.html", context)
    return render(request, "people/import.html", context)


@login_required
def rejected_rows(request: HttpRequest, token: str, fmt: str) -> HttpResponseBase:
    require(request.user, Cap.RESIDENTS_IMPORT)
    if fmt not in CONTENT_TYPES or rejected_owner(token) != request.user.pk:
        raise Http404
    out = tempfile.TemporaryFile()  # noqa: SIM115 — FileResponse closes it
    write_rejected(token, fmt, out)
    out.seek(0)
    return FileResponse(
        out,
        as_attachment=True,
        filename=rejected_filename(token, fmt),
        content_type=CONTENT_TYPES[fmt],
    )


def column_help() -> list[tuple[str, str, bool, str]]:
    """(Chinese header, English header, required, what to put there) for the upload page."""
    notes = {
        "id_number": _("18-character resident ID number"),
        "name": _("Full name, up to 60 characters"),
        "phone": _("11-digit mobile or area-code number"),
        "unit_code": _("Code of the place they live: a community or finer, in your jurisdiction"),
        "household_code": _("Households are created at that place or matched by this code"),
        "relation": _("One of: %(values)s")
        % {"values": "户主 配偶 子女 父母 孙子女 祖父母 兄弟姐妹 其他"},
        "sex": _("%(values)s; must match the ID number") % {"values": "男/女 (M/F)"},
        "birth_date": _("Such as 1980-05-17; must match the ID number"),
    }
    return COLUMNS.help(notes)
