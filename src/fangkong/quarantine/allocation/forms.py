"""Forms of the allocation pages."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fangkong.core.dates import DayField, HappenedField
from fangkong.quarantine.models import Category


class AllocationForm(forms.Form):
    SOURCES = [
        ("contacts", _("Close contacts waiting for a room")),
        ("id_numbers", _("ID numbers")),
    ]
    source = forms.ChoiceField(
        label=_("People"), choices=SOURCES, widget=forms.RadioSelect, initial="contacts"
    )
    category = forms.ChoiceField(label=_("Category"), choices=())
    since = DayField(
        label=_("Contacts found since"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: every contact still waiting"),
    )
    anchor_on = DayField(
        label=_("Counted from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("For ID numbers: the date of last exposure, departure or arrival"),
    )
    id_numbers = forms.CharField(
        label=_("ID numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("One per line, or separated by spaces or commas"),
    )

    def __init__(self, *args: Any, contacts: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [  # type: ignore[attr-defined]
            ("", _("— choose —")),
            *Category.choices,
        ]
        if not contacts:
            self.fields["source"].choices = [self.SOURCES[1]]  # type: ignore[attr-defined]
            self.fields["source"].initial = "id_numbers"
            del self.fields["since"]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class ConfirmForm(forms.Form):
    allocated_at = HappenedField(
        label=_("Allocated at"),
        help_text=_("Empty: now. When the rooms were allocated and the measures started"),
    )
