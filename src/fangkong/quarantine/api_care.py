"""REST endpoints (/api/)."""

from ninja import Router

router = Router(tags=["quarantine"])
