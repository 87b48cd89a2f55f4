from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from fangkong.core.dates import DayField
from fangkong.core.errors import REASON_MISSING
from fangkong.people.models import KeyCategory, NeedKind, Relation


class ResidentForm(forms.Form):
    id_number = forms.CharField(label=_("ID number"), max_length=18)
    name = forms.CharField(label=_("Name"), max_length=60)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    place = forms.CharField(
        label=_("Place code"),
        max_length=24,
        help_text=_("Division code of the unit (or building, compound, community) they live in"),
    )
    household_code = forms.CharField(label=_("Household code"), max_length=40, required=False)
    relation = forms.ChoiceField(
        label=_("Relation to head"),
        choices=[("", "—"), *Relation.choices],
        required=False,
    )
    reason = forms.CharField(label=_("Reason / source"), max_length=300, required=False)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:  # a change to the registry says why; a new entry may say where it came from
            self.fields["id_number"].disabled = True
            self.fields["id_number"].required = False
            self.fields["reason"].required = True
            self.fields["reason"].error_messages["required"] = REASON_MISSING


class KeyPersonForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=KeyCategory.choices)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    since = DayField(label=_("Since"), required=False, widget=forms.DateInput({"type": "date"}))


class NeedForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=NeedKind.choices)
    description = forms.CharField(label=_("Description"), max_length=300)
    recurrence_days = forms.IntegerField(
        label=_("Every (days)"),
        min_value=1,
        max_value=settings.PLAN_HORIZON_DAYS,
        required=False,
    )
    next_due = DayField(
        plan=True, label=_("Next due"), required=False, widget=forms.DateInput({"type": "date"})
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)
