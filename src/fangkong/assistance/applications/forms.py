"""Forms of the assistance pages: staff filing for a resident (phone-friendly), the resident's
own application, documents, review, decision, payment."""

from django import forms
from django.utils.translation import gettext_lazy as _

from fangkong.assistance.models import DocumentKind, Programme
from fangkong.core.dates import DayField
from fangkong.core.uploads import ImportFileField


class FindForm(forms.Form):
    """Step one for staff: whose application, for which programme."""

    id_number = forms.CharField(label=_("Applicant's ID number"), max_length=18)
    programme = forms.ChoiceField(label=_("Programme"), choices=Programme.choices)


class ClaimForm(forms.Form):
    """What the applicant declares; the household comes from the registry."""

    monthly_income = forms.DecimalField(
        label=_("Household income a month (yuan)"), min_value=0, max_digits=12, decimal_places=2
    )
    assets = forms.DecimalField(
        label=_("Savings and property (yuan)"), min_value=0, max_digits=14, decimal_places=2
    )
    seriously_ill_or_disabled = forms.BooleanField(
        label=_("The applicant is seriously ill or severely disabled"), required=False
    )
    months_without_income = forms.IntegerField(
        label=_("Months without income (temporary assistance)"),
        min_value=0,
        max_value=120,
        initial=0,
    )
    unemployment_insurance = forms.BooleanField(
        label=_("Covered by unemployment insurance"), required=False
    )
    circumstances = forms.CharField(
        label=_("Circumstances"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=20, required=False)


class StaffClaimForm(ClaimForm):
    id_number = forms.CharField(widget=forms.HiddenInput, max_length=18)
    programme = forms.ChoiceField(widget=forms.HiddenInput, choices=Programme.choices)


class MyClaimForm(ClaimForm):
    programme = forms.ChoiceField(label=_("What do you apply for?"), choices=Programme.choices)
    field_order = ["programme"]


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Document"), choices=DocumentKind.choices)
    file = ImportFileField(label=_("File (PDF, JPEG or PNG)"))


class ReviewForm(forms.Form):
    note = forms.CharField(
        label=_("What the review found"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("refuse", _("Refuse"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Reason"), max_length=1000)
    basis = forms.CharField(label=_("Basis (rule or document)"), max_length=300, required=False)


class PaymentForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount (yuan)"), min_value=0, decimal_places=2)
    paid_on = DayField(label=_("Paid on"))
    period = forms.CharField(
        label=_("For the month (YYYY-MM)"),
        max_length=7,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "2026-12"}),
    )
    reference = forms.CharField(label=_("Bank or voucher reference"), max_length=60, required=False)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)
