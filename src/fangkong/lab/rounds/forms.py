"""Forms of the rounds, sites, sampling and custody pages."""

from typing import Any

from django import forms
from django.db.models import fields as model_fields
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.core.dates import HappenedField, MomentField
from fangkong.lab.models import Purpose


class RoundForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("of a thing", "Name"), max_length=200)
    area = forms.CharField(
        label=_("Area (division code)"),
        max_length=24,
        help_text=_("The district, street, community, grid or building to test"),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Why mass testing is needed (e.g. why the source or chain is unclear)"),
    )
    pool_size = forms.TypedChoiceField(label=_("Pool size"), coerce=int, choices=())
    starts_at = MomentField(
        plan=True,
        label=_("Starts at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Empty: now"),
    )
    sites = forms.MultipleChoiceField(label=_("Sampling sites"), required=False, choices=())

    def __init__(
        self,
        *args: Any,
        pool_sizes: tuple[int, ...] = (),
        default_pool: int | None = None,
        sites: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        pool = self.fields["pool_size"]
        pool.choices = [  # type: ignore[attr-defined]
            (n, _("single tube") if n == 1 else _("%(n)s-in-1") % {"n": n}) for n in pool_sizes
        ]
        if default_pool is not None:
            pool.initial = default_pool
        self.fields["sites"].choices = sites or []  # type: ignore[attr-defined]


class CloseRoundForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
    closed_at = HappenedField(label=_("Closed at"), help_text=_("Empty: now"))


class SiteForm(forms.Form):
    code = forms.CharField(label=_("Site code"), max_length=32)
    name = forms.CharField(label=pgettext_lazy("of a thing", "Name"), max_length=200)
    place = forms.CharField(label=_("Place (division code)"), max_length=24)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)


class SamplingSetupForm(forms.Form):
    round = forms.ChoiceField(label=_("Round"), required=False, choices=())
    site = forms.ChoiceField(label=_("Sampling site"), required=False, choices=())
    purpose = forms.ChoiceField(
        label=_("Purpose (without a round)"),
        required=False,
        choices=[(p.value, p.label) for p in (Purpose.VOLUNTARY, Purpose.RETEST)],
    )

    def __init__(
        self,
        *args: Any,
        rounds: list[tuple[str, str]] | None = None,
        sites: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["round"].choices = [("", _("— no round —")), *(rounds or [])]  # type: ignore[attr-defined]
        self.fields["site"].choices = [("", _("— no site (home sampling) —")), *(sites or [])]  # type: ignore[attr-defined]


class TubeOpenForm(forms.Form):
    barcode = forms.CharField(
        label=_("Tube barcode"),
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "inputmode": "text",
                "autocomplete": "off",
                "autocapitalize": "characters",
                "enterkeyhint": "next",
            }
        ),
    )
    mode = forms.ChoiceField(
        label=_("Tube"),
        choices=[("pooled", _("Pooled")), ("single", _("Single"))],
        widget=forms.RadioSelect,
        initial="pooled",
    )
    collected_at = HappenedField(
        label=_("Sampled at"),
        help_text=_("Empty: now. A tube entered after the fact: when it was taken"),
    )


class MemberAddForm(forms.Form):
    person = forms.CharField(
        label=_("ID number or resident QR"),
        max_length=300,
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "inputmode": "text",
                "autocomplete": "off",
                "autocapitalize": "characters",
                "enterkeyhint": "done",
            }
        ),
    )
    sampled_at = HappenedField(
        label=_("Sampled at"),
        help_text=_("Empty: now. Filled in for a tube entered after the fact"),
    )


class TubeReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Why reopen it"),
        max_length=300,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
        help_text=_("E.g. the last people of the building came down after it was sealed"),
    )


class SendForm(forms.Form):
    """`labs`: the choices, flat or in groups; the only one is chosen already, several start
    with the empty choice."""

    lab = forms.ChoiceField(label=_("Send to lab"), choices=())

    def __init__(self, *args: Any, labs: list[tuple[str, Any]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        labs = labs or []
        field: Any = self.fields["lab"]
        values: list[tuple[str, Any]] = []
        for key, label in labs:  # a group is (its name, [(value, label), …])
            values += label if isinstance(label, list) else [(key, label)]
        if len(values) == 1:
            field.choices = labs
            field.initial = values[0][0]
        else:
            field.choices = [("", model_fields.BLANK_CHOICE_LABEL), *labs]


class ReceiveForm(SendForm):
    barcodes = forms.CharField(
        label=_("Barcodes received (one per line, or scan)"),
        widget=forms.Textarea(attrs={"rows": 6, "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lab"].label = _("Receiving lab")
