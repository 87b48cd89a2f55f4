"""The routing table in force and its rows in words (the routing page and API)."""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from fangkong.care.models import ControlState, Facility, FacilityKind, RequestType
from fangkong.care.routing.engine import Site
from fangkong.core.access import Cap, require
from fangkong.policy import accessor
from fangkong.policy.accessor import Policy
from fangkong.policy.schema import CareRoute


@dataclass(frozen=True)
class RuleRow:
    number: int
    types: list[str]
    states: list[str]
    destination: str
    facility: str
    via_120: bool
    closed_loop: bool
    sla_minutes: int


def in_force() -> Policy:
    return accessor.current()


def sites_in_service() -> list[Site]:
    """Every facility in service, as the engine reads them (one query): any district's
    facility may receive a request."""
    return [
        Site(id=pk, code=code, kind=kind, key=key)
        for pk, code, kind, key in Facility.objects.filter(active=True).values_list(
            "pk", "code", "kind", "division_key"
        )
    ]


def rule_words(number: int, rule: CareRoute) -> str:
    """A rule as one sentence, in the reader's language."""
    parts = [
        _("Rule %(n)s: %(types)s from people %(states)s → %(dest)s")
        % {
            "n": number,
            "types": ", ".join(str(RequestType(t).label) for t in rule.request_types),
            "states": ", ".join(str(ControlState(s).label) for s in rule.control_states),
            "dest": FacilityKind(rule.destination).label,
        }
    ]
    if rule.facility:
        parts.append(_("facility %(code)s") % {"code": rule.facility})
    if rule.via_120:
        parts.append(_("by 120"))
    if rule.closed_loop:
        parts.append(_("in a closed-loop vehicle"))
    parts.append(_("within %(n)s minutes") % {"n": rule.sla_minutes})
    return ", ".join(parts)


def table_for(user: Any) -> tuple[Policy, list[RuleRow]]:
    require(user, Cap.CARE_VIEW)
    policy = in_force()
    rows = [
        RuleRow(
            number=i + 1,
            types=[str(RequestType(t).label) for t in r.request_types],
            states=[str(ControlState(s).label) for s in r.control_states],
            destination=str(FacilityKind(r.destination).label),
            facility=r.facility,
            via_120=r.via_120,
            closed_loop=r.closed_loop,
            sla_minutes=r.sla_minutes,
        )
        for i, r in enumerate(policy.rules.care.routes)
    ]
    return policy, rows
