"""The upload form: one optional file per kind of the registry."""

from typing import Any

from django import forms
from django.utils.translation import gettext as _

from fangkong.command.situation.registry import KINDS
from fangkong.core.uploads import ImportFileField


class SituationForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in KINDS:
            self.fields[kind.name] = ImportFileField(label=str(kind.title), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(data.get(kind.name) for kind in KINDS):
            raise forms.ValidationError(_("Give at least one file"))
        return data


class ConfirmForm(forms.Form):
    token = forms.CharField(max_length=64, widget=forms.HiddenInput)
