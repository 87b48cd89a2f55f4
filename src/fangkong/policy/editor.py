"""The rules editor: a form generated from the rules' JSON schema (`schema.json_schema()`).

Three walks over the same schema, none of which knows a field of the rules by name:

- `form_data(rules)`: a rules document as the form's inputs (name → text);
- `read(data)`: the inputs (a POST) back to a document, noting which input each part of the
  document came from, so a problem at `categories.close_contact.phases.0.days` lands next to
  its input;
- `fields(data, problems)`: the tree of fieldsets, repeatable rows and inputs the template
  draws, with the values typed and the problems found.

Input names are dotted paths under `rules`: `rules.categories.close_contact.phases.0.days`.
An object is a fieldset; a map keyed by a closed list (the categories) one fieldset per key; a
list of objects (phases, downgrade rules, health-code rules) repeatable rows, each marked by a
hidden `__row__` input; a map with free keys (levels, groups, kinds of test) rows with a
`__key__` input (and `__value__` when the values are plain); a list of numbers or names one
text input, separated by commas; a closed list of values a select; yes/no a checkbox.
"""

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext as _

from fangkong.policy.labels import CATEGORY_LABELS, value_label
from fangkong.policy.schema import Loc, json_schema
from fangkong.policy.validation import Problem

ROOT = "rules"
ROW = "__row__"
KEY = "__key__"
VALUE = "__value__"
NEW = "__i__"  # the index of the row template, replaced by the next free index when added
MAX_ROWS = 200  # rows read per list: a form has a handful; more is not a person typing
SEPARATORS = re.compile(r"[\s,，、;；]+")
INDEX = re.compile(r"\d{1,4}")

type Data = Mapping[str, str]


@functools.cache
def root_schema() -> dict[str, Any]:
    return json_schema()


@dataclass(frozen=True)
class Shape:
    kind: str  # object, fixed, rows, map, list, choice, integer, number, boolean, text
    schema: dict[str, Any]
    nullable: bool


def shape(schema: dict[str, Any]) -> Shape:
    nullable = False
    if "anyOf" in schema:
        options = [o for o in schema["anyOf"] if o.get("type") != "null"]
        nullable = len(options) < len(schema["anyOf"])
        schema = {**options[0], **{k: v for k, v in schema.items() if k != "anyOf"}}
    kind = schema.get("type")
    if kind == "object":
        if "properties" in schema:
            return Shape("object", schema, nullable)
        if "enum" in schema.get("propertyNames", {}):
            return Shape("fixed", schema, nullable)
        return Shape("map", schema, nullable)
    if kind == "array":
        item = shape(schema.get("items", {}))
        return Shape("rows" if item.kind == "object" else "list", schema, nullable)
    if "enum" in schema:
        return Shape("choice", schema, nullable)
    if kind in ("integer", "number", "boolean"):
        return Shape(kind, schema, nullable)
    return Shape("text", schema, nullable)


def _value_name(name: str, inner: dict[str, Any]) -> str:
    """Where a map row keeps its value: its own inputs for an object, else one `__value__`."""
    return name if shape(inner).kind == "object" else f"{name}.{VALUE}"


def rows_of(data: Data, name: str) -> list[str]:
    """The indices of the rows under `name` present in the data, in order."""
    head = f"{name}."
    found = set()
    for key in data:
        if key.startswith(head) and key.endswith(f".{ROW}"):
            index = key[len(head) : -len(ROW) - 1]
            if INDEX.fullmatch(index):
                found.add(int(index))
    return [str(i) for i in sorted(found)[:MAX_ROWS]]


# Document → inputs ------------------------------------------------------------------------------


def form_data(rules: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    _flatten(root_schema(), rules, ROOT, out)
    return out


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _flatten(schema: dict[str, Any], value: Any, name: str, out: dict[str, str]) -> None:
    s = shape(schema)
    inner = s.schema.get("additionalProperties", {})
    if s.kind == "object":
        given = value if isinstance(value, dict) else {}
        for prop, sub in s.schema["properties"].items():
            _flatten(sub, given.get(prop, sub.get("default")), f"{name}.{prop}", out)
    elif s.kind == "fixed":
        given = value if isinstance(value, dict) else {}
        for key in s.schema["propertyNames"]["enum"]:
            _flatten(inner, given.get(key), f"{name}.{key}", out)
    elif s.kind == "rows":
        for i, item in enumerate(value if isinstance(value, list | tuple) else []):
            out[f"{name}.{i}.{ROW}"] = "1"
            _flatten(s.schema["items"], item, f"{name}.{i}", out)
    elif s.kind == "map":
        for i, (key, item) in enumerate((value if isinstance(value, dict) else {}).items()):
            out[f"{name}.{i}.{ROW}"] = "1"
            out[f"{name}.{i}.{KEY}"] = str(key)
            _flatten(inner, item, _value_name(f"{name}.{i}", inner), out)
    elif s.kind == "list":
        out[name] = ", ".join(_text(v) for v in (value if isinstance(value, list | tuple) else []))
    elif s.kind == "boolean":
        if value:
            out[name] = "on"
    else:
        out[name] = _text(value)


# Inputs → document ------------------------------------------------------------------------------


@dataclass
class Reading:
    """A document read from the inputs, and where each part of it came from."""

    document: dict[str, Any] = field(default_factory=dict)
    inputs: dict[Loc, str] = field(default_factory=dict)  # document path → input name
    problems: list[Problem] = field(default_factory=list)  # found while reading (keys)


def read(data: Data) -> Reading:
    reading = Reading()
    reading.document = _read(root_schema(), data, ROOT, (), reading)[1]
    return reading


def _read(schema: dict[str, Any], data: Data, name: str, loc: Loc, r: Reading) -> tuple[bool, Any]:
    """(present, value): an empty input is left out, so its default applies or it is missing."""
    s = shape(schema)
    r.inputs[loc] = name
    if s.kind == "object":
        out = {}
        for prop, sub in s.schema["properties"].items():
            present, value = _read(sub, data, f"{name}.{prop}", (*loc, prop), r)
            if present:
                out[prop] = value
        return True, out
    if s.kind == "fixed":
        inner = s.schema["additionalProperties"]
        keys = s.schema["propertyNames"]["enum"]
        return True, {k: _read(inner, data, f"{name}.{k}", (*loc, k), r)[1] for k in keys}
    if s.kind == "rows":
        rows = rows_of(data, name)
        items = [
            _read(s.schema["items"], data, f"{name}.{i}", (*loc, pos), r)[1]
            for pos, i in enumerate(rows)
        ]
        return True, items
    if s.kind == "map":
        return True, _read_map(s.schema["additionalProperties"], data, name, loc, r)
    if s.kind == "list":
        return True, [x for x in SEPARATORS.split(data.get(name, "")) if x]
    if s.kind == "boolean":
        return True, data.get(name, "") not in ("", "off", "false")
    raw = (data.get(name) or "").strip()
    if not raw:
        return s.nullable, None
    return True, raw


def _read_map(inner: dict[str, Any], data: Data, name: str, loc: Loc, r: Reading) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i in rows_of(data, name):
        key_input = f"{name}.{i}.{KEY}"
        key = (data.get(key_input) or "").strip()
        if not key or key in out:
            message = _("Required") if not key else _("Already given in another row")
            r.inputs[(*loc, f"#{i}")] = key_input
            r.problems.append(Problem((*loc, f"#{i}"), message))
            continue
        r.inputs[(*loc, key, "[key]")] = key_input
        present, value = _read(inner, data, _value_name(f"{name}.{i}", inner), (*loc, key), r)
        out[key] = value if present else None
    return out


def problems_by_input(problems: list[Problem], reading: Reading) -> dict[str, list[str]]:
    """Each problem at the input (or fieldset) of the longest part of its path the form has;
    a problem with one item of a comma-separated list says which item."""
    out: dict[str, list[str]] = {}
    for p in problems:
        loc = p.loc
        while loc and loc not in reading.inputs:
            loc = loc[:-1]
        message = p.message
        rest = p.loc[len(loc) :]
        if rest and isinstance(rest[0], int):
            message = _("Item %(n)s: %(message)s") % {"n": rest[0] + 1, "message": message}
        out.setdefault(reading.inputs.get(loc, ROOT), []).append(message)
    return out


# The tree the template draws --------------------------------------------------------------------


@dataclass
class Node:
    kind: str  # "group", "rows", "row" or "input"
    name: str
    label: str
    help: str = ""
    widget: str = ""  # an input's: integer, number, text, list, choice, boolean
    value: str = ""
    choices: list[tuple[str, str]] = field(default_factory=list)
    required: bool = False
    errors: list[str] = field(default_factory=list)
    children: list["Node"] = field(default_factory=list)
    template: "Node | None" = None  # rows: an empty row to add
    item: str = ""  # rows: what one row is ("Phase")

    @property
    def input_id(self) -> str:
        return "f-" + self.name.replace(".", "-")

    @property
    def checked(self) -> bool:
        return self.value not in ("", "off", "false")

    @property
    def error_count(self) -> int:
        return len(self.errors) + sum(child.error_count for child in self.children)


def fields(data: Data, errors: Mapping[str, list[str]] | None = None) -> Node:
    """The form for `data` (`form_data(rules)` or a POST), with `errors` by input name."""
    schema = root_schema()
    builder = _Builder(data, errors or {})
    return builder.node(schema, ROOT, gettext(schema.get("title", "")), required=True)


class _Builder:
    def __init__(self, data: Data, errors: Mapping[str, list[str]], *, fresh: bool = False):
        self.data, self.errors, self.fresh = data, errors, fresh

    def node(self, schema: dict[str, Any], name: str, label: str, *, required: bool) -> Node:
        s = shape(schema)
        base: dict[str, Any] = {
            "name": name,
            "label": label,
            "help": gettext(s.schema["description"]) if s.schema.get("description") else "",
            "errors": list(self.errors.get(name, [])),
        }
        if s.kind == "object":
            needed = set(s.schema.get("required", []))
            children = [
                self.node(sub, f"{name}.{prop}", _title(sub, prop), required=prop in needed)
                for prop, sub in s.schema["properties"].items()
            ]
            return Node("group", children=children, **base)
        if s.kind == "fixed":
            inner = s.schema["additionalProperties"]
            children = [
                self.node(inner, f"{name}.{key}", str(CATEGORY_LABELS.get(key, key)), required=True)
                for key in s.schema["propertyNames"]["enum"]
            ]
            return Node("group", children=children, **base)
        if s.kind in ("rows", "map"):
            return self.rows(s, base)
        return self.scalar(s, base, required=required and not s.nullable)

    def rows(self, s: Shape, base: dict[str, Any]) -> Node:
        name = base["name"]
        is_map = s.kind == "map"
        inner = s.schema["additionalProperties"] if is_map else s.schema["items"]
        item = gettext(inner.get("title") or s.schema.get("title", ""))
        rows = [
            self.row(inner, f"{name}.{i}", item, n + 1, is_map, s.schema)
            for n, i in enumerate(rows_of(self.data, name))
        ]
        fresh = _Builder({}, {}, fresh=True)
        template = fresh.row(inner, f"{name}.{NEW}", item, 0, is_map, s.schema)
        return Node("rows", children=rows, template=template, item=item, **base)

    def row(
        self,
        inner: dict[str, Any],
        name: str,
        item: str,
        n: int,
        is_map: bool,
        outer: dict[str, Any],
    ) -> Node:
        children = []
        if is_map:
            key_title = gettext(outer.get("x-key-title", "")) or _("Name")
            key = self.data.get(f"{name}.{KEY}", "")
            children.append(
                Node(
                    "input",
                    f"{name}.{KEY}",
                    key_title,
                    widget="text",
                    value=key,
                    required=True,
                    errors=list(self.errors.get(f"{name}.{KEY}", [])),
                )
            )
            label = value_label(key) if key else item
        else:
            label = f"{item} {n}" if n else item
        value = self.node(inner, _value_name(name, inner), item, required=True)
        if value.kind == "group":  # named as the row: its problems are the row's
            children += value.children
            errors = value.errors
        else:
            children.append(value)
            errors = list(self.errors.get(name, []))
        return Node("row", name, label, errors=errors, children=children)

    def scalar(self, s: Shape, base: dict[str, Any], *, required: bool) -> Node:
        name = base["name"]
        if self.fresh:
            default = s.schema.get("default")
            value = (
                "on"
                if default is True
                else ""
                if default is None or default is False
                else _text(default)
            )
        else:
            value = self.data.get(name, "")
        node = Node("input", widget=s.kind, value=value, required=required, **base)
        if s.kind == "choice":
            node.choices = [(v, value_label(v)) for v in s.schema["enum"]]
            if not required or not value:
                node.choices.insert(0, ("", "—"))
        return node


def _title(schema: dict[str, Any], prop: str) -> str:
    title = schema.get("title")
    return gettext(title) if title else prop
