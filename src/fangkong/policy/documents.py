"""A profile version as a file (YAML or JSON, the shape of `profiles/*.json`) and back.

Uploads are read defensively: at most `MAX_BYTES`, UTF-8, no YAML anchors or aliases (a few
lines of aliases expand to gigabytes), no nesting deeper than the API accepts, plain data only
(YAML's safe loader: no objects). Every problem has a path; syntax errors their line and column.
"""

import datetime as dt
import json
from typing import Any

import yaml
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fangkong.core.apikit import holds_nul, too_deep
from fangkong.core.dates import Day
from fangkong.policy.models import PolicyProfile
from fangkong.policy.validation import Problem, message_of

MAX_BYTES = 512 * 1024
YAML_TYPE = "application/yaml"
CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"


def document_of(profile: PolicyProfile) -> dict[str, Any]:
    return {
        "code": profile.code,
        "version": profile.version,
        "name_zh": profile.name_zh,
        "name_en": profile.name_en,
        "issued_by": profile.issued_by,
        "published_on": profile.published_on.isoformat(),
        "source": profile.source,
        "rules": profile.rules,
    }


def filename_of(profile: PolicyProfile, ext: str) -> str:
    return f"{profile.code}-v{profile.version}.{ext}"


def as_json(profile: PolicyProfile) -> str:
    return json.dumps(document_of(profile), ensure_ascii=False, indent=2) + "\n"


def as_yaml(profile: PolicyProfile) -> str:
    # Short lists (test days, pool sizes) stay on one line; Chinese stays readable.
    return yaml.safe_dump(
        document_of(profile),
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=None,
        width=100,
    )


class _NoAliases(yaml.SafeLoader):
    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "anchors and aliases (*name) are not accepted", event.start_mark
            )
        node = super().compose_node(parent, index)
        if node is not None and getattr(node, "anchor", None):
            raise yaml.composer.ComposerError(
                None, None, "anchors and aliases (&name) are not accepted", node.start_mark
            )
        return node


def _at(line: int, column: int, message: str) -> str:
    return _("Line %(line)s, column %(column)s: %(message)s") % {
        "line": line,
        "column": column,
        "message": message,
    }


def parse(content: bytes, filename: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The document in a file, or None and what is wrong with the file."""
    if len(content) > MAX_BYTES:
        limit = MAX_BYTES // 1024
        return None, [Problem((), _("The file is larger than %(kb)s KB") % {"kb": limit})]
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, [Problem((), _("The file is not UTF-8 text"))]
    try:
        if filename.lower().endswith(".json"):
            doc = json.loads(text)
        else:
            doc = yaml.load(text, Loader=_NoAliases)  # a SafeLoader
    except json.JSONDecodeError as exc:
        return None, [Problem((), _at(exc.lineno, exc.colno, exc.msg))]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        what = str(getattr(exc, "problem", None) or exc)
        if mark is None:
            return None, [Problem((), what)]
        return None, [Problem((), _at(mark.line + 1, mark.column + 1, what))]
    except RecursionError:
        return None, [Problem((), _("The document is nested too deeply"))]
    if not isinstance(doc, dict):
        return None, [Problem((), _("Expected a profile: code, names, source and rules"))]
    if too_deep(doc):
        return None, [Problem((), _("The document is nested too deeply"))]
    if holds_nul(doc):
        return None, [Problem((), _("Text may not contain the NUL character"))]
    return doc, []


class Metadata(BaseModel):
    """What a file says about its version besides the rules (its `version` is not used: the
    platform numbers a new version itself)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE_PATTERN, max_length=40)
    version: int | None = None
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    issued_by: str = Field(min_length=1, max_length=200)
    published_on: Day
    source: str = Field(min_length=1, max_length=300)
    rules: Any = None


def metadata(doc: dict[str, Any]) -> tuple[Metadata | None, list[Problem]]:
    if isinstance(doc.get("published_on"), dt.datetime):
        doc = {**doc, "published_on": doc["published_on"].date()}
    try:
        return Metadata.model_validate(doc), []
    except ValidationError as exc:
        problems = []
        for e in exc.errors():
            message = message_of(e)
            if e["type"] == "string_pattern_mismatch":
                message = _("Small letters, digits, - and _ only")
            elif e["type"] != "date_range" and e["type"].startswith(("date_", "datetime_")):
                message = _("Enter a date (YYYY-MM-DD)")
            problems.append(Problem(tuple(e["loc"]), message))
        return None, problems
