"""Every string is translated both ways: English msgids, a complete zh-Hans catalog."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from django import forms
from django.conf import settings
from django.utils import translation

from fangkong.lab.models import Lab

CATALOG = Path(settings.BASE_DIR) / "web/locale/zh_Hans/LC_MESSAGES/django.po"


def _entries(text: str) -> dict[str, list[str]]:
    """msgid → its translations (msgstr or msgstr[n]) for every entry but the header."""
    out: dict[str, list[str]] = {}
    for block in text.split("\n\n"):
        if "fuzzy" in block.split("msgid")[0]:
            out.setdefault("__fuzzy__", []).append(block)
        ids = re.findall(r'^msgid ((?:".*"\n?)+)', block, re.M)
        if not ids:
            continue
        msgid = "".join(re.findall(r'"(.*)"', ids[0]))
        if msgid == "":
            continue
        strs = re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', block, re.M)
        out[msgid] = ["".join(re.findall(r'"(.*)"', s)) for s in strs]
    return out


def test_every_zh_hans_entry_is_translated_and_not_fuzzy():
    entries = _entries(CATALOG.read_text("utf-8"))
    assert "__fuzzy__" not in entries, entries.get("__fuzzy__", [""])[0][:300]
    missing = [m for m, strs in entries.items() if not strs or not all(strs)]
    assert missing == []


def test_catalog_holds_every_string_in_the_code(tmp_path):
    """Re-extract the strings from a copy of the source; none may be missing."""
    copy = tmp_path / "fangkong"
    shutil.copytree(settings.BASE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "DJANGO_SETTINGS_MODULE": "fangkong.settings"}
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "zh_Hans", "--no-obsolete"],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
    )
    fresh = _entries((copy / "web/locale/zh_Hans/LC_MESSAGES/django.po").read_text("utf-8"))
    committed = _entries(CATALOG.read_text("utf-8"))
    assert sorted(set(fresh) - set(committed) - {"__fuzzy__"}) == []
    assert sorted(set(committed) - set(fresh) - {"__fuzzy__"}) == []


def test_the_empty_choice_of_a_model_select_is_in_the_users_language():
    field = forms.ModelChoiceField(queryset=Lab.objects.none())
    with translation.override("zh-hans"):
        chinese = field.widget.render("lab", None, {})
    with translation.override("en"):
        english = field.widget.render("lab", None, {})
    assert "— 请选择 —" in chinese and "Select an option" not in chinese
    assert "— choose —" in english
