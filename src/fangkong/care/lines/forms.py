"""Form of a community's direct line."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.care.facilities.selectors import facilities_for_user
from fangkong.care.models import Facility, LineKind


class LineForm(forms.Form):
    community = forms.CharField(
        label=_("Community (division code)"),
        max_length=24,
        help_text=_("A community of your jurisdiction"),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=LineKind.choices)
    name = forms.CharField(label=pgettext_lazy("of a thing", "Name"), max_length=200)
    phone = forms.CharField(label=_("Phone"), max_length=20)
    facility: forms.ModelChoiceField[Facility] = forms.ModelChoiceField(
        label=_("Facility"), queryset=None, required=False
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=200,
        required=False,
        help_text=_("Hours, the vehicle's plate and driver…"),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["facility"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = facilities_for_user(user).filter(active=True)
