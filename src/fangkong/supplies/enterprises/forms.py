"""Forms of the whitelist pages: an enterprise, its staff, a vehicle, a courier, a status."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.core.dates import HappenedField
from fangkong.supplies.models import EnterpriseKind, WhitelistStatus


class EnterpriseForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=EnterpriseKind.choices)
    name = forms.CharField(label=pgettext_lazy("of a thing", "Name"), max_length=200)
    credit_code = forms.CharField(label=_("Unified social credit code"), max_length=24)
    place = forms.CharField(
        label=_("Place (division code)"),
        max_length=24,
        help_text=_("The district or street where the enterprise is registered"),
    )
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    contact_name = forms.CharField(label=_("Contact person"), max_length=60, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)


class StaffForm(forms.Form):
    staff = forms.CharField(
        label=_("Staff accounts"),
        required=False,
        max_length=2000,
        help_text=_("User names with the supply enterprise role, separated by commas"),
    )


class VehicleForm(forms.Form):
    plate = forms.CharField(label=_("Plate number"), max_length=12)
    area = forms.CharField(label=_("Delivery area (division code)"), max_length=24)


class CourierForm(forms.Form):
    id_number = forms.CharField(label=_("ID number"), max_length=20)
    name = forms.CharField(label=_("Name"), max_length=60)
    phone = forms.CharField(label=_("Mobile phone"), max_length=20)
    area = forms.CharField(label=_("Delivery area (division code)"), max_length=24)
    home_address = forms.CharField(label=_("Home address"), max_length=300)
    home_place = forms.CharField(
        label=_("Home community (division code)"),
        max_length=24,
        required=False,
        help_text=_("Only for a person not yet in the registry"),
    )


class WhitelistForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Whitelist status"),
        choices=[
            (WhitelistStatus.GRANTED, WhitelistStatus.GRANTED.label),
            (WhitelistStatus.SUSPENDED, WhitelistStatus.SUSPENDED.label),
            (WhitelistStatus.REVOKED, WhitelistStatus.REVOKED.label),
        ],
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)
    basis = forms.CharField(
        label=_("Basis"),
        max_length=300,
        help_text=_("The rule or notice the decision rests on"),
    )
    decided_at = HappenedField(label=_("Decided at"))
