"""Forms of the pass pages."""

from django import forms
from django.utils.translation import gettext_lazy as _


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)
