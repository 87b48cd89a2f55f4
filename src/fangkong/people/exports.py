"""XLSX exports of the key-person ledger (streamed with openpyxl's write-only mode)."""

import io
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from fangkong.audit.services import event_record
from fangkong.core.tabular import xlsx_append
from fangkong.people.display import age_on, place_label
from fangkong.people.models import KeyPerson
from fangkong.people.reveals import export_reveals_record, need_reveal_reason, new_export_id
from fangkong.people.selectors import open_needs_by_resident

CHUNK = 2000


def key_person_workbook(
    user: Any, qs: QuerySet[KeyPerson], *, reveal: bool = False, reason: str = ""
) -> tuple[bytes, int]:
    """The ledger as XLSX. Identifiers are masked unless `reveal` (the caller has checked the
    capability and the reason); then every person in it gets a `pii.exported` event."""
    if reveal:
        reason = need_reveal_reason(reason)
    export_id = new_export_id()
    seen: dict[int, tuple[int, str, str]] = {}
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Key persons"))
    xlsx_append(
        ws,
        [
            _("Name"),
            _("Category"),
            _("Sex"),
            _("Age"),
            _("ID number"),
            _("Phone"),
            _("Place"),
            _("Since"),
            _("Note"),
            _("Open needs"),
        ],
    )
    today = timezone.localdate()
    count = 0
    limit = settings.EXPORT_MAX_ROWS
    rows = list(qs[:limit])
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        needs = open_needs_by_resident([e.resident_id for e in chunk])
        if reveal:
            fresh = {e.resident_id: e.resident for e in chunk if e.resident_id not in seen}
            seen.update({pk: (pk, r.division_key, r.name) for pk, r in fresh.items()})
            export_reveals_record(
                actor=user,
                people=[seen[pk] for pk in fresh],
                reason=reason,
                export="key_persons",
                export_id=export_id,
            )
        for entry in chunk:
            r = entry.resident
            xlsx_append(
                ws,
                [
                    r.name,
                    entry.get_category_display(),
                    r.get_sex_display(),
                    age_on(r.birth_date, today),
                    r.id_number if reveal else r.id_number_masked,
                    r.phone if reveal else r.phone_masked,
                    place_label(r.division),
                    entry.since,
                    entry.note,
                    "; ".join(
                        f"{n.description}" + (f" ({n.next_due:%Y-%m-%d})" if n.next_due else "")
                        for n in needs.get(r.pk, [])
                    ),
                ],
            )
            count += 1
    buffer = io.BytesIO()
    wb.save(buffer)
    event_record(
        actor=user,
        action="key_persons.exported",
        object_type="people.keyperson",
        object_id="export",
        division_key=getattr(getattr(user, "jurisdiction", None), "key", ""),
        reason=reason,
        data={"rows": count, "unmasked": reveal, "people": len(seen), "export_id": export_id},
    )
    return buffer.getvalue(), count
