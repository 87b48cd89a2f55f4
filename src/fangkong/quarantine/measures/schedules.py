"""A person's schedule under a category: pure functions of the profile's rules and dates.

Day 0 is the anchor date (last exposure, departure, arrival, leaving the closed loop). The first
phase runs from day 1 for its number of days, the next phase follows it, and so on; a phase's test
days count from that phase's own day 1 (e.g. under the 20 measures a close contact is tested on
centralised days 1, 2, 3, 5 and home days 1, 3). When a category lapses (more than
`lapse_after_days` since the anchor, e.g. left a high-risk area over 7 days ago), there are no
phases, only `lapse_tests` tests from the day the measure starts.
"""

import datetime as dt
from dataclasses import dataclass

from fangkong.policy.schema import Measure as MeasureRule

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class PlannedPhase:
    order: int
    kind: str
    first_day: dt.date
    last_day: dt.date


@dataclass(frozen=True)
class PlannedTest:
    due_on: dt.date
    phase_kind: str
    day_number: int  # day of its phase (1 = the phase's first day)


@dataclass(frozen=True)
class Plan:
    phases: tuple[PlannedPhase, ...]
    tests: tuple[PlannedTest, ...]
    lapsed: bool = False

    @property
    def starts_on(self) -> dt.date | None:
        if self.phases:
            return self.phases[0].first_day
        return self.tests[0].due_on if self.tests else None

    @property
    def ends_on(self) -> dt.date | None:
        if self.phases:
            return self.phases[-1].last_day
        return self.tests[-1].due_on if self.tests else None


def plan(rule: MeasureRule, anchor: dt.date, *, today: dt.date) -> Plan:
    """The phases and test days `rule` gives a person anchored on `anchor`, seen on `today`.

    Test days before `today` are dropped (a person found late cannot be tested in the past);
    a test due today stays.
    """
    if rule.lapse_after_days is not None and (today - anchor).days > rule.lapse_after_days:
        count = rule.lapse_tests or 0
        lapse = tuple(PlannedTest(today + ONE_DAY * i, "", i + 1) for i in range(count))
        return Plan(phases=(), tests=lapse, lapsed=True)
    phases: list[PlannedPhase] = []
    tests: list[PlannedTest] = []
    first = anchor + ONE_DAY
    for order, phase in enumerate(rule.phases):
        last = first + ONE_DAY * (phase.days - 1)
        phases.append(PlannedPhase(order, phase.kind, first, last))
        for number in sorted(set(phase.test_days)):
            due = first + ONE_DAY * (number - 1)
            if number <= phase.days and due >= today:
                tests.append(PlannedTest(due, phase.kind, number))
        first = last + ONE_DAY
    return Plan(phases=tuple(phases), tests=tuple(tests))
