"""What a traveller must do after arrival, from the active profile, in plain words.

The category follows the origin: a domestic high-risk area → "left a high-risk area", counted
from the day the traveller left it; abroad → "inbound traveller", counted from the arrival day;
elsewhere in China → nothing after the arrival test. Obligations are kept as a small document
(phases and test days) and put into words when shown, in the reader's language.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from fangkong.core.words import listing
from fangkong.policy import accessor
from fangkong.quarantine.measures import schedules
from fangkong.quarantine.measures.services import basis_of, category_label
from fangkong.quarantine.models import Category, Measure, PhaseKind
from fangkong.travel.models import OriginKind

CATEGORY_OF_ORIGIN: dict[str, str] = {
    OriginKind.HIGH_RISK_AREA: Category.HIGH_RISK_AREA_LEAVER,
    OriginKind.ABROAD: Category.INBOUND_TRAVELLER,
}


def category_and_anchor(
    origin_kind: str, departed_on: dt.date, arrival_day: dt.date
) -> tuple[str, dt.date] | None:
    """The measure's category and the day it counts from; None when the origin sets none."""
    category = CATEGORY_OF_ORIGIN.get(origin_kind)
    if category is None:
        return None
    return category, departed_on if category == Category.HIGH_RISK_AREA_LEAVER else arrival_day


def document(
    category: str,
    anchor: dt.date,
    phases: list[tuple[str, dt.date, dt.date]],
    tests: list[dt.date],
    profile: str,
) -> dict[str, Any]:
    return {
        "category": category,
        "anchor_on": anchor.isoformat(),
        "phases": [[kind, first.isoformat(), last.isoformat()] for kind, first, last in phases],
        "tests": [day.isoformat() for day in tests],
        "profile": profile,
    }


def of_measure(measure: Measure, profile: str) -> dict[str, Any]:
    """The obligations a started measure sets (two queries: its phases and its test days)."""
    phases = [(p.kind, p.first_day, p.last_day) for p in measure.phases.all()]
    tests = list(measure.tests.order_by("due_on").values_list("due_on", flat=True))
    return document(measure.category, measure.anchor_on, phases, tests, profile)


@dataclass(frozen=True)
class Preview:
    """What the active profile will ask of a traveller, as seen when they report the trip."""

    obligations: dict[str, Any] | None  # None: nothing after the arrival test
    basis: str
    reason: str = ""


def preview(origin_kind: str, departed_on: dt.date, arrival_day: dt.date) -> Preview:
    policy = accessor.current()
    basis = basis_of(policy.profile)
    found = category_and_anchor(origin_kind, departed_on, arrival_day)
    if found is None:
        return Preview(None, basis, _("No quarantine or further tests after the arrival test."))
    category, anchor = found
    rule = policy.rules.measure(category)  # type: ignore[arg-type]
    if not rule.identified or not (rule.phases or rule.lapse_tests):
        reason = _("The active policy (%(profile)s) sets no measures for %(category)s") % {
            "profile": policy.profile.name,
            "category": category_label(category),
        }
        return Preview(None, basis, reason)
    planned = schedules.plan(rule, anchor, today=arrival_day)
    if planned.ends_on is None or planned.ends_on < arrival_day:
        return Preview(None, basis, _("No quarantine or further tests after the arrival test."))
    phases = [(p.kind, p.first_day, p.last_day) for p in planned.phases]
    tests = [t.due_on for t in planned.tests]
    return Preview(document(category, anchor, phases, tests, policy.profile.name), basis)


def _phase_label(kind: str) -> str:
    return str(PhaseKind(kind).label) if kind in PhaseKind.values else kind


def lines(obligations: dict[str, Any] | None) -> list[str]:
    """The obligations as sentences: each phase with its dates, then the test days."""
    if not obligations:
        return [_("No quarantine or further tests after the arrival test.")]
    out = [
        _("%(category)s, counted from %(day)s.")
        % {
            "category": category_label(obligations.get("category", "")),
            "day": obligations.get("anchor_on", ""),
        }
    ]
    phases = obligations.get("phases") or []
    for kind, first, last in phases:
        out.append(
            _("%(phase)s from %(first)s to %(last)s.")
            % {"phase": _phase_label(kind), "first": first, "last": last}
        )
    if not phases:
        out.append(_("No quarantine."))
    tests = obligations.get("tests") or []
    if tests:
        out.append(_("Nucleic-acid tests on %(days)s.") % {"days": listing(tests)})
    return out
