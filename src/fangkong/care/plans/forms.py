"""Forms of the health plans' pages (phone-usable: the grid worker keeps plans on a phone)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fangkong.care.facilities.selectors import facilities_for_user
from fangkong.care.models import Facility, PlanCategory, Repeat, RequestType
from fangkong.care.plans.models import WEEKDAYS
from fangkong.core.dates import DayField


class PlanForm(forms.Form):
    id_number = forms.CharField(label=_("ID number"), max_length=18)
    category = forms.ChoiceField(label=_("Category"), choices=PlanCategory.choices)
    contact_hospital: forms.ModelChoiceField[Facility] = forms.ModelChoiceField(
        label=_("Contact hospital"), queryset=None, required=False
    )
    emergency = forms.CharField(
        label=_("In an emergency"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What to do and whom to call"),
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args: Any, user: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["contact_hospital"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = facilities_for_user(user).filter(active=True)
        if editing:
            del self.fields["id_number"]


class NeedForm(forms.Form):
    type = forms.ChoiceField(label=_("Request type"), choices=RequestType.choices)
    facility: forms.ModelChoiceField[Facility] = forms.ModelChoiceField(
        label=_("At"), queryset=None, required=False
    )
    repeat = forms.ChoiceField(label=_("Repeats"), choices=Repeat.choices)
    weekdays = forms.MultipleChoiceField(
        label=_("Days of the week"),
        choices=WEEKDAYS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    every_days = forms.IntegerField(
        label=_("Every (days)"), min_value=1, max_value=366, required=False
    )
    starts_on = DayField(plan=True, label=_("From"), help_text=_("Or the day"))
    ends_on = DayField(plan=True, label=_("Until"), required=False)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["facility"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = facilities_for_user(user).filter(active=True)
