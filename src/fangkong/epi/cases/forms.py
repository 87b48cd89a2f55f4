"""Forms of the case pages, with the line-listing grid and the contact file on a case's page."""

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fangkong.core.dates import DayField, HappenedField
from fangkong.core.errors import REASON_MISSING
from fangkong.core.uploads import ImportFileField
from fangkong.epi.models import (
    CaseKind,
    CaseStatus,
    Destination,
    FoundBy,
    FoundWhere,
)

DATE = {"type": "date"}
ANY: list[tuple[str, Any]] = [("", "—")]


class CaseRegisterForm(forms.Form):
    id_number = forms.CharField(label=_("ID number"), max_length=18)
    name = forms.CharField(
        label=_("Name"),
        max_length=60,
        required=False,
        help_text=_("Only needed when the ID number is not yet registered"),
    )
    place = forms.CharField(
        label=_("Place code"),
        max_length=24,
        required=False,
        help_text=_("For a non-resident: the division code of the place where they stay"),
    )
    kind = forms.ChoiceField(label=_("Classification"), choices=CaseKind.choices)
    found_by = forms.ChoiceField(label=_("Found by"), choices=FoundBy.choices)
    found_where = forms.ChoiceField(label=_("Found"), choices=FoundWhere.choices)
    sampled_on = DayField(label=_("Sampling date"), widget=forms.DateInput(DATE))
    onset_on = DayField(label=_("Onset date"), required=False, widget=forms.DateInput(DATE))
    reported_on = DayField(label=_("Report date"), widget=forms.DateInput(DATE))
    registered_at = HappenedField(
        label=_("Registered at"),
        help_text=_("When the case was registered, if not now (a late entry)"),
    )
    reason = forms.CharField(label=_("Reason / source"), max_length=300, required=False)


class ReclassifyForm(forms.Form):
    kind = forms.ChoiceField(label=_("Classification"), choices=CaseKind.choices)
    reclassified_at = HappenedField(label=_("Reclassified at"))
    reason = forms.CharField(label=_("Reason"), max_length=300)


class TransferForm(forms.Form):
    destination = forms.ChoiceField(label=_("Transferred to"), choices=Destination.choices)
    destination_name = forms.CharField(label=_("Hospital"), max_length=200)
    transferred_at = HappenedField(label=_("Transferred at"), required=True)
    reason = forms.CharField(
        label=_("Reason"), max_length=300, error_messages={"required": REASON_MISSING}
    )


class CloseForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Outcome"),
        choices=[(s.value, s.label) for s in (CaseStatus.RECOVERED, CaseStatus.DIED)],
    )
    outcome_on = DayField(label=_("Outcome date"), widget=forms.DateInput(DATE))
    closed_at = HappenedField(label=_("Closed at"))
    reason = forms.CharField(label=_("Reason"), max_length=300)


class CaseFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Classification"), choices=[*ANY, *CaseKind.choices], required=False
    )
    found_where = forms.ChoiceField(
        label=_("Found"), choices=[*ANY, *FoundWhere.choices], required=False
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[*ANY, *CaseStatus.choices], required=False
    )
    reported_from = DayField(
        window=True, label=_("Reported from"), required=False, widget=forms.DateInput(DATE)
    )
    reported_to = DayField(
        window=True, label=_("Reported to"), required=False, widget=forms.DateInput(DATE)
    )


class ImportForm(forms.Form):
    """The contact file on a case's page (contacts/views.py imports it)."""

    file = ImportFileField(label=_("CSV or XLSX file"))


# The line-listing grid on a case's page: the columns a tracer types, in this order
# (contacts/importing.py reads the pasted lines by them).
GRID_COLUMNS = (
    "id_number",
    "name",
    "phone",
    "relation",
    "venue_code",
    "exposure_at",
    "degree",
    "via_id_number",
)


def grid_columns() -> list[tuple[str, str]]:
    """(column, heading) of the grid, in the reader's language."""
    labels = {
        "id_number": gettext("ID number"),
        "name": gettext("Name"),
        "phone": gettext("Phone"),
        "relation": gettext("Relation"),
        "venue_code": gettext("Venue code"),
        "exposure_at": gettext("Exposure date/time"),
        "degree": gettext("Degree"),
        "via_id_number": gettext("Via (close contact's ID)"),
    }
    return [(c, labels[c]) for c in GRID_COLUMNS]
