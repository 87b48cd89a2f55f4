"""Reads of medical requests, scoped: staff see the requests of people of their jurisdiction;
an account with the hospital role only the requests routed to the facilities it staffs. Why a
request went where it went, in words."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from fangkong.audit.models import Event
from fangkong.care.facilities.selectors import is_facility_staff
from fangkong.care.models import CareRequest, ControlState, FacilityKind, RequestType
from fangkong.care.routing.engine import NAMED, NO_FACILITY, PLANNED
from fangkong.core.access import Cap, require, scoped
from fangkong.core.roles import Role
from fangkong.healthcode.models import Colour
from fangkong.places.models import Level
from fangkong.policy.accessor import at


def requests_for_user(user: Any) -> QuerySet[CareRequest]:
    require(user, Cap.CARE_VIEW)
    if is_facility_staff(user):
        return CareRequest.objects.filter(facility__staff=user)
    if getattr(user, "role", "") == Role.DISPATCH_120 and not user.is_superuser:
        # A 120 dispatcher: the requests by 120 of its jurisdiction (its queue), no others.
        return scoped(CareRequest.objects.filter(via_120=True), user)
    return scoped(CareRequest.objects.all(), user)


def request_for_user(user: Any, pk: int) -> CareRequest:
    try:
        return requests_for_user(user).select_related("person", "facility").get(pk=pk)
    except CareRequest.DoesNotExist:
        raise Http404 from None


def request_visible(user: Any, pk: int) -> bool:
    return requests_for_user(user).filter(pk=pk).exists()


def request_history(request: CareRequest) -> QuerySet[Event]:
    return Event.objects.filter(object_type="care.carerequest", object_id=str(request.pk))


def basis_words(basis: str) -> str:
    """Where the control state came from, in words ("zone:12" → "risk zone no. 12")."""
    kind, _sep, ref = basis.partition(":")
    if kind == "zone":
        return _("risk zone no. %(ref)s in force over the home") % {"ref": ref}
    if kind == "case":
        return _("case %(ref)s") % {"ref": ref}
    if kind == "measure":
        return _("quarantine measure no. %(ref)s") % {"ref": ref}
    if kind == "code":
        return _("health code %(colour)s") % {"colour": Colour(ref).label}
    return _("no case, measure, zone or red/yellow code on record")


def why(request: CareRequest) -> str:
    """Which rule routed the request and why, in one paragraph."""
    if request.rule_number is None:
        return _("Not routed yet.")
    version = request.profile_version
    policy = at(request.profile_code, version) if version is not None else None
    text = _(
        "Request: %(type)s. The person: %(state)s (%(basis)s). Rule %(n)s of the policy "
        "profile %(profile)s sends it to: %(dest)s"
    ) % {
        "type": RequestType(request.type).label,
        "state": ControlState(request.control_state).label,
        "basis": basis_words(request.state_basis),
        "n": request.rule_number,
        "profile": policy.profile.label
        if policy
        else f"{request.profile_code} v{request.profile_version}",
        "dest": FacilityKind(request.destination).label,
    }
    extras = []
    if request.via_120:
        extras.append(_("by 120"))
    if request.closed_loop:
        extras.append(_("in a closed-loop vehicle"))
    if request.sla_minutes:
        extras.append(_("within %(n)s minutes") % {"n": request.sla_minutes})
    comma = pgettext("condition separator", ", ")
    if extras:
        text += comma + comma.join(extras)
    match = request.facility_match
    if match == NAMED:
        chosen = _("the rule names %(facility)s.") % {"facility": request.facility}
    elif match == PLANNED:
        chosen = _("the person's health plan names %(facility)s.") % {"facility": request.facility}
    elif match == NO_FACILITY or request.facility_id is None:
        chosen = _("no facility of this kind is in service: the medical task force assigns one.")
    else:
        level = {lv.name.lower(): lv.label for lv in Level}.get(match, match)
        chosen = _("the nearest in service is %(facility)s (same %(level)s).") % {
            "facility": request.facility,
            "level": str(level).lower(),
        }
    return text + pgettext("clause separator", "; ") + chosen
