"""Forms of citizen requests: the operator's intake (fields in the order a call goes), the
public form (no login), the department's and the operator's actions."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.core.dates import HappenedField
from fangkong.hotline.models import HotlineCategory, HotlineChannel, Satisfaction

INTAKE_CHANNELS = [
    (c.value, c.label)
    for c in (HotlineChannel.PHONE, HotlineChannel.WECHAT, HotlineChannel.TRANSFER_110)
]


class IntakeForm(forms.Form):
    caller_phone = forms.CharField(
        label=_("Caller's phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(
            attrs={"autofocus": True, "inputmode": "tel", "autocomplete": "off"}
        ),
    )
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=18,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    caller_name = forms.CharField(label=_("Caller"), max_length=60, required=False)
    text = forms.CharField(
        label=_("What the caller says"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4, "data-classify": "1"}),
    )
    category = forms.ChoiceField(
        label=_("Category"),
        choices=[("", _("— the suggestion —")), *HotlineCategory.choices],
        required=False,
        help_text=_("Empty: the suggested category"),
    )
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=INTAKE_CHANNELS)
    happened_at = HappenedField(label=_("Happened at"), required=False, help_text=_("Empty: now"))


class PublicForm(forms.Form):
    text = forms.CharField(
        label=_("Your request"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5})
    )
    phone = forms.CharField(
        label=_("Your phone"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    name = forms.CharField(label=_("Your name"), max_length=60, required=False)
    place = forms.CharField(label=_("Where (compound, building)"), max_length=200, required=False)
    # Left empty by people; filled by the bots that fill every field.
    website = forms.CharField(
        required=False,
        label="",
        widget=forms.TextInput(
            attrs={"class": "hp", "tabindex": "-1", "autocomplete": "off", "aria-hidden": "true"}
        ),
    )


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Progress note"), max_length=1000)


class CompleteForm(forms.Form):
    reply = forms.CharField(
        label=_("What was done"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


SOLVED_CHOICES = [("yes", _("Solved")), ("no", _("Not solved"))]


class CallbackForm(forms.Form):
    solved = forms.ChoiceField(
        label=_("The caller says"), choices=SOLVED_CHOICES, widget=forms.RadioSelect
    )
    satisfaction = forms.TypedChoiceField(
        label=_("Satisfaction"),
        choices=[("", "—"), *Satisfaction.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    note = forms.CharField(
        label=pgettext_lazy("a short text", "Note"), max_length=1000, required=False
    )


class CategoryForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=HotlineCategory.choices)
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class MergeForm(forms.Form):
    into = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class WeChatForm(forms.Form):
    text = forms.CharField(
        label=_("Messages copied from the group"),
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("Each message on its own line, after the sender's name or the time"),
    )
