"""Check-in import page: upload a CSV or Parquet file of venue scans, see counts and errors."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from fangkong.core.access import Cap, require
from fangkong.core.uploads import sample_response
from fangkong.epi.checkins import importing
from fangkong.epi.checkins.forms import CheckinImportForm


def column_help() -> list[tuple[str, str, bool, str]]:
    notes = {
        "id_number": _("18-character ID number of a registered person"),
        "venue_code": _("Venue code (场所码) of a venue in your jurisdiction"),
        "time_in": _("Such as 2022-05-01 08:30 (local time)"),
        "time_out": _("Such as 2022-05-01 09:10; not before time in"),
    }
    return importing.COLUMNS.help(notes)


@login_required
def checkin_import(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.CHECKINS_IMPORT)
    if request.GET.get("sample") == "csv":
        return sample_response(importing.sample_csv(request.user), "checkins-sample.csv")
    form = CheckinImportForm(request.POST or None, request.FILES or None)
    context: dict[str, object] = {"section": "checkins", "form": form, "columns": column_help()}
    if request.method == "POST" and form.is_valid():
        context["result"] = importing.run_upload(request.user, form.cleaned_data["file"])
    return render(request, "epi/checkin_import.html", context)
