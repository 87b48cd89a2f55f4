"""Manual health-code overrides and appeals: writes (audited) and scoped reads.

An override sets a colour by hand and is refused without a reason and a basis. A person appeals
their colour; a reviewer upholds the appeal (which records an override with the decided colour,
the decision as reason and "appeal #id" as basis) or rejects it, always with a reason.
"""

import datetime as dt
import re
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.services import SELF_SERVICE, event_record
from fangkong.core import dates
from fangkong.core.access import Cap, in_scope, require, scoped
from fangkong.core.errors import field_error
from fangkong.healthcode.models import Appeal, AppealStatus, CodeOverride, Colour
from fangkong.healthcode.selectors import status_current
from fangkong.healthcode.store import recompute
from fangkong.people.models import Resident
from fangkong.people.reveals import need_reveal_reason
from fangkong.people.services import clean_phone

# The audit rows keep the object types they had when these models were in the epi app: they are
# recorded data, and history filters may look them up.
OVERRIDE_TYPE = "epi.codeoverride"
APPEAL_TYPE = "epi.appeal"
ID_NUMBER_RE = re.compile(r"^\d{17}[\dX]$")


def _require_text(field: str, value: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise field_error(field, message)
    return text


def _check_scope(actor: Any, key: str) -> None:
    if not in_scope(actor, key):
        raise Http404


# ── overrides ───────────────────────────────────────────────────────────────


@transaction.atomic
def code_override_create(
    *,
    actor: Any,
    person: Resident,
    colour: str,
    reason: str,
    basis: str,
    valid_until: dt.datetime | None = None,
) -> CodeOverride:
    """Set a person's colour by hand; refused without a reason and a basis."""
    require(actor, Cap.CODE_OVERRIDE)
    _check_scope(actor, person.division_key)
    return _override(
        actor=actor,
        person=person,
        colour=colour,
        reason=reason,
        basis=basis,
        valid_until=valid_until,
    )


def _override(
    *,
    actor: Any,
    person: Resident,
    colour: str,
    reason: str,
    basis: str,
    valid_until: dt.datetime | None,
) -> CodeOverride:
    if colour not in Colour.values:
        raise field_error("colour", _("Choose red, yellow or green"))
    reason = _require_text("reason", reason, _("A reason is required to set a colour by hand"))
    basis = _require_text("basis", basis, _("A basis is required to set a colour by hand"))
    if valid_until is not None and valid_until <= timezone.now():
        raise field_error("valid_until", _("The end of validity must be in the future"))
    dates.check_date("valid_until", valid_until, plan=True)
    override = CodeOverride.objects.create(
        person=person,
        colour=colour,
        reason=reason,
        basis=basis[:300],
        valid_until=valid_until,
        created_by=actor,
        division_key=person.division_key,
    )
    event_record(
        actor=actor,
        action="code.overridden",
        obj=override,
        object_type=OVERRIDE_TYPE,
        person_id=person.pk,
        field="colour",
        to_value=colour,
        reason=reason,
        basis=basis,
        data={"valid_until": valid_until.isoformat() if valid_until else None},
    )
    recompute(person_ids=[person.pk], actor=actor, reason=reason)
    return override


@transaction.atomic
def code_override_revoke(*, actor: Any, override: CodeOverride, reason: str) -> CodeOverride:
    require(actor, Cap.CODE_OVERRIDE)
    _check_scope(actor, override.division_key)
    reason = _require_text("reason", reason, _("A reason is required to revoke a setting"))
    if override.revoked_at is not None:
        raise field_error("override", _("This setting was already revoked"))
    override.revoked_at = timezone.now()
    override.save(update_fields=["revoked_at"])
    event_record(
        actor=actor,
        action="code.override_revoked",
        obj=override,
        object_type=OVERRIDE_TYPE,
        person_id=override.person_id,
        field="colour",
        from_value=override.colour,
        reason=reason,
        basis=override.basis,
    )
    recompute(person_ids=[override.person_id], actor=actor, reason=reason)
    return override


def overrides_for_user(user: Any) -> QuerySet[CodeOverride]:
    require(user, Cap.CODE_STATUS_VIEW)
    return scoped(CodeOverride.objects.select_related("created_by"), user)


def override_for_user(user: Any, pk: int) -> CodeOverride:
    try:
        return overrides_for_user(user).get(pk=pk)
    except CodeOverride.DoesNotExist:
        raise Http404 from None


def active_overrides(user: Any, person: Resident) -> QuerySet[CodeOverride]:
    now = timezone.now()
    return (
        overrides_for_user(user)
        .filter(person=person, revoked_at__isnull=True)
        .exclude(valid_until__lte=now)
        .order_by("-created_at", "-id")
    )


# ── the person's own look-up ────────────────────────────────────────────────


def person_by_identity(id_number: str, phone: str) -> Resident | None:
    """The person whose ID number and phone both match, or None (never says which differed)."""
    number = re.sub(r"\s", "", id_number or "").upper()
    phone = re.sub(r"[\s-]", "", phone or "")
    if not ID_NUMBER_RE.match(number) or not phone:
        return None
    person = Resident.objects.filter(id_number=number).first()
    if person is None or re.sub(r"[\s-]", "", person.phone) != phone:
        return None
    return person


# ── appeals ─────────────────────────────────────────────────────────────────


@transaction.atomic
def appeal_file(*, person: Resident, statement: str, contact_phone: str = "") -> Appeal:
    """A person disputes their current colour (from the public page: no staff actor)."""
    statement = _require_text("statement", statement, _("Say why the colour is wrong"))
    phone = clean_phone(contact_phone)
    if Appeal.objects.filter(person=person, status=AppealStatus.OPEN).exists():
        raise field_error("statement", _("You already have an appeal under review"))
    status = status_current(person)
    appeal = Appeal.objects.create(
        person=person,
        colour_appealed=status.colour,
        rule_appealed=status.rule,
        statement=statement,
        contact_phone=phone,
        division_key=person.division_key,
    )
    event_record(
        actor=SELF_SERVICE,
        action="appeal.filed",
        obj=appeal,
        object_type=APPEAL_TYPE,
        person_id=person.pk,
        field="status",
        to_value=AppealStatus.OPEN,
        reason=statement[:1000],
        data={"colour": status.colour, "rule": status.rule},
    )
    return appeal


@transaction.atomic
def appeal_decide(
    *,
    actor: Any,
    appeal: Appeal,
    uphold: bool,
    reason: str,
    colour: str = Colour.GREEN,
    basis: str = "",
    valid_until: dt.datetime | None = None,
) -> Appeal:
    """Uphold (the colour is corrected by an override) or reject an open appeal, with a reason."""
    require(actor, Cap.APPEALS_DECIDE)
    _check_scope(actor, appeal.division_key)
    reason = _require_text("reason", reason, _("A decision needs a reason"))
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    if appeal.status != AppealStatus.OPEN:
        raise field_error("decision", _("This appeal was already decided"))
    basis = (basis or "").strip() or f"appeal #{appeal.pk}"
    if uphold:
        if valid_until is None:
            valid_until = status_current(appeal.person).until
        _override(
            actor=actor,
            person=appeal.person,
            colour=colour,
            reason=reason,
            basis=basis,
            valid_until=valid_until if valid_until and valid_until > timezone.now() else None,
        )
    appeal.status = AppealStatus.UPHELD if uphold else AppealStatus.REJECTED
    appeal.decision = reason
    appeal.decided_by = actor
    appeal.decided_at = timezone.now()
    appeal.save(update_fields=["status", "decision", "decided_by", "decided_at"])
    event_record(
        actor=actor,
        action="appeal.decided",
        obj=appeal,
        object_type=APPEAL_TYPE,
        person_id=appeal.person_id,
        field="status",
        from_value=AppealStatus.OPEN,
        to_value=appeal.status,
        reason=reason,
        basis=basis,
        data={"colour": colour if uphold else None},
    )
    return appeal


def appeal_phone_reveal(*, actor: Any, appeal: Appeal, reason: str) -> str:
    """The appellant's call-back number in full, with a reason; kept in their history."""
    require(actor, Cap.APPEALS_DECIDE)
    require(actor, Cap.PII_REVEAL)
    _check_scope(actor, appeal.division_key)
    reason = need_reveal_reason(reason)
    event_record(
        actor=actor,
        action="pii.revealed",
        obj=appeal,
        object_type=APPEAL_TYPE,
        person_id=appeal.person_id,
        field="contact_phone",
        reason=reason,
    )
    return appeal.contact_phone


def appeals_for_user(user: Any, *, status: str = "") -> QuerySet[Appeal]:
    require(user, Cap.APPEALS_DECIDE)
    qs = scoped(Appeal.objects.select_related("person", "person__code_status"), user)
    return qs.filter(status=status) if status else qs


def appeal_for_user(user: Any, pk: int) -> Appeal:
    try:
        return appeals_for_user(user).get(pk=pk)
    except Appeal.DoesNotExist:
        raise Http404 from None
