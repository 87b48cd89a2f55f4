"""Forms of the medicine pages: a chronic patient's course, an order, the steps of an order."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fangkong.care.facilities.selectors import facilities_for_user
from fangkong.care.models import DeliverTo, Facility, FacilityKind
from fangkong.core.dates import DayField, HappenedField


def _pharmacies(field: Any, user: Any) -> None:
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = facilities_for_user(user).filter(kind=FacilityKind.PHARMACY, active=True)


class CourseForm(forms.Form):
    id_number = forms.CharField(label=_("ID number"), max_length=18)
    medicine = forms.CharField(label=_("Medicine"), max_length=100)
    unit = forms.CharField(label=_("Unit"), max_length=20, required=False)
    daily_dose = forms.DecimalField(
        label=_("Daily dose"), min_value=0, max_digits=8, decimal_places=2
    )
    supply = forms.DecimalField(label=_("On hand"), min_value=0, max_digits=10, decimal_places=2)
    supply_on = DayField(label=_("Counted on"))
    pharmacy: forms.ModelChoiceField[Facility] = forms.ModelChoiceField(
        label=_("Pharmacy"), queryset=None, required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _pharmacies(self.fields["pharmacy"], user)


class OrderForm(forms.Form):
    id_number = forms.CharField(label=_("ID number"), max_length=18)
    medicine = forms.CharField(label=_("Medicine"), max_length=100)
    quantity = forms.DecimalField(label=_("Quantity"), min_value=0, max_digits=10, decimal_places=2)
    pharmacy: forms.ModelChoiceField[Facility] = forms.ModelChoiceField(
        label=_("Pharmacy"), queryset=None
    )
    deliver_to = forms.ChoiceField(label=_("Deliver to"), choices=DeliverTo.choices)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _pharmacies(self.fields["pharmacy"], user)


class StepForm(forms.Form):
    """One step of an order; `step` says which (the page's buttons)."""

    step = forms.ChoiceField(
        choices=[
            ("source", "source"),
            ("accept", "accept"),
            ("decline", "decline"),
            ("deliver", "deliver"),
            ("confirm", "confirm"),
            ("cancel", "cancel"),
        ],
        widget=forms.HiddenInput,
    )
    substitute = forms.CharField(
        label=_("Only a substitute found"),
        max_length=100,
        required=False,
        help_text=_("Empty: the medicine itself was found"),
    )
    deliver_to = forms.ChoiceField(
        label=_("Delivered to"), choices=DeliverTo.choices, required=False
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
    at = HappenedField(label=_("When it happened"), required=False, help_text=_("Empty: now"))


class MyAnswerForm(forms.Form):
    """The patient's own answer to a substitute (their phone page)."""

    decision = forms.ChoiceField(
        label=_("Your answer"),
        choices=[("accept", _("Accept the substitute")), ("decline", _("Decline it"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Why not (when declining)"), max_length=300, required=False)
