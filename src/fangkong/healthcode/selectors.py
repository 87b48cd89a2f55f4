"""Reads of health-code status: scoped to the caller, re-derived when their time ran out."""

import datetime as dt
from typing import Any

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.core.access import Cap, require, scoped
from fangkong.healthcode.facts import load_facts
from fangkong.healthcode.models import CodeStatus, Colour
from fangkong.healthcode.rules import Derived, derive_from
from fangkong.healthcode.store import new_verify_token, recompute
from fangkong.people.models import Resident
from fangkong.policy import accessor
from fangkong.policy.schema import Rules


def derive(
    person: Resident, *, today: dt.date, rules: Rules, now: dt.datetime | None = None
) -> Derived:
    """One person's colour on `today` under `rules` (reads their facts, writes nothing)."""
    now = now or timezone.now()
    facts = load_facts([person.pk], now=now)[person.pk]
    return derive_from(facts, today=today, rules=rules, now=now)


def person_for_status(user: Any, person_id: int) -> Resident:
    """A person whose code the user may see (code_status.view, within jurisdiction) or 404."""
    require(user, Cap.CODE_STATUS_VIEW)
    try:
        return scoped(Resident.objects.select_related("division"), user).get(pk=person_id)
    except Resident.DoesNotExist:
        raise Http404 from None


def green_status(person: Resident) -> CodeStatus:
    """An unsaved green status: what having no stored row means."""
    return CodeStatus(
        person=person,
        colour=Colour.GREEN,
        since=person.created_at,
        division_key=person.division_key,
        facts=[],
    )


def status_current(person: Resident, *, now: dt.datetime | None = None) -> CodeStatus:
    """The stored status, re-derived first if its time ran out; green if there is none."""
    now = now or timezone.now()
    status = CodeStatus.objects.filter(person_id=person.pk).first()
    if status is not None and status.until is not None and status.until <= now:
        recompute(person_ids=[person.pk], reason=_("The colour's time ran out"), now=now)
        status = CodeStatus.objects.filter(person_id=person.pk).first()
    return status or green_status(person)


def status_ensure(person: Resident) -> CodeStatus:
    """The person's stored status, created (green) if missing, so it has a verification token."""
    status = status_current(person)
    if status.pk is None:
        status.profile_code = accessor.current().profile.code
        status.verify_token = new_verify_token()
        status.since = timezone.now()
        status.save()
    return status


def status_by_token(token: str) -> CodeStatus | None:
    status = CodeStatus.objects.select_related("person").filter(verify_token=token).first()
    if status is None:
        return None
    return status_current(status.person)


def code_holder(token: str) -> Resident | None:
    """The person a health-code token was issued to, or None (lab sampling scans it)."""
    status = CodeStatus.objects.filter(verify_token=token).select_related("person").first()
    return status.person if status else None
