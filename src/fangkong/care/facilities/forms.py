"""Forms of the facilities' registry pages."""

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.care.models import Capability, FacilityKind


class FacilityForm(forms.Form):
    """A facility's details; `code` only when registering (routing rules may name it)."""

    code = forms.CharField(label=_("Facility code"), max_length=32)
    name = forms.CharField(label=pgettext_lazy("of a thing", "Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=FacilityKind.choices)
    place = forms.CharField(
        label=_("Place (division code)"),
        max_length=24,
        help_text=_("The district, street or community where the facility is"),
    )
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    phone = forms.CharField(label=_("Direct line"), max_length=20, required=False)
    capabilities = forms.MultipleChoiceField(
        label=_("Capabilities"),
        choices=Capability.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    reason = forms.CharField(label=_("Reason for the change"), max_length=300, required=False)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["code"]
        else:
            del self.fields["reason"]


class FacilityStatusForm(forms.Form):
    active = forms.TypedChoiceField(
        label=_("Status"),
        coerce=lambda v: v == "1",
        choices=[("1", _("In service")), ("0", _("Suspended"))],
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)


class FacilityStaffForm(forms.Form):
    usernames = forms.CharField(
        label=_("Staff (user names)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Accounts with the hospital role; they see only the requests routed to their "
            "facilities. Separate names by commas"
        ),
    )

    def clean_usernames(self) -> list[str]:
        raw = self.cleaned_data.get("usernames") or ""
        return [t for t in re.split(r"[\s,，;]+", raw) if t]
