"""Forms of the medical requests' pages (staff, and the resident's phone page)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from fangkong.care.models import RequestStatus, RequestType
from fangkong.core.dates import HappenedField


class RequestForm(forms.Form):
    """A request raised by staff for a person of their jurisdiction, named by ID number."""

    id_number = forms.CharField(label=_("ID number"), max_length=18)
    type = forms.ChoiceField(label=_("Request type"), choices=RequestType.choices)
    description = forms.CharField(
        label=_("What is needed"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=20, required=False)


class MyRequestForm(forms.Form):
    """The resident's own request (identified on the page by ID number and phone)."""

    type = forms.ChoiceField(label=_("What do you need?"), choices=RequestType.choices)
    description = forms.CharField(
        label=_("Tell us more"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    contact_phone = forms.CharField(
        label=_("Phone to call you back"), max_length=20, required=False
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("New status"),
        choices=[
            (RequestStatus.ACCEPTED, RequestStatus.ACCEPTED.label),
            (RequestStatus.COMPLETED, RequestStatus.COMPLETED.label),
            (RequestStatus.CANCELLED, RequestStatus.CANCELLED.label),
        ],
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
    happened_at = HappenedField(label=_("Happened at"), help_text=_("Empty: now"))
