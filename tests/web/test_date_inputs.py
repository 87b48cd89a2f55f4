"""Every date and date-time field of every form renders the ISO value a browser's date picker
takes, in Chinese as in English (zh-Hans formats dates 2026/12/07, which `<input type=date>`
shows as an empty field that cannot be submitted)."""

import datetime as dt
import importlib
import pkgutil
import re

import pytest
from django import forms
from django.utils import translation

import fangkong

DAY = dt.date(2026, 12, 7)
MOMENT = dt.datetime(2026, 12, 7, 9, 5)


def date_fields() -> list[tuple[str, forms.Field]]:
    found = []
    for module in pkgutil.walk_packages(fangkong.__path__, "fangkong."):
        if not module.name.rsplit(".", 1)[-1].startswith("forms"):
            continue
        for name, value in vars(importlib.import_module(module.name)).items():
            if isinstance(value, type) and issubclass(value, forms.BaseForm):
                for field_name, field in getattr(value, "base_fields", {}).items():
                    if isinstance(field, forms.DateField | forms.DateTimeField):
                        found.append((f"{module.name}.{name}.{field_name}", field))
    return found


FIELDS = date_fields()


def test_the_forms_have_date_fields_to_check():
    assert len(FIELDS) > 20


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(("where", "field"), FIELDS, ids=[w for w, _f in FIELDS])
def test_a_date_field_renders_an_iso_value_for_the_picker(where, field, language):
    is_moment = isinstance(field, forms.DateTimeField)
    with translation.override(language):
        html = field.widget.render("x", MOMENT if is_moment else DAY)
    kind, value = ("datetime-local", "2026-12-07T09:05") if is_moment else ("date", "2026-12-07")
    assert f'type="{kind}"' in html, html
    assert re.search(rf'value="{value}(:00)?"', html), html
