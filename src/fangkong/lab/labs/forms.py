"""Forms of the laboratories' registry pages."""

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.lab.selectors import turnaround_labels


class LabForm(forms.Form):
    """A lab's details; `code` only when registering (it never changes). `turnarounds`: the
    classes' labels with the policy's hours, when the page has read them already."""

    code = forms.CharField(label=pgettext_lazy("laboratory", "Lab code"), max_length=32)
    name = forms.CharField(label=pgettext_lazy("of a thing", "Name"), max_length=200)
    place = forms.CharField(
        label=_("Place (division code)"),
        max_length=24,
        help_text=_("The district or street where the laboratory is"),
    )
    area = forms.CharField(
        label=_("Area served (division code)"),
        max_length=24,
        required=False,
        help_text=_("Whose tubes it takes, e.g. the whole city; empty: its own place"),
    )
    capacity_per_day = forms.IntegerField(
        label=_("Capacity per day (tubes)"), min_value=1, max_value=1_000_000
    )
    turnaround = forms.ChoiceField(label=_("Turnaround class"), choices=())
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    contact_name = forms.CharField(label=_("Contact person"), max_length=60, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    reason = forms.CharField(label=_("Reason for the change"), max_length=300, required=False)

    def __init__(
        self,
        *args: Any,
        editing: bool = False,
        turnarounds: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["turnaround"]
        field.choices = list((turnarounds or turnaround_labels()).items())
        if editing:
            del self.fields["code"]
        else:
            del self.fields["reason"]


class LabStatusForm(forms.Form):
    active = forms.TypedChoiceField(
        label=_("Status"),
        coerce=lambda v: v == "1",
        choices=[("1", _("In use")), ("0", _("Suspended"))],
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)


class LabStaffForm(forms.Form):
    usernames = forms.CharField(
        label=_("Staff (user names)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Accounts with the laboratory role; they see only their labs' tubes and upload "
            "only their results. Separate names by commas"
        ),
    )

    def clean_usernames(self) -> list[str]:
        raw = self.cleaned_data.get("usernames") or ""
        return [t for t in re.split(r"[\s,，;]+", raw) if t]
