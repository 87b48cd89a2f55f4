"""REST endpoints for trips, arrival tests and hand-overs (/api/)."""

from ninja import Router

router = Router(tags=["travel"])
