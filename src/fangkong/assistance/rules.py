"""The programmes' rules as a pure function (no query): who qualifies, who is covered, how much,
what must be uploaded and by when it is decided — all read from the policy profile
(`policy.schema.Assistance`).

- 低保 (`dibao`): a household whose income per person is at or below the line and whose assets
  per person are within the limit is covered whole (整户保), paid the gap to the line for each
  member; a seriously ill or disabled member of a low-income household (income per person at or
  below `low_income_multiple` times the line) is covered alone (单人保) at the line.
- 特困 (`tekun`): the applicant alone, within the line and the assets limit, at the fixed amount.
- 临时救助 (`temporary`): a worker without income for at least `months_without_income` months
  and not covered by unemployment insurance receives the one-off amount (seed 004).

A floating resident applies where they live with a residence permit when the profile allows it
(the permit is then one of the documents); a visitor does not qualify.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from fangkong.policy.schema import Assistance

CENT = Decimal("0.01")

# Findings: why an application meets the rules or not (codes; `selectors.FINDING_WORDS`).
HOUSEHOLD_WITHIN_LINE = "household_within_line"
SINGLE_ILL_OR_DISABLED = "single_ill_or_disabled"
INCOME_ABOVE_LINE = "income_above_line"
ASSETS_ABOVE_LIMIT = "assets_above_limit"
NO_INCOME_LONG_ENOUGH = "no_income_long_enough"
NO_INCOME_TOO_SHORT = "no_income_too_short"
UNEMPLOYMENT_INSURED = "unemployment_insured"
NOT_RESIDENT = "not_resident"
PERMIT_NOT_ACCEPTED = "permit_not_accepted"


@dataclass(frozen=True)
class Claim:
    """What an application says, and what the registry knows of the applicant."""

    programme: str
    members: int  # people of the household in the registry (the applicant at least)
    monthly_income: Decimal  # the household's, a month
    assets: Decimal  # the household's savings and property
    residency: str  # registered / floating / visitor
    seriously_ill_or_disabled: bool = False
    months_without_income: int = 0
    unemployment_insurance: bool = False


@dataclass(frozen=True)
class Assessment:
    eligible: bool
    coverage: str  # household / single
    covered: int
    income_per_person: Decimal
    monthly_amount: Decimal
    one_off_amount: Decimal
    emergency: bool
    documents: tuple[str, ...]
    decide_within_days: int
    findings: tuple[str, ...] = field(default=())


def _money(value: Decimal | float) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _within(value: Decimal, limit: float) -> bool:
    """At or below a limit; a limit of 0 is not tested."""
    return not limit or value <= _money(limit)


def assess(claim: Claim, rules: Assistance) -> Assessment:
    programme = rules.programme(claim.programme)
    emergency = rules.emergency_procedure
    members = max(claim.members, 1)
    per_person = _money(claim.monthly_income / members)
    assets_ok = _within(_money(claim.assets / members), programme.assets_per_person_yuan)
    findings: list[str] = []
    eligible, coverage, covered = False, "single", 1
    monthly, one_off = Decimal(0), Decimal(0)
    extra: list[str] = []

    if claim.residency == "visitor":
        findings.append(NOT_RESIDENT)
    elif claim.residency == "floating":
        if rules.residence_permit_may_apply:
            extra.append("residence_permit")
        else:
            findings.append(PERMIT_NOT_ACCEPTED)
    resident_ok = not findings

    if claim.programme == "dibao":
        line = _money(programme.monthly_line_yuan)
        if not assets_ok:
            findings.append(ASSETS_ABOVE_LIMIT)
        elif _within(per_person, programme.monthly_line_yuan):
            findings.append(HOUSEHOLD_WITHIN_LINE)
            eligible, coverage, covered = resident_ok, "household", members
            monthly = (line - per_person) * members if line else Decimal(0)
        elif claim.seriously_ill_or_disabled and per_person <= line * _money(
            rules.low_income_multiple
        ):
            findings.append(SINGLE_ILL_OR_DISABLED)
            eligible, monthly = resident_ok, line
            extra.append("medical_record")
        else:
            findings.append(INCOME_ABOVE_LINE)
    elif claim.programme == "tekun":
        if not assets_ok:
            findings.append(ASSETS_ABOVE_LIMIT)
        elif not _within(per_person, programme.monthly_line_yuan):
            findings.append(INCOME_ABOVE_LINE)
        else:
            findings.append(HOUSEHOLD_WITHIN_LINE)
            eligible, monthly = resident_ok, _money(programme.monthly_amount_yuan)
    else:
        if claim.unemployment_insurance:
            findings.append(UNEMPLOYMENT_INSURED)
        if claim.months_without_income < rules.months_without_income:
            findings.append(NO_INCOME_TOO_SHORT)
        if not (claim.unemployment_insurance or NO_INCOME_TOO_SHORT in findings):
            findings.append(NO_INCOME_LONG_ENOUGH)
            eligible = resident_ok
        one_off = _money(programme.one_off_amount_yuan)

    documents = programme.emergency_documents if emergency else programme.documents
    needed = tuple(dict.fromkeys([*documents, *extra]))
    return Assessment(
        eligible=eligible,
        coverage=coverage,
        covered=covered,
        income_per_person=per_person,
        monthly_amount=_money(monthly),
        one_off_amount=one_off if eligible else Decimal(0),
        emergency=emergency,
        documents=needed,
        decide_within_days=(
            programme.emergency_decide_within_days if emergency else programme.decide_within_days
        ),
        findings=tuple(findings),
    )


def decide_by(applied_at: dt.datetime, days: int, tz: dt.tzinfo) -> dt.datetime:
    """The end of the local day `days` days after the application (0: the same day)."""
    day = applied_at.astimezone(tz).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time.max, tzinfo=tz)
