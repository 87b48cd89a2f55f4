"""Forms of the 120 pages."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fangkong.core.dates import HappenedField

STEP_CHOICES = [
    ("assign", _("Assign a vehicle")),
    ("pick_up", _("Patient picked up")),
    ("arrive", _("Arrived at the hospital")),
    ("hand_over", _("Handed over to the hospital")),
]


class StepForm(forms.Form):
    step = forms.ChoiceField(label=_("Step"), choices=STEP_CHOICES)
    vehicle = forms.ChoiceField(label=_("Vehicle"), required=False)
    happened_at = HappenedField(label=_("Happened at"), help_text=_("Empty: now"))

    def __init__(self, *args: Any, vehicles: Any = (), next_step: str = "", **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["vehicle"].choices = [("", "—"), *((v.pk, str(v)) for v in vehicles)]  # type: ignore[attr-defined]
        if next_step:
            self.fields["step"].initial = next_step


class TransferForm(forms.Form):
    """An emergency handed over by 110."""

    ref_110 = forms.CharField(label=_("110 reference number"), max_length=32)
    id_number = forms.CharField(label=_("ID number"), max_length=18)
    description = forms.CharField(
        label=_("What happened"), max_length=1000, required=False, widget=forms.Textarea
    )
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=20, required=False)


class VehicleForm(forms.Form):
    centre = forms.ChoiceField(label=_("120 centre"))
    plate = forms.CharField(label=_("Number plate"), max_length=16)
    call_sign = forms.CharField(label=_("Call sign"), max_length=32, required=False)

    def __init__(self, *args: Any, centres: Any = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["centre"].choices = [(c.pk, c.name) for c in centres]  # type: ignore[attr-defined]
