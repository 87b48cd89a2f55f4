import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.core.dates import DayField, MomentField

MOMENT = "%Y-%m-%dT%H:%M"


def now() -> dt.datetime:
    return timezone.now().replace(microsecond=0)


class AsOfForm(forms.Form):
    """The moment figures are shown for: empty means now."""

    as_of = MomentField(
        label=_("As of"),
        required=False,
        input_formats=[MOMENT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput({"type": "datetime-local"}, format=MOMENT),
    )
    place = forms.CharField(required=False, max_length=24, widget=forms.HiddenInput)

    def moment(self) -> dt.datetime:
        if self.is_valid() and self.cleaned_data.get("as_of"):
            at: dt.datetime = self.cleaned_data["as_of"]
            return at.replace(microsecond=0)
        return now()


class ReportForm(forms.Form):
    day = DayField(label=_("Date"), required=False, widget=forms.DateInput({"type": "date"}))
    hour = forms.IntegerField(label=_("Cut-off hour"), required=False, min_value=0, max_value=23)
    place = forms.CharField(required=False, max_length=24, widget=forms.HiddenInput)

    def day_and_hour(self) -> tuple[dt.date, int | None]:
        """The day (default today) and the hour asked for (None: the policy's report time)."""
        data = self.cleaned_data if self.is_valid() else {}
        day = data.get("day") or timezone.localdate()
        hour: int | None = data.get("hour")
        return day, hour


class IssueForm(forms.Form):
    """Issue the report of a day (again: with the reason, e.g. late entries)."""

    day = DayField(label=_("Report date"), widget=forms.DateInput({"type": "date"}))
    reason = forms.CharField(
        label=_("Reason for issuing again"),
        required=False,
        max_length=500,
        help_text=_("Needed from the second issue of a day on, e.g. cases entered late"),
    )
    place = forms.CharField(required=False, max_length=24, widget=forms.HiddenInput)
