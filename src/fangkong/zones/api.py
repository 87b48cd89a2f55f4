"""REST endpoints for risk zones (/api/)."""

from ninja import Router

router = Router(tags=["zones"])
