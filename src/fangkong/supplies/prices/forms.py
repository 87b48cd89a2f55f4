"""Forms of the price pages: a day's report (phone-sized), a file of reports, a store, an
alert's status, an item of the catalogue."""

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.core.dates import DayField
from fangkong.core.uploads import ImportFileField
from fangkong.supplies.prices.models import AlertStatus


class ReportForm(forms.Form):
    store = forms.TypedChoiceField(label=_("Store"), coerce=int)
    item = forms.TypedChoiceField(label=_("Item"), coerce=int)
    day = DayField(label=_("Day"))
    price = forms.DecimalField(
        label=_("Price (yuan per unit)"),
        max_digits=9,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )
    stock = forms.DecimalField(
        label=_("Stock"),
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )
    arrivals = forms.DecimalField(
        label=_("Arrivals"),
        max_digits=12,
        decimal_places=2,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )

    def __init__(self, *args: Any, stores: Any = (), items: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["store"]).choices = [(s.pk, s.name) for s in stores]
        cast(forms.ChoiceField, self.fields["item"]).choices = [
            (i.pk, f"{i.name}（{i.get_unit_display()}）") for i in items
        ]


class ReportsFileForm(forms.Form):
    file = ImportFileField(
        label=_("CSV or XLSX file"),
        help_text=_(
            "Columns 监测点, 品种, 日期, 单位, 价格, 库存, 到货量 "
            "(store, item, day, unit, price, stock, arrivals)"
        ),
    )


class StoreForm(forms.Form):
    enterprise = forms.TypedChoiceField(label=_("Enterprise"), coerce=int)
    name = forms.CharField(label=pgettext_lazy("of a thing", "Name"), max_length=100)
    place = forms.CharField(label=_("Place (division code)"), max_length=24)

    def __init__(self, *args: Any, enterprises: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["enterprise"]).choices = [
            (e.pk, e.name) for e in enterprises
        ]


class AlertStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            (AlertStatus.ACKNOWLEDGED, _("Acknowledge")),
            (AlertStatus.RESOLVED, _("Resolve")),
        ],
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class NecessityForm(forms.Form):
    item = forms.CharField(max_length=30, widget=forms.HiddenInput)
    per_capita_daily = forms.DecimalField(
        label=_("Consumption per person per day"), max_digits=9, decimal_places=4, min_value=0
    )
    max_price = forms.DecimalField(
        label=_("Highest plausible price"), max_digits=9, decimal_places=2, min_value=0
    )
    active = forms.BooleanField(label=_("Monitored"), required=False)
