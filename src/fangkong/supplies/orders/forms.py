"""Forms of the order pages."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.core.dates import HappenedField
from fangkong.core.uploads import PhotoField
from fangkong.supplies.orders.models import OrderStatus, ProblemKind, Product, ProductKind


class PointForm(forms.Form):
    compound = forms.CharField(
        label=_("Compound"), max_length=24, help_text=_("The compound's code")
    )
    name = forms.CharField(label=pgettext_lazy("of a thing", "Name"), max_length=100)
    location = forms.CharField(label=_("Where exactly"), max_length=300)
    hours = forms.CharField(label=_("Opening hours"), max_length=100)
    contact_name = forms.CharField(label=_("Contact person"), max_length=60)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)


class PointChangeForm(PointForm):
    active = forms.BooleanField(label=_("In use"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["compound"]


class ProductForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ProductKind.choices)
    name = forms.CharField(label=pgettext_lazy("of a thing", "Name"), max_length=100)
    contents = forms.CharField(label=_("Contents"), max_length=300, required=False)
    unit = forms.CharField(label=_("Unit"), max_length=20)
    price = forms.DecimalField(label=_("Price (yuan)"), min_value=0, max_digits=9, decimal_places=2)
    for_infants = forms.BooleanField(label=_("For infants and mothers"), required=False)
    active = forms.BooleanField(label=_("On offer"), required=False, initial=True)


class FindPersonForm(forms.Form):
    q = forms.CharField(label=_("Name, ID number or phone"), max_length=40, required=False)


class OrderForm(forms.Form):
    """One quantity field per package or item on offer, then a phone and a note."""

    contact_phone = forms.CharField(label=_("Contact phone"), max_length=20, required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, products: list[Product], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.products = products
        quantities = {
            f"q{p.pk}": forms.IntegerField(
                label=f"{p.name} ({p.price} / {p.unit})",
                min_value=0,
                max_value=99,
                required=False,
                initial=0,
                help_text=p.contents,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "data-product": p.pk}),
            )
            for p in products
        }
        self.fields = {**quantities, **self.fields}

    def lines(self) -> list[tuple[Product, int]]:
        return [(p, self.cleaned_data.get(f"q{p.pk}") or 0) for p in self.products]


class MyOrderForm(OrderForm):
    """The resident's own: for whom in the household."""

    def __init__(self, *args: Any, members: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["for_person"] = forms.TypedChoiceField(
            label=_("For"), choices=members, coerce=int
        )


class BatchStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            (s.value, s.label)
            for s in (OrderStatus.ACCEPTED, OrderStatus.DISPATCHED, OrderStatus.AT_POINT)
        ],
    )
    at = HappenedField(label=_("When"))


class DeliverForm(forms.Form):
    volunteer = forms.CharField(label=_("Volunteer"), max_length=60)
    code = forms.CharField(
        label=_("Confirmation code"),
        max_length=12,
        required=False,
        help_text=_("The six digits the resident was given; or a photo"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    photo = PhotoField(label=_("Photo at the door"), required=False)
    at = HappenedField(label=_("When"))


class ProblemForm(forms.Form):
    kind = forms.ChoiceField(label=_("Problem"), choices=ProblemKind.choices)
    note = forms.CharField(label=_("Note"), max_length=300)
    at = HappenedField(label=_("When"))


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)
    at = HappenedField(label=_("When"))
