"""Profiles side by side: one row per rule, one plain-language cell per profile."""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from fangkong.policy.schema import CATEGORIES, Measure, Phase, Rules, ZoneRule

CATEGORY_LABELS = {
    "close_contact": gettext_lazy("Close contact"),
    "secondary_contact": gettext_lazy("Secondary contact"),
    "high_risk_area_leaver": gettext_lazy("Left a high-risk area"),
    "inbound_traveller": gettext_lazy("Inbound traveller"),
    "risk_post_leaver": gettext_lazy("High-risk post leaving closed loop"),
}
PHASE_LABELS = {
    "centralised": gettext_lazy("centralised quarantine"),
    "home_quarantine": gettext_lazy("home quarantine"),
    "home_monitoring": gettext_lazy("home health monitoring"),
    "centralised_or_home": gettext_lazy("centralised or home quarantine"),
}
LEVEL_LABELS = {
    "high": gettext_lazy("high"),
    "medium": gettext_lazy("medium"),
    "low": gettext_lazy("low"),
    "sealed": gettext_lazy("sealed"),
    "controlled": gettext_lazy("controlled"),
    "precaution": gettext_lazy("precaution"),
}
PLACE_LABELS = {
    "unit": gettext_lazy("unit"),
    "building": gettext_lazy("building"),
    "compound": gettext_lazy("compound"),
    "community": gettext_lazy("community"),
}
MASS_TESTING = {
    "by_area": gettext_lazy("allowed by area"),
    "only_when_source_unclear": gettext_lazy("only when the source or chain is unclear"),
}
CONDITION_LABELS = {
    "confirmed_case": gettext_lazy("confirmed case"),
    "suspected_case": gettext_lazy("suspected case"),
    "close_contact_under_quarantine": gettext_lazy("close contact under quarantine"),
    "secondary_contact_under_quarantine": gettext_lazy("secondary contact under quarantine"),
    "high_risk_area_leaver_under_quarantine": gettext_lazy(
        "left a high-risk area, under quarantine"
    ),
    "inbound_traveller_under_quarantine": gettext_lazy("inbound traveller under quarantine"),
    "under_health_monitoring": gettext_lazy("under health monitoring"),
    "missed_required_test": gettext_lazy("missed a required test"),
    "under_temporary_control": gettext_lazy(
        "under temporary control (member of a positive pool, awaiting a retest)"
    ),
}


RISK_POST_GROUPS = {
    "group_1": gettext_lazy("Group 1 (quarantine sites, fever clinics, border)"),
    "group_2": gettext_lazy("Group 2 (supermarkets, couriers, delivery)"),
}


def _list(items: list[str]) -> str:
    return pgettext("list separator", ", ").join(items)


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
