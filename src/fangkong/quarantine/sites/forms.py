"""Forms of the site, room and stay pages."""

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.core.dates import HappenedField
from fangkong.core.uploads import ImportFileField
from fangkong.quarantine.models import RoomStatus, SiteKind


class SiteForm(forms.Form):
    code = forms.CharField(label=pgettext_lazy("quarantine site", "Site code"), max_length=20)
    name = forms.CharField(label=pgettext_lazy("of a thing", "Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=SiteKind.choices)
    place = forms.CharField(
        label=_("Place (division code)"),
        max_length=24,
        help_text=_("The district, street or community the site belongs to"),
    )
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    latitude = forms.FloatField(label=_("Latitude"), required=False)
    longitude = forms.FloatField(label=_("Longitude"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    opened_at = HappenedField(label=_("Opened at"))


class SiteInUseForm(forms.Form):
    active = forms.TypedChoiceField(
        label=_("The site is"),
        choices=[("0", _("Closed or suspended")), ("1", _("In use again"))],
        coerce=lambda v: v == "1",
    )
    at = HappenedField(label=_("Since"))
    reason = forms.CharField(label=_("Reason"), max_length=300)


class StaysInForm(forms.Form):
    checked_in_at = HappenedField(label=_("Arrived at"))


class StaysOutForm(forms.Form):
    checked_out_at = HappenedField(label=_("Left at"))


class RoomsGenerateForm(forms.Form):
    building = forms.CharField(
        label=_("Building"), max_length=20, required=False, help_text=_("e.g. A or 1号楼")
    )
    floor_from = forms.IntegerField(label=_("From floor"), initial=2)
    floor_to = forms.IntegerField(label=_("To floor"), initial=9)
    room_from = forms.IntegerField(label=_("From room"), initial=1, min_value=1, max_value=99)
    room_to = forms.IntegerField(label=_("To room"), initial=20, min_value=1, max_value=99)
    beds = forms.IntegerField(label=_("Beds per room"), initial=1, min_value=1, max_value=12)
    accessible = forms.CharField(
        label=_("Accessible rooms"),
        required=False,
        max_length=200,
        help_text=_("Room positions accessible on every floor, e.g. 1, 2"),
    )

    def clean_accessible(self) -> list[int]:
        raw = self.cleaned_data.get("accessible") or ""
        tokens = [t for t in re.split(r"[\s,，;、]+", raw) if t]
        if not all(t.isdigit() and 1 <= int(t) <= 99 for t in tokens):
            raise forms.ValidationError(_("Write room positions as numbers, e.g. 1, 2"))
        return sorted({int(t) for t in tokens})


class RoomsImportForm(forms.Form):
    file = ImportFileField(
        label=_("CSV or XLSX file"),
        help_text=_(
            "Columns 楼栋, 楼层, 房间号, 床位, 无障碍 (building, floor, number, beds, accessible)"
        ),
    )


class RoomStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("New status"),
        choices=[(s.value, s.label) for s in RoomStatus if s != RoomStatus.OCCUPIED],
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
    changed_at = HappenedField(label=_("Changed at"))


class StaffForm(forms.Form):
    usernames = forms.CharField(
        label=_("Staff (user names)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Site managers see only the sites they staff; separate names by commas"),
    )

    def clean_usernames(self) -> list[str]:
        raw = self.cleaned_data.get("usernames") or ""
        return [t for t in re.split(r"[\s,，;]+", raw) if t]


class MoveForm(forms.Form):
    room = forms.TypedChoiceField(label=_("New room"), coerce=int, choices=())
    reason = forms.CharField(label=_("Reason"), max_length=300)
    moved_at = HappenedField(label=_("Moved at"), help_text=_("Empty: now"))

    def __init__(self, *args: Any, rooms: list[tuple[int, str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["room"].choices = rooms or []  # type: ignore[attr-defined]
