"""Writes on a community's direct lines (the community's staff, `Cap.CARE_COMMUNITY`, for
communities of their jurisdiction); each change an audit event."""

import re
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.services import event_record
from fangkong.care.facilities.selectors import facilities_for_user
from fangkong.care.models import DirectLine, Facility, LineKind
from fangkong.core.access import Cap, require, scoped
from fangkong.core.errors import field_error
from fangkong.places.models import Division, Level

FIELDS = ("kind", "name", "phone", "facility", "note")
# Hotlines are short (120, 12320, 12355) as well as landlines and mobiles.
LINE_PHONE = re.compile(r"^[0-9][0-9-]{2,19}$")


def clean_line_phone(raw: str) -> str:
    phone = re.sub(r"\s", "", raw or "")
    if not LINE_PHONE.match(phone):
        raise field_error("phone", _("Give the number to dial: digits and dashes"))
    return phone


@transaction.atomic
def line_save(
    *,
    actor: Any,
    community: Division,
    kind: str,
    name: str,
    phone: str,
    facility: Facility | None = None,
    note: str = "",
    line: DirectLine | None = None,
) -> DirectLine:
    """Add a direct line to a community of the actor's jurisdiction, or change one."""
    require(actor, Cap.CARE_COMMUNITY)
    if (
        community.level != Level.COMMUNITY
        or not scoped(Division.objects.filter(pk=community.pk), actor, "key").exists()
    ):
        raise field_error("community", _("Choose a community of your jurisdiction"))
    if kind not in LineKind.values:
        raise field_error("kind", _("Choose the kind of line"))
    name = (name or "").strip()[:200]
    if not name:
        raise field_error("name", _("Give a name"))
    if facility is not None and not facilities_for_user(actor).filter(pk=facility.pk).exists():
        raise field_error("facility", _("Unknown facility"))
    values = {
        "kind": kind,
        "name": name,
        "phone": clean_line_phone(phone),
        "facility": facility,
        "note": (note or "").strip()[:200],
    }
    created = line is None
    if line is None:
        line = DirectLine(community=community, division_key=community.key)
    elif line.community_id != community.pk:
        raise field_error("community", _("Choose a community of your jurisdiction"))
    old = {k: getattr(line, k) for k in FIELDS} if not created else {}
    for k, v in values.items():
        setattr(line, k, v)
    line.updated_at = timezone.now()
    line.save()
    changed = [k for k in FIELDS if created or old[k] != values[k]]
    event_record(
        actor=actor,
        action="care.line_added" if created else "care.line_changed",
        obj=line,
        data={"fields": changed, "phone": line.phone, "kind": kind},
    )
    return line


@transaction.atomic
def line_remove(*, actor: Any, line: DirectLine) -> None:
    require(actor, Cap.CARE_COMMUNITY)
    if not scoped(DirectLine.objects.filter(pk=line.pk), actor).exists():
        raise field_error("line", _("Not a line of your jurisdiction"))
    event_record(actor=actor, action="care.line_removed", obj=line, data={"phone": line.phone})
    line.delete()
