"""Forms of the measures, test-day, checks, alerts, transfer and release pages."""

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fangkong.core.dates import DayField, HappenedField, MomentField
from fangkong.quarantine.measures.checks import Symptom
from fangkong.quarantine.models import Category, MeasureStatus, PhaseKind, TransferDestination

DATE = {"type": "date"}
DATETIME = {"type": "datetime-local"}
ANY: list[tuple[str, Any]] = [("", "—")]


class MeasureFilterForm(forms.Form):
    category = forms.ChoiceField(
        label=_("Category"), choices=[*ANY, *Category.choices], required=False
    )
    phase = forms.ChoiceField(
        label=_("Phase today"),
        choices=[*ANY, *PhaseKind.choices, ("none", _("No phase today"))],
        required=False,
    )
    where = forms.ChoiceField(
        label=_("Where"),
        choices=[*ANY, ("site", _("At a quarantine site")), ("home", _("At home"))],
        required=False,
    )
    site = forms.TypedChoiceField(label=_("Site"), coerce=int, required=False, empty_value=None)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[*MeasureStatus.choices, ("all", _("All"))],
        required=False,
    )
    due = forms.BooleanField(label=_("Due for release"), required=False)
    missed = forms.BooleanField(label=_("Missed a test or check-in"), required=False)

    def __init__(self, *args: Any, sites: Sequence[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = [*ANY, *sites]  # type: ignore[attr-defined]


class MeasureStartForm(forms.Form):
    id_number = forms.CharField(label=_("ID number"), max_length=18)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    anchor_on = DayField(
        label=_("Counted from"),
        widget=forms.DateInput(DATE),
        help_text=_("Last exposure, departure, arrival or leaving the closed loop"),
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    started_at = HappenedField(label=_("Started at"))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class MeasureEndForm(ReasonForm):
    closed_at = HappenedField(label=_("Ended at"))


class ReleaseForm(forms.Form):
    closed_at = HappenedField(label=_("Released at"))


class SiteReleaseForm(forms.Form):
    checked_out_at = HappenedField(label=_("Left the site at"))


class SampledForm(forms.Form):
    barcode = forms.CharField(
        label=_("Tube barcode"),
        max_length=40,
        required=False,
        help_text=_("Leave empty to record only the time"),
    )
    sampled_at = MomentField(
        label=_("Sampled at"), required=False, widget=forms.DateTimeInput(DATETIME)
    )


class CheckInForm(forms.Form):
    day = DayField(label=_("Day"), widget=forms.DateInput(DATE))
    temperature = forms.CharField(label=_("Temperature (°C)"), max_length=5)
    symptoms = forms.MultipleChoiceField(
        label=_("Symptoms"),
        choices=Symptom.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    symptom_other = forms.CharField(label=_("Other symptom"), max_length=100, required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class DayForm(forms.Form):
    day = DayField(plan=True, label=_("Day"), required=False, widget=forms.DateInput(DATE))


class AlertHandleForm(forms.Form):
    outcome = forms.CharField(label=_("Outcome"), max_length=300)


class TransferForm(forms.Form):
    destination_kind = forms.ChoiceField(
        label=_("Destination"), choices=TransferDestination.choices
    )
    destination = forms.CharField(label=_("Hospital"), max_length=120)
    vehicle = forms.CharField(label=_("Vehicle"), max_length=40, required=False)
    escort = forms.CharField(label=_("Escort"), max_length=60, required=False)


class DepartForm(forms.Form):
    departed_at = HappenedField(label=_("Departed at"))


class HandOverForm(forms.Form):
    received_by = forms.CharField(label=_("Received by"), max_length=60)
    handed_over_at = HappenedField(label=_("Handed over at"))
