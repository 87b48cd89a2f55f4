"""REST endpoints for retests (/api/)."""

from typing import Any

from django.http import HttpRequest
from ninja import Router

from fangkong.core.apikit import ERRORS, Limit, Offset, Page, paginate
from fangkong.lab.models import RetestStatus
from fangkong.lab.pools import selectors
from fangkong.lab.pools.schemas import RetestOut, retest_out

router = Router(tags=["testing"])


@router.get("/retests", response={200: Page[RetestOut], **ERRORS}, summary="Retests")
def retest_list(
    request: HttpRequest,
    status: RetestStatus | None = RetestStatus.PENDING,
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """Single-tube retests owed by members of positive pools (home sampling list)."""
    qs = selectors.retests_for_user(request.user, status.value if status else "")
    return paginate(qs, limit=limit, offset=offset, convert=retest_out)
