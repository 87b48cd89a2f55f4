"""A person's control state, attached to their request automatically, for many people at once
(four queries whatever the number): the most restrictive that applies of an active case, a
sealed or controlled zone in force over their home, an active quarantine measure, a red or
yellow health code. `basis` says where it came from (e.g. "zone:12", "case:XC-3",
"measure:40", "code:red"), shown in words on the request's page."""

from collections.abc import Sequence
from dataclasses import dataclass

from fangkong.care.models import ControlState
from fangkong.core.db import in_ids
from fangkong.epi.models import Case, CaseStatus
from fangkong.healthcode.models import CodeStatus, Colour
from fangkong.places.models import KEY_LENGTH
from fangkong.quarantine.models import Measure, MeasureStatus
from fangkong.zones.models import ZoneArea, ZoneStatus

ORDER = list(ControlState.values)  # most restrictive first
# Zone levels of the shipped schemes (policy `zones.levels`) that put a home under control.
ZONE_STATES = {
    "sealed": ControlState.SEALED_ZONE,
    "high": ControlState.SEALED_ZONE,
    "controlled": ControlState.CONTROLLED_ZONE,
    "medium": ControlState.CONTROLLED_ZONE,
}
CODE_STATES = {Colour.RED: ControlState.RED_CODE, Colour.YELLOW: ControlState.YELLOW_CODE}
_LENGTHS = sorted(set(KEY_LENGTH.values()))


@dataclass(frozen=True)
class PersonState:
    state: str
    basis: str


def _better(found: dict[int, PersonState], person_id: int, state: str, basis: str) -> None:
    held = found.get(person_id)
    if held is None or ORDER.index(state) < ORDER.index(held.state):
        found[person_id] = PersonState(state, basis)


def states_of(person_ids: Sequence[int], keys: Sequence[str]) -> list[PersonState]:
    """The control state of each person (their home's key alongside), in the same order."""
    ids = in_ids(set(person_ids))  # one array parameter, however many people
    found: dict[int, PersonState] = {}
    for pid, number in Case.objects.filter(
        person_id__in=ids, status__in=[CaseStatus.REPORTED, CaseStatus.TRANSFERRED]
    ).values_list("person_id", "number"):
        _better(found, pid, ControlState.CASE, f"case:{number}")
    for pid, mid in Measure.objects.filter(
        person_id__in=ids, status=MeasureStatus.ACTIVE
    ).values_list("person_id", "pk"):
        _better(found, pid, ControlState.QUARANTINE, f"measure:{mid}")
    for pid, colour in CodeStatus.objects.filter(
        person_id__in=ids, colour__in=list(CODE_STATES)
    ).values_list("person_id", "colour"):
        _better(found, pid, CODE_STATES[Colour(colour)], f"code:{colour}")
    zoned: dict[str, tuple[str, int]] = {}
    for key, level, zone_id in ZoneArea.objects.filter(
        zone__status=ZoneStatus.ACTIVE, zone__level__in=list(ZONE_STATES), division_key__gt=""
    ).values_list("division_key", "zone__level", "zone_id"):
        state: str = ZONE_STATES[level]
        held = zoned.get(key)
        if held is None or ORDER.index(state) < ORDER.index(held[0]):
            zoned[key] = (state, zone_id)
    out = []
    for pid, key in zip(person_ids, keys, strict=True):
        if zoned:
            for n in _LENGTHS:
                if len(key) >= n and key[:n] in zoned:
                    state, zone_id = zoned[key[:n]]
                    _better(found, pid, state, f"zone:{zone_id}")
        out.append(found.get(pid, PersonState(ControlState.NONE, "")))
    return out
