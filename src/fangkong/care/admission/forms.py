"""Forms of the hospital side and the SLA board."""

from django import forms
from django.utils.translation import gettext_lazy as _

from fangkong.care.admission.models import RefusalReason
from fangkong.care.models import RequestType
from fangkong.core.dates import HappenedField


class RefuseForm(forms.Form):
    """A refusal: a reason from the closed list (never "no test result"), in words if other."""

    reason = forms.ChoiceField(label=_("Reason"), choices=RefusalReason.choices)
    reason_text = forms.CharField(
        label=_("In your words"), max_length=500, required=False, widget=forms.Textarea
    )
    happened_at = HappenedField(label=_("Happened at"), help_text=_("Empty: now"))


class ResolveForm(forms.Form):
    """The command centre closes an incident: what was done, on what basis, when."""

    resolution = forms.CharField(
        label=_("What was done"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    basis = forms.CharField(
        label=_("Basis"),
        max_length=300,
        required=False,
        help_text=_("E.g. the instruction or notice it rests on"),
    )
    happened_at = HappenedField(label=_("Happened at"), help_text=_("Empty: now"))


class BoardForm(forms.Form):
    type = forms.ChoiceField(
        label=_("Request type"), choices=[("", _("All")), *RequestType.choices], required=False
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Open")),
            ("requested", _("Not yet routed")),
            ("routed", _("Waiting for the facility")),
            ("accepted", _("Admitted")),
        ],
    )
    late = forms.BooleanField(label=_("Late only"), required=False)
    facility = forms.TypedChoiceField(
        label=_("Facility"), required=False, coerce=int, empty_value=None
    )
