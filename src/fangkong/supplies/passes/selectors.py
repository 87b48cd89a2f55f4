"""Reads of the passes: whether a holder's conditions hold (in bulk: the revocation listener
checks many people at once), the keys a verifier trusts, and a pass by its serial.

The conditions are the active profile's `supplies.passes` section: a negative test sampled
within N hours (the latest resulted test must be negative), no quarantine measure under way,
a green health code; and the holder, and its enterprise, granted on the whitelist.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from fangkong.core.db import in_ids
from fangkong.healthcode.models import CodeStatus, Colour
from fangkong.lab.models import TubeMember
from fangkong.policy.accessor import Policy, current
from fangkong.policy.schema import PassRules
from fangkong.quarantine.models import Measure, MeasureStatus
from fangkong.supplies.models import (
    Courier,
    PassStatus,
    SigningKey,
    SupplyPass,
    Vehicle,
    WhitelistStatus,
)
from fangkong.supplies.passes.hcert import TrustedKey


class Failure:
    """Why a holder may not carry a pass (codes stored with the revocation event)."""

    NO_RULES = "no_rules"
    NOT_WHITELISTED = "not_whitelisted"
    ENTERPRISE_NOT_WHITELISTED = "enterprise_not_whitelisted"
    NO_NEGATIVE_TEST = "no_negative_test"
    POSITIVE = "positive_result"
    MEASURE = "measure"
    CODE = "health_code"


@dataclass(frozen=True)
class Condition:
    code: str
    words: str


def pass_rules(policy: Policy | None = None) -> PassRules | None:
    """The active profile's pass conditions (None: the profile issues no passes)."""
    rules = (policy or current()).rules
    return rules.supplies.passes if rules.supplies is not None else None


@dataclass(frozen=True)
class PersonState:
    last_test_at: dt.datetime | None = None
    last_test_outcome: str = ""
    measure: bool = False
    colour: str = Colour.GREEN


def people_states(person_ids: list[int]) -> dict[int, PersonState]:
    """Each person's latest resulted test, measure under way and stored colour: one query
    per source."""
    tests: dict[int, tuple[dt.datetime, str]] = {}
    rows = (
        TubeMember.objects.filter(person_id__in=in_ids(person_ids), tube__result__isnull=False)
        .order_by("person_id", F("sampled_at").asc())
        .values_list("person_id", "sampled_at", "tube__result__outcome")
    )
    for pid, sampled_at, outcome in rows:  # ascending: the last one stays
        tests[pid] = (sampled_at, outcome)
    measured = set(
        Measure.objects.filter(
            person_id__in=in_ids(person_ids), status=MeasureStatus.ACTIVE
        ).values_list("person_id", flat=True)
    )
    colours = dict(
        CodeStatus.objects.filter(person_id__in=in_ids(person_ids)).values_list(
            "person_id", "colour"
        )
    )
    out = {}
    for pid in person_ids:
        at, outcome = tests.get(pid, (None, ""))
        out[pid] = PersonState(at, outcome, pid in measured, colours.get(pid, Colour.GREEN))
    return out


def _when(moment: dt.datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def person_failures(state: PersonState, rules: PassRules, now: dt.datetime) -> list[Condition]:
    """What of the profile's conditions a person fails (empty: they may carry a pass)."""
    out: list[Condition] = []
    if state.last_test_outcome == "positive" and state.last_test_at is not None:
        out.append(
            Condition(
                Failure.POSITIVE,
                _("Tested positive (sampled %(when)s)") % {"when": _when(state.last_test_at)},
            )
        )
    elif (
        state.last_test_at is None
        or state.last_test_outcome != "negative"
        or state.last_test_at < now - dt.timedelta(hours=rules.negative_test_within_hours)
    ):
        out.append(
            Condition(
                Failure.NO_NEGATIVE_TEST,
                _("No negative test sampled in the last %(hours)s hours")
                % {"hours": rules.negative_test_within_hours},
            )
        )
    if rules.no_active_measure and state.measure:
        out.append(Condition(Failure.MEASURE, _("Under a quarantine or monitoring measure")))
    if rules.health_code_green and state.colour != Colour.GREEN:
        out.append(
            Condition(
                Failure.CODE,
                _("Health code is %(colour)s") % {"colour": Colour(state.colour).label},
            )
        )
    return out


def test_expiry(state: PersonState, rules: PassRules) -> dt.datetime | None:
    """When the person's negative test grows too old for a pass."""
    if state.last_test_at is None:
        return None
    return state.last_test_at + dt.timedelta(hours=rules.negative_test_within_hours)


def whitelist_failures(holder: Courier | Vehicle) -> list[Condition]:
    out = []
    if holder.status != WhitelistStatus.GRANTED:
        out.append(
            Condition(
                Failure.NOT_WHITELISTED,
                _("Not granted on the whitelist (%(status)s)")
                % {"status": WhitelistStatus(holder.status).label},
            )
        )
    if holder.enterprise.status != WhitelistStatus.GRANTED:
        out.append(
            Condition(
                Failure.ENTERPRISE_NOT_WHITELISTED,
                _("The enterprise is not granted on the whitelist (%(status)s)")
                % {"status": WhitelistStatus(holder.enterprise.status).label},
            )
        )
    return out


def valid_passes() -> QuerySet[SupplyPass]:
    return SupplyPass.objects.filter(status=PassStatus.VALID)


def live_passes_of_people(person_ids: list[int], now: dt.datetime) -> QuerySet[SupplyPass]:
    """Valid, unexpired passes of couriers who are these people."""
    return valid_passes().filter(courier__person_id__in=in_ids(person_ids), expires_at__gt=now)


# Keys ----------------------------------------------------------------------------------------


def signing_key() -> SigningKey | None:
    """The key that signs now: the newest not retired."""
    return SigningKey.objects.filter(retired_at__isnull=True).order_by("-created_at", "-pk").first()


def trusted_keys(rules: PassRules | None, now: dt.datetime) -> list[SigningKey]:
    """Keys a verifier trusts now: the one in use, and those retired less than the grace ago."""
    grace = dt.timedelta(hours=rules.key_grace_hours if rules else 0)
    return list(
        SigningKey.objects.filter(Q(retired_at__isnull=True) | Q(retired_at__gt=now - grace))
    )


def key_valid_until(key: SigningKey, rules: PassRules | None) -> dt.datetime | None:
    if key.retired_at is None:
        return None
    return key.retired_at + dt.timedelta(hours=rules.key_grace_hours if rules else 0)


def trusted(keys: list[SigningKey], rules: PassRules | None) -> list[TrustedKey]:
    return [TrustedKey(bytes(k.public_der), key_valid_until(k, rules)) for k in keys]


def pass_by_serial(serial: str) -> SupplyPass | None:
    return SupplyPass.objects.filter(serial=serial).first() if serial else None


def holder_passes(person: Any) -> QuerySet[SupplyPass]:
    """A person's own passes (the courier's page), newest first."""
    return SupplyPass.objects.filter(courier__person=person).select_related(
        "enterprise", "courier__area"
    )
