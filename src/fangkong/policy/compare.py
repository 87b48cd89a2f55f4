"""Profiles side by side: one row per rule, one plain-language cell per profile (`comparison`),
and two versions field by field (`differences`)."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from fangkong.core.words import listing
from fangkong.policy.editor import root_schema, shape
from fangkong.policy.labels import (
    CATEGORY_LABELS,
    CONDITION_LABELS,
    LEVEL_LABELS,
    MASS_TESTING,
    PHASE_LABELS,
    PLACE_LABELS,
    RISK_POST_GROUPS,
    value_label,
)
from fangkong.policy.schema import CATEGORIES, Measure, Phase, Rules, ZoneRule


def _list(items: list[str]) -> str:
    return listing(items)


def _clauses(items: list[str]) -> str:
    return pgettext("clause separator", "; ").join(items)


def _days(n: int) -> str:
    return ngettext("%(n)d day", "%(n)d days", n) % {"n": n}


def describe_phase(phase: Phase) -> str:
    parts = {"duration": _days(phase.days), "phase": PHASE_LABELS[phase.kind]}
    if not phase.test_days:
        return _("%(duration)s %(phase)s") % parts
    days = _list([str(d) for d in phase.test_days])
    return _("%(duration)s %(phase)s (tests on days %(days)s)") % {**parts, "days": days}


def describe_measure(m: Measure) -> str:
    if not m.identified:
        return _("not identified")
    text = " + ".join(describe_phase(p) for p in m.phases)
    if m.lapse_after_days is not None:
        text += pgettext("clause separator", "; ") + _(
            "more than %(days)s since leaving: %(tests)s test(s), no quarantine"
        ) % {
            "days": _days(m.lapse_after_days),
            "tests": m.lapse_tests or 0,
        }
    if m.positive_ct_below is not None:
        text += pgettext("clause separator", "; ") + _("positive when Ct < %(ct)s") % {
            "ct": f"{m.positive_ct_below:g}"
        }
    return text


def describe_zone_rule(rule: ZoneRule) -> str:
    text = _("%(a)s → %(b)s after %(days)s with no new infection") % {
        "a": LEVEL_LABELS.get(rule.from_level, rule.from_level),
        "b": LEVEL_LABELS.get(rule.to_level, rule.to_level),
        "days": _days(rule.clean_days),
    }
    if rule.only_after_downgrade_from:
        text = _("%(rule)s (after a downgrade from %(level)s)") % {
            "rule": text,
            "level": LEVEL_LABELS.get(rule.only_after_downgrade_from, ""),
        }
    if rule.negative_round_on_day:
        text += pgettext("condition separator", ", ") + _("all-negative round on day %(d)s") % {
            "d": rule.negative_round_on_day
        }
    if rule.negative_round_within_last_days:
        text += pgettext("condition separator", ", ") + _("negative round in the last %(days)s") % {
            "days": _days(rule.negative_round_within_last_days)
        }
    return text


@dataclass
class Row:
    label: str
    cells: list[str]

    @property
    def differs(self) -> bool:
        return len(set(self.cells)) > 1


def comparison(rules: list[Rules]) -> list[Row]:
    def row(label: object, fn: Callable[[Rules], str]) -> Row:
        return Row(str(label), [fn(r) for r in rules])

    rows = [
        row(CATEGORY_LABELS[c], lambda r, c=c: describe_measure(r.measure(c)))  # type: ignore[misc]
        for c in CATEGORIES
    ]
    rows += [
        row(
            _("Risk-area levels"),
            lambda r: " / ".join(str(LEVEL_LABELS.get(lv, lv)) for lv in r.zones.levels),
        ),
        row(
            _("High-risk area drawn by"),
            lambda r: _list([str(PLACE_LABELS.get(p, p)) for p in r.zones.drawn_by]),
        ),
        row(
            _("Downgrade rules"), lambda r: _clauses([describe_zone_rule(z) for z in r.zones.rules])
        ),
        row(_("Mass testing"), lambda r: str(MASS_TESTING[r.testing.mass_testing])),
        row(
            _("Pool sizes"),
            lambda r: (
                _("%(sizes)s (default %(n)s)")
                % {
                    "sizes": _list([f"{n}" for n in r.testing.pool_sizes]),
                    "n": r.testing.default_pool_size,
                }
            ),
        ),
        row(
            _("Round deadline"), lambda r: _("%(h)s hours") % {"h": r.testing.round_deadline_hours}
        ),
        row(
            _("Contact look-back"),
            lambda r: (
                _("%(days)s before onset or sampling")
                % {"days": _days(r.contacts.lookback_days_before_onset)}
            ),
        ),
        row(
            _("Secondary contacts identified"),
            lambda r: _("yes") if r.contacts.secondary_contacts else _("no"),
        ),
        row(
            _("Risk-post testing"),
            lambda r: _clauses(
                [
                    _("%(group)s: %(n)s tests a week")
                    % {"group": RISK_POST_GROUPS.get(g, g), "n": v.tests_per_week}
                    for g, v in sorted(r.risk_posts.items())
                ]
            ),
        ),
        row(
            _("Red code when"),
            lambda r: _list(
                [
                    str(CONDITION_LABELS.get(h.when, h.when))
                    for h in r.health_code
                    if h.colour == "red"
                ]
            ),
        ),
        row(
            _("Yellow code when"),
            lambda r: _list(
                [
                    str(CONDITION_LABELS.get(h.when, h.when))
                    for h in r.health_code
                    if h.colour == "yellow"
                ]
            ),
        ),
    ]
    rows += [row(label, fn) for label, fn in _quarantine_rows()]
    return rows


def _yes_no(flag: bool) -> str:
    return _("yes") if flag else _("no")


def _quarantine_rows() -> list[tuple[object, Callable[[Rules], str]]]:
    return [
        (
            _("Rooms"),
            lambda r: (
                _("one person per room")
                if r.quarantine.one_person_per_room
                else _("several people per room")
            ),
        ),
        (_("Household together"), lambda r: _yes_no(r.quarantine.household_together)),
        (
            _("Child placed with a guardian"),
            lambda r: (
                _("under %(age)s years") % {"age": r.quarantine.child_with_guardian_under_age}
            ),
        ),
        (
            _("Fever threshold"),
            lambda r: _("%(t)s °C or above") % {"t": f"{r.quarantine.fever_celsius:g}"},
        ),
        (
            _("Release needs negative tests"),
            lambda r: _yes_no(r.quarantine.release_needs_negative_tests),
        ),
    ]


# Field by field ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """One field of the rules in two versions: where (labels and path) and both values."""

    loc: tuple[str | int, ...]
    labels: tuple[str, ...]
    a: str
    b: str

    @property
    def path(self) -> str:
        return ".".join(str(part) for part in self.loc)

    @property
    def label(self) -> str:
        return " › ".join(self.labels)

    @property
    def differs(self) -> bool:
        return self.a != self.b


def _shown(kind: str, value: Any) -> str:
    if value is None or value == [] or value == ():
        return "—"
    if kind == "boolean":
        return _yes_no(bool(value))
    if isinstance(value, list | tuple):
        return _list([value_label(v) for v in value])
    if isinstance(value, float):
        return f"{value:g}"
    return value_label(value)


def _leaves(
    schema: dict[str, Any], value: Any, loc: tuple[str | int, ...], labels: tuple[str, ...]
) -> Iterator[tuple[tuple[str | int, ...], tuple[str, ...], str]]:
    s = shape(schema)
    given = value if isinstance(value, dict) else {}
    if s.kind == "object":
        for prop, sub in s.schema["properties"].items():
            title = _(sub["title"]) if sub.get("title") else prop
            yield from _leaves(
                sub, given.get(prop, sub.get("default")), (*loc, prop), (*labels, title)
            )
    elif s.kind == "fixed":
        for key in s.schema["propertyNames"]["enum"]:
            label = str(CATEGORY_LABELS.get(key, key))
            yield from _leaves(
                s.schema["additionalProperties"], given.get(key), (*loc, key), (*labels, label)
            )
    elif s.kind == "rows":
        item = s.schema["items"]
        title = _(item["title"]) if item.get("title") else ""
        for i, row in enumerate(value if isinstance(value, list | tuple) else []):
            yield from _leaves(item, row, (*loc, i), (*labels, f"{title} {i + 1}"))
    elif s.kind == "map":
        for key, inner in given.items():
            yield from _leaves(
                s.schema["additionalProperties"], inner, (*loc, key), (*labels, value_label(key))
            )
    else:
        yield loc, labels, _shown(s.kind, value)


def differences(a: Any, b: Any) -> list[Difference]:
    """Every field of two rules documents, labelled in the reader's language, in the schema's
    order (a field only one of them has shows "—" on the other side)."""
    schema = root_schema()
    left = {loc: (labels, text) for loc, labels, text in _leaves(schema, a, (), ())}
    right = {loc: (labels, text) for loc, labels, text in _leaves(schema, b, (), ())}
    order = list(left) + [loc for loc in right if loc not in left]
    return [
        Difference(
            loc,
            (left.get(loc) or right[loc])[0],
            left[loc][1] if loc in left else "—",
            right[loc][1] if loc in right else "—",
        )
        for loc in order
    ]
