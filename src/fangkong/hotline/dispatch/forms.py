from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.core.access import scoped
from fangkong.hotline.models import DepartmentKind
from fangkong.places.models import Division, Level


class DepartmentForm(forms.Form):
    code = forms.CharField(label=_("Department code"), max_length=32)
    name = forms.CharField(label=pgettext_lazy("of a thing", "Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=DepartmentKind.choices)
    division = forms.ModelChoiceField(label=_("Place"), queryset=Division.objects.none())
    phone = forms.CharField(label=_("Direct line"), max_length=20, required=False)
    staff = forms.CharField(
        label=_("Staff"), required=False, help_text=_("Usernames, separated by commas")
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["division"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = scoped(
            Division.objects.filter(level__lte=Level.COMMUNITY), user, "key"
        ).order_by("key")
