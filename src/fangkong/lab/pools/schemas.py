"""API shapes of retests."""

import datetime as dt
from typing import Any

from ninja import Field, Schema

from fangkong.lab.models import Retest, RetestStatus
from fangkong.people.display import place_label


class RetestOut(Schema):
    id: int
    person_id: int
    name: str
    place: str = Field(description="Building / unit")
    phone: str = Field(description="Masked")
    source_tube: str
    tube: str | None
    status: RetestStatus
    created_at: dt.datetime


def retest_out(r: Retest) -> dict[str, Any]:
    return {
        "id": r.pk,
        "person_id": r.person_id,
        "name": r.person.name,
        "place": place_label(r.person.division),
        "phone": r.person.phone_masked,
        "source_tube": r.source_tube.barcode,
        "tube": r.tube.barcode if r.tube else None,
        "status": r.status,
        "created_at": r.created_at,
    }
