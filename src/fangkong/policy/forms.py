"""Forms of the policy pages (the rules themselves are the generated editor: editor.py)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from fangkong.core.dates import DayField
from fangkong.policy.models import PolicyProfile


class ProfileMetaForm(forms.ModelForm):
    """A draft's names and source; the code and version are its identity and stay."""

    published_on = DayField(label=_("published on"))

    class Meta:
        model = PolicyProfile
        fields = ["name_zh", "name_en", "issued_by", "published_on", "source"]


class ActivateForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the change"), max_length=2000)
    effective_on = DayField(
        label=_("In force from"),
        plan=True,
        required=False,
        help_text=_("Empty or today: from now. A later day: from its first minute."),
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000)


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File (YAML or JSON)"))
