"""Forms of the health-code pages: a colour set by hand, an appeal decided, a person's look-up
and appeal."""

from django import forms
from django.utils.translation import gettext_lazy

from fangkong.core.dates import MomentField
from fangkong.healthcode.models import Colour


class OverrideForm(forms.Form):
    colour = forms.ChoiceField(label=gettext_lazy("Colour"), choices=Colour.choices)
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        widget=forms.TextInput({"required": True, "size": 30}),
    )
    basis = forms.CharField(
        label=gettext_lazy("Basis (document, decision)"),
        max_length=300,
        required=False,
        widget=forms.TextInput({"required": True, "size": 30}),
    )
    valid_until = MomentField(
        plan=True,
        label=gettext_lazy("Valid until"),
        required=False,
        widget=forms.DateTimeInput({"type": "datetime-local"}),
    )


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[
            ("uphold", gettext_lazy("Uphold (correct the colour)")),
            ("reject", gettext_lazy("Reject")),
        ],
    )
    colour = forms.ChoiceField(
        label=gettext_lazy("Corrected colour"), choices=Colour.choices, initial=Colour.GREEN
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"), required=False, widget=forms.TextInput({"required": True})
    )


class IdentityForm(forms.Form):
    id_number = forms.CharField(label=gettext_lazy("ID number"), max_length=18)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=20)


class AppealForm(forms.Form):
    statement = forms.CharField(
        label=gettext_lazy("Why is the colour wrong?"),
        required=False,
        widget=forms.Textarea({"rows": 4, "required": True}),
    )
    contact_phone = forms.CharField(
        label=gettext_lazy("Phone to reach you"), max_length=20, required=False
    )
