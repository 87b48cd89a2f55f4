"""Forms of the zone pages. Places are division codes (or keys), one per line or comma."""

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.core.dates import DayField, HappenedField

SEPARATORS = re.compile(r"[\s,，;；、]+")


def split_codes(text: str) -> list[str]:
    return [c for c in SEPARATORS.split(text or "") if c]


class PlacesMixin(forms.Form):
    places = forms.CharField(
        label=_("Places (division codes)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "data-places": ""}),
        help_text=_("Buildings, units, compounds or communities: one code per line, or pick them"),
    )
    polygon = forms.CharField(required=False, widget=forms.HiddenInput(attrs={"data-polygon": ""}))
    cases = forms.CharField(
        label=_("Cases (case numbers)"),
        required=False,
        max_length=2000,
        help_text=_("The cases that call for the zone, separated by commas"),
    )


class DrawForm(PlacesMixin):
    level = forms.ChoiceField(label=_("Level"), choices=())
    name = forms.CharField(
        label=pgettext_lazy("of a thing", "Name"),
        max_length=200,
        required=False,
        help_text=_("Empty: named after its first place"),
    )
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    started_at = HappenedField(label=_("In force since"), help_text=_("Empty: now"))
    in_force = forms.BooleanField(
        label=_("Put in force now"),
        required=False,
        initial=True,
        help_text=_("Unticked: kept as a proposal, not published, until put in force"),
    )

    def __init__(self, *args: Any, levels: list[tuple[str, str]] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = levels  # type: ignore[attr-defined]
        self.order_fields(["level", "places", "polygon", "cases", "name", "reason", "started_at"])


class ExtendForm(PlacesMixin):
    reason = forms.CharField(label=_("Reason"), max_length=2000)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, required=False)


class ActivateForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, required=False)
    started_at = HappenedField(label=_("In force since"), help_text=_("Empty: now"))


class LevelForm(forms.Form):
    level = forms.ChoiceField(label=_("Level"), choices=())
    reason = forms.CharField(label=_("Reason"), max_length=2000)
    changed_at = HappenedField(label=_("Changed at"), help_text=_("Empty: now"))

    def __init__(self, *args: Any, levels: list[tuple[str, str]] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = levels  # type: ignore[attr-defined]


class EvaluateForm(forms.Form):
    day = DayField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
