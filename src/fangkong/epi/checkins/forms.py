"""The check-in import form."""

from django import forms
from django.utils.translation import gettext_lazy

from fangkong.core.uploads import ImportFileField


class CheckinImportForm(forms.Form):
    file = ImportFileField(label=gettext_lazy("File (CSV or Parquet)"))
