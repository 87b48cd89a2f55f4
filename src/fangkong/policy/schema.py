"""The shape of a policy profile's rules. Business code reads numbers only through these types.

Every field has a title and a description: the rules editor (`editor.py`) is generated from this
schema and shows them, translated, as the label and help of each field. They are marked for
translation with `gettext_noop` (imported as `_` so `makemessages` finds them) and translated
where they are shown. Problems found across fields are reported at the field to fix (`_refuse`),
so the editor, the upload and the API can all name it.
"""

import datetime as dt
from collections.abc import Iterable
from typing import Any, Literal

from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

PhaseKind = Literal["centralised", "home_quarantine", "home_monitoring", "centralised_or_home"]
Category = Literal[
    "close_contact",
    "secondary_contact",
    "high_risk_area_leaver",
    "inbound_traveller",
    "risk_post_leaver",
]
CATEGORIES: tuple[Category, ...] = (
    "close_contact",
    "secondary_contact",
    "high_risk_area_leaver",
    "inbound_traveller",
    "risk_post_leaver",
)
# What the health-code engine (healthcode/rules.py) recognises in a person's facts.
Condition = Literal[
    "confirmed_case",
    "suspected_case",
    "close_contact_under_quarantine",
    "secondary_contact_under_quarantine",
    "high_risk_area_leaver_under_quarantine",
    "inbound_traveller_under_quarantine",
    "under_health_monitoring",
    "missed_required_test",
    "under_temporary_control",
]

Loc = tuple[str | int, ...]


def _refuse(title: str, problems: Iterable[tuple[Loc, str]]) -> None:
    """Raise one validation error per problem, each at its field (`loc` below the model)."""
    errors = [
        InitErrorDetails(type=PydanticCustomError("policy", message), loc=loc, input=None)
        for loc, message in problems
    ]
    if errors:
        raise ValidationError.from_exception_data(title, errors)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Phase(Strict):
    model_config = ConfigDict(title=_("Phase"))

    kind: PhaseKind = Field(title=_("Kind"), description=_("Where the person spends the phase"))
    days: int = Field(ge=1, title=_("Days"), description=_("How long the phase lasts"))
    test_days: tuple[int, ...] = Field(
        default=(),
        title=_("Test days"),
        description=_("Days of the phase with a nucleic-acid test (day 1 is its first day)"),
    )

    @field_validator("test_days")
    @classmethod
    def _days_inside_the_phase(
        cls, value: tuple[int, ...], info: ValidationInfo
    ) -> tuple[int, ...]:
        days = info.data.get("days")
        outside = sorted({d for d in value if d < 1 or (days is not None and d > days)})
        if outside:
            raise PydanticCustomError(
                "policy",
                gettext("Test days must fall within the phase's %(days)s days: not %(outside)s")
                % {"days": days, "outside": ", ".join(map(str, outside))},
            )
        if len(set(value)) != len(value):
            raise PydanticCustomError("policy", gettext("Each test day once"))
        return tuple(sorted(value))


class Measure(Strict):
    """What a category of person must do: phases counted from `counted_from`."""

    model_config = ConfigDict(title=_("Measure"))

    identified: bool = Field(
        default=True,
        title=_("Identified"),
        description=_(
            "Unticked: people of this category are not identified nor placed under any measure"
        ),
    )
    counted_from: Literal["last_exposure", "departure", "arrival", "leaving_closed_loop"] = Field(
        title=_("Counted from"), description=_("The day the schedule counts from (day 0)")
    )
    phases: tuple[Phase, ...] = Field(
        default=(), title=_("Phases"), description=_("One after the other, in this order")
    )
    lapse_after_days: int | None = Field(
        default=None,
        ge=0,
        title=_("Lapses after (days)"),
        description=_(
            "More days than this since the day counted from: no quarantine, only tests "
            "(empty: never lapses)"
        ),
    )
    lapse_tests: int | None = Field(
        default=None,
        ge=0,
        title=_("Tests after a lapse"),
        description=_("How many tests a person owes when the measure has lapsed"),
    )
    positive_ct_below: float | None = Field(
        default=None,
        gt=0,
        title=_("Positive when Ct below"),
        description=_(
            "A test of this category is positive below this Ct value (empty: the lab's own cut-off)"
        ),
    )

    @property
    def total_days(self) -> int:
        return sum(p.days for p in self.phases)


class ZoneRule(Strict):
    model_config = ConfigDict(title=_("Downgrade rule"))

    from_level: str = Field(alias="from", title=_("From level"))
    to_level: str = Field(alias="to", title=_("To level"))
    clean_days: int = Field(
        ge=1, title=_("Clean days"), description=_("Days in a row without a new infection")
    )
    negative_round_on_day: int | None = Field(
        default=None,
        ge=1,
        title=_("Negative round on day"),
        description=_(
            "The area's testing round on this day must be all negative (empty: none needed)"
        ),
    )
    negative_round_within_last_days: int | None = Field(
        default=None,
        ge=1,
        title=_("Negative round within the last days"),
        description=_(
            "An all-negative round within this many days before the downgrade (empty: none needed)"
        ),
    )
    only_after_downgrade_from: str | None = Field(
        default=None,
        title=_("Only after a downgrade from"),
        description=_(
            "The rule applies only to an area that came down from this level (empty: any)"
        ),
    )


class Obligation(Strict):
    """What living in a zone of one level obliges people to, in both languages."""

    model_config = ConfigDict(title=_("Obligations"))

    zh: str = Field(min_length=1, title=_("In Chinese"))
    en: str = Field(min_length=1, title=_("In English"))


class Zones(Strict):
    model_config = ConfigDict(title=_("Risk zones"))

    scheme: Literal["high_medium_low", "high_low", "sealed_controlled_precaution"] = Field(
        title=_("Scheme")
    )
    levels: tuple[str, ...] = Field(
        min_length=1,
        title=_("Levels"),
        description=_("Most restrictive first, separated by commas"),
    )
    drawn_by: tuple[str, ...] = Field(
        title=_("Drawn by"),
        description=_(
            "The kinds of place a zone is drawn over: unit, building, compound, community"
        ),
    )
    rules: tuple[ZoneRule, ...] = Field(title=_("Downgrade rules"))
    infection_escalates: dict[str, str] = Field(
        default={},
        title=_("A new infection raises"),
        description=_("A zone of the level on the left becomes the level on the right"),
        json_schema_extra={"x-key-title": _("Level")},
    )
    obligations: dict[str, Obligation] = Field(
        default={},  # per level; older rows without it still validate
        title=_("Obligations by level"),
        json_schema_extra={"x-key-title": _("Level")},
    )

    @model_validator(mode="after")
    def _names_declared_levels(self) -> "Zones":
        declared = set(self.levels)
        unknown = gettext("Not one of the levels above: %(level)s")
        problems: list[tuple[Loc, str]] = []
        for i, rule in enumerate(self.rules):
            for field, level in (("from", rule.from_level), ("to", rule.to_level)):
                if level not in declared:
                    problems.append((("rules", i, field), unknown % {"level": level}))
            after = rule.only_after_downgrade_from
            if after is not None and after not in declared:
                problems.append(
                    (("rules", i, "only_after_downgrade_from"), unknown % {"level": after})
                )
            if {rule.from_level, rule.to_level} <= declared and self.levels.index(
                rule.from_level
            ) >= self.levels.index(rule.to_level):
                problems.append(
                    (("rules", i, "to"), gettext("A downgrade goes to a less restrictive level"))
                )
        # A problem with a key is at (…, key, "[key]"), where pydantic puts its own.
        for key, value in self.infection_escalates.items():
            if key not in declared:
                problems.append((("infection_escalates", key, "[key]"), unknown % {"level": key}))
            if value not in declared:
                problems.append((("infection_escalates", key), unknown % {"level": value}))
        for key in self.obligations:
            if key not in declared:
                problems.append((("obligations", key, "[key]"), unknown % {"level": key}))
        _refuse("Zones", problems)
        return self


class Testing(Strict):
    model_config = ConfigDict(title=_("Testing"))

    pool_sizes: tuple[int, ...] = Field(
        min_length=1,
        title=_("Pool sizes"),
        description=_("Tubes may pool this many people, separated by commas"),
    )
    default_pool_size: int = Field(ge=1, title=_("Default pool size"))
    round_deadline_hours: int = Field(
        ge=1,
        title=_("Round deadline (hours)"),
        description=_("A round ends this long after it starts"),
    )
    mass_testing: Literal["by_area", "only_when_source_unclear"] = Field(title=_("Mass testing"))
    max_rounds_per_day: int | None = Field(
        default=None,
        ge=1,
        title=_("Rounds a day for one area"),
        description=_("Empty: no limit"),
    )
    turnaround_hours: dict[str, int] = Field(
        title=_("Result within (hours)"),
        description=_("How soon a result is due, by kind of test"),
        json_schema_extra={"x-key-title": _("Kind of test")},
    )

    @field_validator("pool_sizes")
    @classmethod
    def _positive_pools(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(n < 1 for n in value):
            raise PydanticCustomError("policy", gettext("A pool holds one person or more"))
        return value

    @field_validator("default_pool_size")
    @classmethod
    def _default_is_allowed(cls, value: int, info: ValidationInfo) -> int:
        sizes = info.data.get("pool_sizes")
        if sizes is not None and value not in sizes:
            raise PydanticCustomError(
                "policy",
                gettext("Must be one of the pool sizes (%(sizes)s)")
                % {"sizes": ", ".join(map(str, sizes))},
            )
        return value


class Contacts(Strict):
    model_config = ConfigDict(title=_("Contact tracing"))

    lookback_days_before_onset: int = Field(
        ge=0,
        title=_("Look back (days before onset)"),
        description=_("Close contacts are looked for from this many days before onset or sampling"),
    )
    secondary_contacts: bool = Field(title=_("Secondary contacts identified"))


class RiskPostGroup(Strict):
    model_config = ConfigDict(title=_("Risk-post group"))

    tests_per_week: int = Field(ge=0, title=_("Tests a week"))


class HealthCodeRule(Strict):
    model_config = ConfigDict(title=_("Health-code rule"))

    colour: Literal["red", "yellow", "green"] = Field(title=_("Colour"))
    when: Condition = Field(title=_("When"))


class QuarantineRules(Strict):
    """Room allocation, daily checks and release (defaults: what both shipped profiles say)."""

    model_config = ConfigDict(title=_("Quarantine sites and release"))

    one_person_per_room: bool = Field(default=True, title=_("One person per room"))
    household_together: bool = Field(
        default=True,
        title=_("Household together"),
        description=_("Household members in one batch share a room if its beds allow"),
    )
    child_with_guardian_under_age: int = Field(
        default=14,
        ge=0,
        title=_("Child placed with a guardian under age"),
        description=_("A younger child is placed with an adult of the household"),
    )
    fever_celsius: float = Field(
        default=37.3,
        ge=35,
        le=42,
        title=_("Fever threshold (°C)"),
        description=_("A temperature at or above this is abnormal"),
    )
    release_needs_negative_tests: bool = Field(
        default=True,
        title=_("Release needs negative tests"),
        description=_("Every test taken negative, the last one taken"),
    )


# The least `late_after_hours` may be: an event recorded sooner after it happened is never
# late, whatever the profile says (so a page need not read the policy to know).
LATE_AFTER_HOURS_MIN = 1


class Records(Strict):
    """The two times of a fact (docs/architecture.md, "Two times on every fact")."""

    model_config = ConfigDict(title=_("Times of records"))

    future_tolerance_minutes: int = Field(
        default=5,
        ge=0,
        le=60,
        title=_("Clock tolerance (minutes)"),
        description=_(
            "A time something happened may lie this far ahead of the server's clock"
            " (a phone's clock running fast); further ahead it is refused"
        ),
    )
    late_after_hours: int = Field(
        default=LATE_AFTER_HOURS_MIN,
        ge=LATE_AFTER_HOURS_MIN,
        title=_("Late entry after (hours)"),
        description=_(
            "A fact recorded this long after it happened is shown as late in the history,"
            " with who recorded it"
        ),
    )

    @property
    def tolerance(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.future_tolerance_minutes)

    @property
    def late_after(self) -> dt.timedelta:
        return dt.timedelta(hours=self.late_after_hours)


class Reporting(Strict):
    """The command centre's daily situation report (command/report.py, command/issues.py)."""

    model_config = ConfigDict(title=_("Daily report"))

    report_hour: int = Field(
        default=8,
        ge=0,
        le=23,
        title=_("Report time (hour)"),
        description=_(
            "The daily report counts everything as of this hour of its day (8: as of 8:00)"
        ),
    )


class PassRules(Strict):
    """When a supply courier or vehicle may carry a signed pass (supplies/passes)."""

    model_config = ConfigDict(title=_("Supply passes"))

    negative_test_within_hours: int = Field(
        ge=1,
        le=24 * 14,
        title=_("Negative test within (hours)"),
        description=_(
            "A courier's last test must be negative and sampled this recently; the pass"
            " expires when the test grows older"
        ),
    )
    no_active_measure: bool = Field(
        title=_("No quarantine measure under way"),
        description=_("A courier under a quarantine or health-monitoring measure gets no pass"),
    )
    health_code_green: bool = Field(
        title=_("Health code green"), description=_("A courier's code must be green")
    )
    validity_hours: int = Field(
        ge=1, le=24 * 31, title=_("Validity (hours)"), description=_("How long a pass is valid")
    )
    key_grace_hours: int = Field(
        ge=0,
        le=24 * 31,
        title=_("Key rotation grace (hours)"),
        description=_(
            "Passes signed by a retired key still verify this long after its rotation;"
            " then they fail"
        ),
    )
    key_list_refresh_hours: int = Field(
        ge=1,
        le=24 * 7,
        title=_("Key list refresh (hours)"),
        description=_("How often a checkpoint phone fetches the published key list again"),
    )


class PriceBand(Strict):
    """Traffic-light thresholds of one group of necessities: the N-day price change (%)."""

    model_config = ConfigDict(title=_("Price thresholds"))

    yellow_above_pct: float = Field(
        ge=0,
        le=1000,
        title=_("Yellow above (%)"),
        description=_("Yellow when the price rose more than this over the period"),
    )
    red_above_pct: float = Field(
        ge=0,
        le=1000,
        title=_("Red above (%)"),
        description=_("Red when the price rose more than this over the period"),
    )

    @model_validator(mode="after")
    def _red_above_yellow(self) -> "PriceBand":
        if self.red_above_pct < self.yellow_above_pct:
            _refuse(
                "PriceBand",
                [(("red_above_pct",), gettext("The red threshold cannot be below the yellow"))],
            )
        return self


class PriceRules(Strict):
    """The lights of daily price and stock monitoring (supplies/prices)."""

    model_config = ConfigDict(title=_("Price and stock lights"))

    change_days: int = Field(
        ge=2,
        le=60,
        title=_("Price change period (days)"),
        description=_("The price of a day is compared with the price this many days before"),
    )
    report_max_age_days: int = Field(
        ge=0,
        le=14,
        title=_("A report stands for (days)"),
        description=_(
            "A day without a report takes the store's last report this many days old at most"
        ),
    )
    bands: dict[str, PriceBand] = Field(
        title=_("Thresholds by group"),
        description=_('By the catalogue\'s group of the item; "other" for every other group'),
        json_schema_extra={"x-key-title": _("Group")},
    )
    stock_yellow_below_days: float = Field(
        ge=0,
        le=365,
        title=_("Yellow below (days of stock)"),
        description=_("Yellow when the stock lasts fewer days than this"),
    )
    stock_red_below_days: float = Field(
        ge=0,
        le=365,
        title=_("Red below (days of stock)"),
        description=_("Red when the stock lasts fewer days than this"),
    )

    @model_validator(mode="after")
    def _consistent(self) -> "PriceRules":
        problems: list[tuple[Loc, str]] = []
        if "other" not in self.bands:
            problems.append((("bands",), gettext('Give the thresholds of the group "other"')))
        if self.stock_red_below_days > self.stock_yellow_below_days:
            problems.append(
                (
                    ("stock_red_below_days",),
                    gettext("The red stock threshold cannot be above the yellow"),
                )
            )
        _refuse("PriceRules", problems)
        return self

    def band(self, group: str) -> PriceBand:
        return self.bands.get(group) or self.bands["other"]


class ZoneDeadline(Strict):
    """The delivery deadlines of orders into a compound under a zone of one level."""

    model_config = ConfigDict(title=_("Deadline in a zone of this level"))

    deliver_within_minutes: int = Field(
        ge=1,
        le=60 * 24 * 14,
        title=_("Delivered within (minutes)"),
        description=_("An order not delivered to the door this long after it was placed is late"),
    )
    key_person_deliver_within_minutes: int = Field(
        ge=1,
        le=60 * 24 * 14,
        title=_("Key person: delivered within (minutes)"),
        description=_("The same for key persons (served first)"),
    )


class OrderRules(Strict):
    """When an order into a sealed compound is late (supplies/orders)."""

    model_config = ConfigDict(title=_("Supply orders"))

    deliver_within_minutes: int = Field(
        ge=1,
        le=60 * 24 * 14,
        title=_("Delivered within (minutes)"),
        description=_("An order not delivered to the door this long after it was placed is late"),
    )
    key_person_deliver_within_minutes: int = Field(
        ge=1,
        le=60 * 24 * 14,
        title=_("Key person: delivered within (minutes)"),
        description=_(
            "The same for an elderly person living alone, a disabled or pregnant person, an"
            " infant's household and the other key persons (served first)"
        ),
    )
    by_zone_level: dict[str, ZoneDeadline] = Field(
        default_factory=dict,
        title=_("Deadlines by zone level"),
        description=_(
            "For a compound under a risk zone in force (the most restrictive over it or the"
            " home) of a level listed here, these deadlines instead of the ones above"
        ),
        json_schema_extra={"x-key-title": _("Zone level")},
    )


class Supplies(Strict):
    model_config = ConfigDict(title=_("Living supplies"))

    passes: PassRules = Field(title=_("Supply passes"))
    prices: PriceRules | None = Field(
        default=None,
        title=_("Price and stock lights"),
        description=_("Thresholds of the daily price monitoring; none: no lights"),
    )
    orders: OrderRules | None = Field(None, title=_("Supply orders"))


# Social assistance (assistance/): 低保, 特困 and 临时救助 (seed 004, 许昌民政). The figures are
# examples of one city's practice, to be set by each city's civil-affairs bureau.
Programme = Literal["dibao", "tekun", "temporary"]
PROGRAMMES: tuple[Programme, ...] = ("dibao", "tekun", "temporary")
DocumentKind = Literal[
    "authorisation",
    "income_proof",
    "property_statement",
    "medical_record",
    "residence_permit",
    "no_income_statement",
    "work_record",
]
# The documents' names (the same words as `assistance.models.DocumentKind`).
DOCUMENT_KIND_WORDS = {
    "authorisation": _("Authorisation to check the family's finances"),
    "income_proof": _("Proof of income"),
    "property_statement": _("Statement of savings and property"),
    "medical_record": _("Proof of serious illness or disability"),
    "residence_permit": _("Residence permit"),
    "no_income_statement": _("Statement of months without income"),
    "work_record": _("Proof of work (where the person worked)"),
}
DOCUMENT_KINDS: tuple[DocumentKind, ...] = (
    "authorisation",
    "income_proof",
    "property_statement",
    "medical_record",
    "residence_permit",
    "no_income_statement",
    "work_record",
)


class ProgrammeRules(Strict):
    """One programme's thresholds, amounts, deadlines and documents."""

    model_config = ConfigDict(title=_("Programme"))

    monthly_line_yuan: float = Field(
        default=0,
        ge=0,
        le=100_000,
        title=_("Income line (yuan a person a month)"),
        description=_(
            "Eligible when the household's monthly income per person is at or below it"
            " (0: income is not tested)"
        ),
    )
    assets_per_person_yuan: float = Field(
        default=0,
        ge=0,
        le=10_000_000,
        title=_("Savings and property limit (yuan a person)"),
        description=_(
            "Eligible when the household's assets per person are at or below it (0: not tested)"
        ),
    )
    monthly_amount_yuan: float = Field(
        default=0,
        ge=0,
        le=100_000,
        title=_("Fixed amount (yuan a person a month)"),
        description=_(
            "Paid a month to each person covered; 0: the gap between the income line and the"
            " income per person"
        ),
    )
    one_off_amount_yuan: float = Field(
        default=0,
        ge=0,
        le=1_000_000,
        title=_("One-off amount (yuan)"),
        description=_("Paid once when approved (temporary assistance); 0: none"),
    )
    decide_within_days: int = Field(
        ge=0,
        le=120,
        title=_("Decide within (days)"),
        description=_("From the application; 0: the same day"),
    )
    emergency_decide_within_days: int = Field(
        ge=0,
        le=120,
        title=_("Emergency procedure: decide within (days)"),
        description=_("From the application, while the emergency procedure is on; 0: the same day"),
    )
    documents: tuple[DocumentKind, ...] = Field(
        default=(),
        title=_("Documents required"),
        description=_("What the applicant uploads (what the registry knows is never asked)"),
    )
    emergency_documents: tuple[DocumentKind, ...] = Field(
        default=(),
        title=_("Emergency procedure: documents required"),
        description=_("Fewer documents while the emergency procedure is on"),
    )

    @model_validator(mode="after")
    def _fewer_in_emergency(self) -> "ProgrammeRules":
        problems: list[tuple[Loc, str]] = []
        if not set(self.emergency_documents) <= set(self.documents):
            problems.append(
                (
                    ("emergency_documents",),
                    gettext("The emergency procedure asks only documents the standard one asks"),
                )
            )
        if self.emergency_decide_within_days > self.decide_within_days:
            problems.append(
                (
                    ("emergency_decide_within_days",),
                    gettext("The emergency procedure's deadline cannot be longer"),
                )
            )
        _refuse("ProgrammeRules", problems)
        return self


class Assistance(Strict):
    """Social assistance: who qualifies, for how much, and how fast it is decided."""

    model_config = ConfigDict(title=_("Social assistance"))

    emergency_procedure: bool = Field(
        default=False,
        title=_("Emergency simplified procedure"),
        description=_("Fewer documents and shorter deadlines for new applications"),
    )
    street_confirms: bool = Field(
        default=True,
        title=_("The street reviews and decides"),
        description=_("Review and decision delegated to the street; off: the district decides"),
    )
    residence_permit_may_apply: bool = Field(
        default=True,
        title=_("Residence-permit holders may apply where they live"),
        description=_("A floating resident applies with a residence permit"),
    )
    low_income_multiple: float = Field(
        default=1.5,
        ge=1,
        le=5,
        title=_("Low-income household (times the 低保 line)"),
        description=_(
            "A seriously ill or disabled member of a household at or below this multiple of the"
            " 低保 line is covered alone (单人保)"
        ),
    )
    months_without_income: int = Field(
        default=3,
        ge=1,
        le=24,
        title=_("Temporary assistance: months without income"),
        description=_(
            "A worker who could not return to work, without income at least this long and not"
            " covered by unemployment insurance, receives the one-off payment"
        ),
    )
    dibao: ProgrammeRules = Field(
        default=ProgrammeRules.model_validate(
            {
                "monthly_line_yuan": 650,
                "assets_per_person_yuan": 19500,
                "decide_within_days": 30,
                "emergency_decide_within_days": 10,
                "documents": ("authorisation", "income_proof", "property_statement"),
                "emergency_documents": ("authorisation",),
            }
        ),
        title=_("Minimum living allowance (低保)"),
    )
    tekun: ProgrammeRules = Field(
        default=ProgrammeRules.model_validate(
            {
                "monthly_line_yuan": 650,
                "assets_per_person_yuan": 19500,
                "monthly_amount_yuan": 845,
                "decide_within_days": 30,
                "emergency_decide_within_days": 10,
                "documents": (
                    "authorisation",
                    "income_proof",
                    "property_statement",
                    "medical_record",
                ),
                "emergency_documents": ("authorisation",),
            }
        ),
        title=_("Support of people in extreme poverty (特困)"),
    )
    temporary: ProgrammeRules = Field(
        default=ProgrammeRules.model_validate(
            {
                "one_off_amount_yuan": 1000,
                "decide_within_days": 15,
                "emergency_decide_within_days": 0,
                "documents": ("authorisation", "no_income_statement", "work_record"),
                "emergency_documents": ("no_income_statement",),
            }
        ),
        title=_("Temporary assistance (临时救助)"),
    )

    def programme(self, code: str) -> ProgrammeRules:
        rules: ProgrammeRules = getattr(self, code)
        return rules


# Citizen requests (hotline/, issue 18): the categories a request is classified in (fixed codes),
# the kinds of department they are dispatched to, and each category's SLA.
HotlineCategory = Literal[
    "medical",
    "medicine",
    "supplies",
    "prices",
    "passage",
    "work",
    "repair",
    "mental",
    "policy",
    "control",
    "testing",
    "assistance",
    "other",
]
HOTLINE_CATEGORIES: tuple[HotlineCategory, ...] = (
    "medical",
    "medicine",
    "supplies",
    "prices",
    "passage",
    "work",
    "repair",
    "mental",
    "policy",
    "control",
    "testing",
    "assistance",
    "other",
)
HOTLINE_CATEGORY_WORDS = {
    "medical": _("Medical care"),
    "medicine": _("Buying and delivering medicine"),
    "supplies": _("Living supplies"),
    "prices": _("Price complaint"),
    "passage": _("Passage and supply"),
    "work": _("Resuming work and production"),
    "repair": _("Repairs"),
    "mental": _("Psychological support"),
    "policy": _("Policy question"),
    "control": _("Control measures"),
    "testing": _("Nucleic-acid testing"),
    "assistance": _("Hardship assistance"),
    "other": _("Other"),
}
DepartmentKind = Literal[
    "community",
    "street_office",
    "health",
    "market",
    "transport",
    "industry",
    "utilities",
    "counselling",
    "epidemic_office",
    "civil_affairs",
    "hotline_centre",
]


class HotlineRoute(Strict):
    """One row of the hotline's dispatch table: requests of these categories go to the nearest
    department of this kind (nearest to the request's place), to be answered within the SLA."""

    model_config = ConfigDict(title=_("Dispatch rule"))

    categories: tuple[HotlineCategory, ...] = Field(
        min_length=1,
        title=_("Categories"),
        description=_("The categories of request the rule dispatches, separated by commas"),
    )
    department: DepartmentKind = Field(
        title=_("Department"),
        description=_("The kind of department the request goes to, nearest to its place"),
    )
    sla_minutes: int = Field(
        ge=1,
        le=30 * 24 * 60,
        title=_("Solve within (minutes)"),
        description=_("Minutes from the call until the department must have completed it"),
    )


# 株洲 (seed 002): every request dispatched at once; medical needs and control complaints within
# hours, supplies the same day, repairs and questions within days.
DEFAULT_HOTLINE_ROUTES: tuple[HotlineRoute, ...] = (
    HotlineRoute(categories=("medical", "medicine"), department="health", sla_minutes=2 * 60),
    HotlineRoute(categories=("mental",), department="counselling", sla_minutes=12 * 60),
    HotlineRoute(
        categories=("control", "testing"), department="epidemic_office", sla_minutes=12 * 60
    ),
    HotlineRoute(categories=("supplies",), department="community", sla_minutes=12 * 60),
    HotlineRoute(categories=("prices",), department="market", sla_minutes=48 * 60),
    HotlineRoute(categories=("passage",), department="transport", sla_minutes=24 * 60),
    HotlineRoute(categories=("work",), department="industry", sla_minutes=72 * 60),
    HotlineRoute(categories=("repair",), department="utilities", sla_minutes=24 * 60),
    HotlineRoute(categories=("assistance",), department="civil_affairs", sla_minutes=72 * 60),
    HotlineRoute(categories=("policy", "other"), department="street_office", sla_minutes=72 * 60),
)


class HotlineRules(Strict):
    """Dispatch, SLA, escalation, duplicates and the public form's limits of citizen requests."""

    model_config = ConfigDict(title=_("Citizen requests (12345)"))

    routes: tuple[HotlineRoute, ...] = Field(
        default=DEFAULT_HOTLINE_ROUTES,
        title=_("Dispatch rules"),
        description=_(
            "The first rule naming a request's category dispatches it; every category must be"
            " covered"
        ),
    )
    escalate_again_hours: int = Field(
        default=12,
        ge=1,
        le=30 * 24,
        title=_("Escalate again after (hours)"),
        description=_(
            "A request past its deadline is escalated to the command centre at once, and"
            " again each time this many more hours pass unsolved"
        ),
    )
    duplicate_window_hours: int = Field(
        default=72,
        ge=1,
        le=30 * 24,
        title=_("Duplicates within (hours)"),
        description=_(
            "An open request from the same person, or at the same place with similar text,"
            " raised within this many hours is offered for merging"
        ),
    )
    duplicate_similarity: float = Field(
        default=0.5,
        gt=0,
        le=1,
        title=_("Similar text from"),
        description=_("How alike two texts must be (0 to 1) to be called the same problem"),
    )
    public_per_address_per_hour: int = Field(
        default=5,
        ge=1,
        le=10_000,
        title=_("Public form: per network address an hour"),
        description=_(
            "More requests than this from one address in an hour are queued for an operator,"
            " not dispatched (never dropped)"
        ),
    )
    public_per_phone_per_day: int = Field(
        default=3,
        ge=1,
        le=10_000,
        title=_("Public form: per phone a day"),
        description=_("The same per phone number, over a day"),
    )

    @model_validator(mode="after")
    def _every_category(self) -> "HotlineRules":
        covered = {c for r in self.routes for c in r.categories}
        missing = [c for c in HOTLINE_CATEGORIES if c not in covered]
        if missing:
            shown = "; ".join(gettext(HOTLINE_CATEGORY_WORDS[c]) for c in missing)
            _refuse(
                "HotlineRules",
                [
                    (
                        ("routes",),
                        gettext("No rule dispatches: %(categories)s") % {"categories": shown},
                    )
                ],
            )
        return self

    def route_for(self, category: str) -> tuple[int, HotlineRoute]:
        """The rule (its index from 0, and the rule) that dispatches this category."""
        for i, route in enumerate(self.routes):
            if category in route.categories:
                return i, route
        raise KeyError(category)  # a validated table covers every category


# Medical care (care/): what a request asks for, the person's control state, where it goes.
RequestType = Literal[
    "emergency", "fever", "dialysis", "delivery", "chemo", "medicine", "mental_health", "other"
]
REQUEST_TYPES: tuple[RequestType, ...] = (
    "emergency",
    "fever",
    "dialysis",
    "delivery",
    "chemo",
    "medicine",
    "mental_health",
    "other",
)
# Most restrictive first: a person's state is the first that applies (care/requests/state.py).
ControlState = Literal[
    "case", "sealed_zone", "controlled_zone", "quarantine", "red_code", "yellow_code", "none"
]
CONTROL_STATES: tuple[ControlState, ...] = (
    "case",
    "sealed_zone",
    "controlled_zone",
    "quarantine",
    "red_code",
    "yellow_code",
    "none",
)
FacilityKind = Literal[
    "designated",
    "general",
    "fever_clinic",
    "dialysis",
    "maternity",
    "pharmacy",
    "internet",
    "dispatch_120",
]
REQUEST_TYPE_WORDS = {
    "emergency": _("Emergency"),
    "fever": _("Fever or respiratory symptoms"),
    "dialysis": _("Dialysis session"),
    "delivery": _("Pregnancy / delivery"),
    "chemo": _("Chemo / radiotherapy"),
    "medicine": _("Medicine refill"),
    "mental_health": _("Mental health"),
    "other": _("Other"),
}
CONTROL_STATE_WORDS = {
    "case": _("Case (confirmed or suspected)"),
    "sealed_zone": _("In a sealed zone"),
    "controlled_zone": _("In a controlled zone"),
    "quarantine": _("Under a quarantine measure"),
    "red_code": _("Red health code"),
    "yellow_code": _("Yellow health code"),
    "none": _("Not under control"),
}


class CareRoute(Strict):
    """One row of the routing table: these request types from people in these states go there."""

    model_config = ConfigDict(title=_("Routing rule"))

    request_types: tuple[RequestType, ...] = Field(
        min_length=1,
        title=_("Request types"),
        description=_("The kinds of request the rule routes, separated by commas"),
    )
    control_states: tuple[ControlState, ...] = Field(
        min_length=1,
        title=_("Control states"),
        description=_("The person's control state, separated by commas"),
    )
    destination: FacilityKind = Field(
        title=_("Destination"), description=_("The kind of facility the request goes to")
    )
    facility: str = Field(
        default="",
        max_length=32,
        title=_("Facility code"),
        description=_(
            "A specific facility; empty: the nearest one of the kind in service, "
            "nearest to the person's home"
        ),
    )
    via_120: bool = Field(default=False, title=_("By 120"))
    closed_loop: bool = Field(
        default=False,
        title=_("Closed-loop vehicle"),
        description=_("The person travels in a closed-loop vehicle, never by public transport"),
    )
    sla_minutes: int = Field(
        ge=1,
        le=7 * 24 * 60,
        title=_("Answer within (minutes)"),
        description=_("How soon the facility must take the request"),
    )


_UNDER_CONTROL: tuple[ControlState, ...] = CONTROL_STATES[:-1]
# 许昌, May 2022 (seed 004): patients from sealed or controlled zones, under quarantine or with a
# red or yellow code go to the designated hospital campus; emergencies otherwise by 120 to the
# nearest suitable hospital; dialysis at the designated centre; routine and chronic care through
# the internet hospital; medicine from pharmacies, delivered by the community.
XUCHANG_CARE_ROUTES: tuple[CareRoute, ...] = (
    CareRoute(
        request_types=("emergency", "fever", "delivery", "chemo"),
        control_states=_UNDER_CONTROL,
        destination="designated",
        via_120=True,
        closed_loop=True,
        sla_minutes=30,
    ),
    CareRoute(
        request_types=("emergency",),
        control_states=("none",),
        destination="general",
        via_120=True,
        sla_minutes=30,
    ),
    CareRoute(
        request_types=("fever",),
        control_states=("none",),
        destination="fever_clinic",
        sla_minutes=120,
    ),
    CareRoute(
        request_types=("delivery",),
        control_states=("none",),
        destination="maternity",
        sla_minutes=60,
    ),
    CareRoute(
        request_types=("chemo",),
        control_states=("none",),
        destination="general",
        sla_minutes=24 * 60,
    ),
    CareRoute(
        request_types=("dialysis",),
        control_states=_UNDER_CONTROL,
        destination="dialysis",
        closed_loop=True,
        sla_minutes=12 * 60,
    ),
    CareRoute(
        request_types=("dialysis",),
        control_states=("none",),
        destination="dialysis",
        sla_minutes=12 * 60,
    ),
    CareRoute(
        request_types=("mental_health", "other"),
        control_states=CONTROL_STATES,
        destination="internet",
        sla_minutes=24 * 60,
    ),
    CareRoute(
        request_types=("medicine",),
        control_states=CONTROL_STATES,
        destination="pharmacy",
        sla_minutes=24 * 60,
    ),
)


class CareClock(Strict):
    """How soon a request of one type must be served (its SLA clock): the board calls it late,
    and a facility that has not confirmed admission by then is recorded as an incident."""

    model_config = ConfigDict(title=_("SLA clock"))

    request_type: RequestType = Field(title=_("Request type"))
    minutes: int = Field(
        default=0,
        ge=0,
        le=7 * 24 * 60,
        title=_("Within (minutes)"),
        description=_("Minutes from the moment the need arose; 0 with Same day"),
    )
    same_day: bool = Field(
        default=False,
        title=_("Same day"),
        description=_("Due by the end of the day the need arose (local time)"),
    )

    @model_validator(mode="after")
    def _minutes_or_same_day(self) -> "CareClock":
        if not self.same_day and not self.minutes:
            _refuse(
                "CareClock",
                [(("minutes",), gettext("Give the minutes, or tick Same day"))],
            )
        return self


# Emergencies within minutes, dialysis the same day, medicine within a day (issue 17, item 8).
DEFAULT_CARE_CLOCKS: tuple[CareClock, ...] = (
    CareClock(request_type="emergency", minutes=30),
    CareClock(request_type="fever", minutes=120),
    CareClock(request_type="dialysis", same_day=True),
    CareClock(request_type="delivery", minutes=60),
    CareClock(request_type="chemo", same_day=True),
    CareClock(request_type="medicine", minutes=24 * 60),
    CareClock(request_type="mental_health", minutes=24 * 60),
    CareClock(request_type="other", minutes=24 * 60),
)


class CareRouting(Strict):
    """The routing table of medical requests: the first rule that matches routes a request."""

    model_config = ConfigDict(title=_("Medical care routing"))

    routes: tuple[CareRoute, ...] = Field(
        default=XUCHANG_CARE_ROUTES,
        title=_("Routing rules"),
        description=_(
            "The first rule naming the request's type and the person's control state routes it;"
            " every type and state must be covered"
        ),
    )
    # Health plans and medicine (care/plans, care/medicine); 许昌's figures by default (seed 004).
    medicine_runout_warning_days: int = Field(
        default=3,
        ge=0,
        le=90,
        title=_("Medicine runs out: warn within (days)"),
        description=_(
            "A chronic patient whose medicine runs out within this many days is shown to the"
            " community (0: only on the day it runs out)"
        ),
    )
    plans_due_within_days: int = Field(
        default=7,
        ge=1,
        le=60,
        title=_("Health plans: needs due within (days)"),
        description=_("The community's list of standing needs falling due looks this far ahead"),
    )

    clocks: tuple[CareClock, ...] = Field(
        default=DEFAULT_CARE_CLOCKS,
        title=_("SLA clocks"),
        description=_("How soon each type of request must be served; one clock per type"),
    )

    @model_validator(mode="after")
    def _every_clock(self) -> "CareRouting":
        have = [c.request_type for c in self.clocks]
        missing = [t for t in REQUEST_TYPES if t not in have]
        twice = sorted({t for t in have if have.count(t) > 1})
        problems: list[tuple[Loc, str]] = []
        if missing:
            shown = "; ".join(gettext(REQUEST_TYPE_WORDS[t]) for t in missing)
            problems.append(
                (("clocks",), gettext("No SLA clock for: %(types)s") % {"types": shown})
            )
        if twice:
            shown = "; ".join(gettext(REQUEST_TYPE_WORDS[t]) for t in twice)
            problems.append(
                (("clocks",), gettext("Two SLA clocks for: %(types)s") % {"types": shown})
            )
        _refuse("CareRouting", problems)
        return self

    def clock_for(self, request_type: str) -> CareClock:
        for clock in self.clocks:
            if clock.request_type == request_type:
                return clock
        raise KeyError(request_type)  # a validated table has one clock per type

    @model_validator(mode="after")
    def _no_gap(self) -> "CareRouting":
        covered = {(t, c) for r in self.routes for t in r.request_types for c in r.control_states}
        gaps = [(t, c) for t in REQUEST_TYPES for c in CONTROL_STATES if (t, c) not in covered]
        if gaps:
            shown = "; ".join(
                f"{gettext(REQUEST_TYPE_WORDS[t])} × {gettext(CONTROL_STATE_WORDS[c])}"
                for t, c in gaps
            )
            _refuse(
                "CareRouting",
                [(("routes",), gettext("No rule routes: %(gaps)s") % {"gaps": shown})],
            )
        return self

    def route_for(self, request_type: str, control_state: str) -> tuple[int, CareRoute]:
        """The rule (its index from 0, and the rule) that routes this type and state."""
        for i, route in enumerate(self.routes):
            if request_type in route.request_types and control_state in route.control_states:
                return i, route
        raise KeyError((request_type, control_state))  # a validated table has no gap


class Rules(Strict):
    model_config = ConfigDict(title=_("Rules"))

    categories: dict[Category, Measure] = Field(
        title=_("Measures by category"), description=_("What each category of person must do")
    )
    zones: Zones = Field(title=_("Risk zones"))
    testing: Testing = Field(title=_("Testing"))
    contacts: Contacts = Field(title=_("Contact tracing"))
    risk_posts: dict[str, RiskPostGroup] = Field(
        title=_("High-risk posts"),
        description=_("Testing of people working in high-risk posts, by group"),
        json_schema_extra={"x-key-title": _("Group")},
    )
    health_code: tuple[HealthCodeRule, ...] = Field(
        title=_("Health-code rules"),
        description=_("The first rule that matches a person's facts gives the colour"),
    )
    quarantine: QuarantineRules = Field(
        default=QuarantineRules(), title=_("Quarantine sites and release")
    )
    records: Records = Field(default=Records(), title=_("Times of records"))
    reporting: Reporting = Field(default=Reporting(), title=_("Daily report"))
    hotline: HotlineRules = Field(default=HotlineRules(), title=_("Citizen requests (12345)"))
    supplies: Supplies | None = Field(
        default=None,
        title=_("Living supplies"),
        description=_("Conditions of supply passes; none: no passes are issued"),
    )
    assistance: Assistance = Field(default=Assistance(), title=_("Social assistance"))
    care: CareRouting = Field(
        default=CareRouting(routes=XUCHANG_CARE_ROUTES), title=_("Medical care routing")
    )

    @model_validator(mode="after")
    def _every_category(self) -> "Rules":
        missing = gettext("Say what this category must do (untick Identified if nothing)")
        _refuse(
            "Rules", [(("categories", c), missing) for c in CATEGORIES if c not in self.categories]
        )
        return self

    @model_validator(mode="after")
    def _order_zone_levels(self) -> "Rules":
        orders = self.supplies.orders if self.supplies else None
        if orders is None:
            return self
        unknown = gettext("Not a zone level of this profile (risk zones: levels)")
        _refuse(
            "Rules",
            [
                (("supplies", "orders", "by_zone_level", level), unknown)
                for level in orders.by_zone_level
                if level not in self.zones.levels
            ],
        )
        return self

    def measure(self, category: Category) -> Measure:
        return self.categories[category]


def json_schema() -> dict[str, Any]:
    """The rules' JSON schema (by the names stored: `from`, `to`), with every `$ref` resolved
    in place: the editor walks it and the API documents its bodies with it."""
    schema = Rules.model_json_schema(by_alias=True)
    defs = schema.pop("$defs", {})
    schema.pop("description", None)

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                # A class's docstring is for developers: the field's own words stand.
                found = {k: v for k, v in defs[node["$ref"].rsplit("/", 1)[-1]].items()}
                found.pop("description", None)
                node = {**found, **{k: v for k, v in node.items() if k != "$ref"}}
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    return inline(schema)
