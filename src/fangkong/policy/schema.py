"""The shape of a policy profile's rules. Business code reads numbers only through these types."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

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


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Phase(Strict):
    kind: PhaseKind
    days: int = Field(ge=1)
    test_days: tuple[int, ...] = ()


class Measure(Strict):
    """What a category of person must do: phases counted from `counted_from`."""

    identified: bool = True
    counted_from: Literal["last_exposure", "departure", "arrival", "leaving_closed_loop"]
    phases: tuple[Phase, ...] = ()
    lapse_after_days: int | None = None  # more days than this since counted_from: no quarantine
    lapse_tests: int | None = None  # … only this many tests
    positive_ct_below: float | None = None

    @property
    def total_days(self) -> int:
        return sum(p.days for p in self.phases)


class ZoneRule(Strict):
    from_level: str = Field(alias="from")
    to_level: str = Field(alias="to")
    clean_days: int = Field(ge=1)
    negative_round_on_day: int | None = None
    negative_round_within_last_days: int | None = None
    only_after_downgrade_from: str | None = None


class Obligation(Strict):
    """What living in a zone of one level obliges people to, in both languages."""

    zh: str
    en: str


class Zones(Strict):
    scheme: Literal["high_medium_low", "high_low", "sealed_controlled_precaution"]
    levels: tuple[str, ...]  # most restrictive first
    drawn_by: tuple[str, ...]
    rules: tuple[ZoneRule, ...]
    infection_escalates: dict[str, str] = {}
    obligations: dict[str, Obligation] = {}  # per level; older rows without it still validate

    @model_validator(mode="after")
    def _names_declared_levels(self) -> "Zones":
        named = set(self.obligations) | set(self.infection_escalates)
        named |= set(self.infection_escalates.values())
        unknown = sorted(named - set(self.levels))
        if unknown:
            raise ValueError(f"zones name undeclared levels: {', '.join(unknown)}")
        return self


class Testing(Strict):
    pool_sizes: tuple[int, ...]
    default_pool_size: int
    round_deadline_hours: int
    mass_testing: Literal["by_area", "only_when_source_unclear"]
    max_rounds_per_day: int | None = None
    turnaround_hours: dict[str, int]


class Contacts(Strict):
    lookback_days_before_onset: int
    secondary_contacts: bool


class RiskPostGroup(Strict):
    tests_per_week: int


class HealthCodeRule(Strict):
    colour: Literal["red", "yellow", "green"]
    when: str


class QuarantineRules(Strict):
    """Room allocation, daily checks and release (defaults: what both shipped profiles say)."""

    one_person_per_room: bool = True
    household_together: bool = True  # household members in one batch share a room if beds allow
    child_with_guardian_under_age: int = (
        14  # a younger child is placed with an adult of the household
    )
    fever_celsius: float = 37.3  # a temperature at or above this is abnormal
    release_needs_negative_tests: bool = True  # every test taken negative, the last one taken


class Rules(Strict):
    categories: dict[Category, Measure]
    zones: Zones
    testing: Testing
    contacts: Contacts
    risk_posts: dict[str, RiskPostGroup]
    health_code: tuple[HealthCodeRule, ...]
    quarantine: QuarantineRules = QuarantineRules()

    def measure(self, category: Category) -> Measure:
        return self.categories[category]
