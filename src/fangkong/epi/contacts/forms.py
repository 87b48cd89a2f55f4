"""Forms of the contact pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from fangkong.core.dates import DayField, HappenedField
from fangkong.core.errors import REASON_MISSING
from fangkong.epi.cases.forms import ANY, DATE
from fangkong.epi.models import CaseKind, ContactStatus, Degree, FoundBy


class ContactFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[*ANY, *ContactStatus.choices], required=False
    )
    degree = forms.ChoiceField(label=_("Degree"), choices=[*ANY, *Degree.choices], required=False)


class ContactStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=ContactStatus.choices)
    changed_at = HappenedField(label=_("Changed at"))
    reason = forms.CharField(
        label=_("Reason"), max_length=300, error_messages={"required": REASON_MISSING}
    )


class ConvertForm(forms.Form):
    kind = forms.ChoiceField(label=_("Classification"), choices=CaseKind.choices)
    found_by = forms.ChoiceField(label=_("Found by"), choices=FoundBy.choices)
    sampled_on = DayField(label=_("Sampling date"), widget=forms.DateInput(DATE))
    onset_on = DayField(label=_("Onset date"), required=False, widget=forms.DateInput(DATE))
    reported_on = DayField(label=_("Report date"), widget=forms.DateInput(DATE))
    reason = forms.CharField(label=_("Reason / source"), max_length=300, required=False)
