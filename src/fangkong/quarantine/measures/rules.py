"""Who may do what to a measure: the actions offered on a measure's page, from the user's
capabilities, whether the measure is active and whether the person is at a site (an open stay).

The services check the same capabilities when the action is made (`services.require_keeper`,
the `require(...)` in `release` and `transfers`); these flags only decide what is offered.
"""

from typing import Any

from fangkong.core.access import Cap, can
from fangkong.quarantine.models import Measure, MeasureStatus, Stay


def measure_permissions(user: Any, measure: Measure, stay: Stay | None) -> dict[str, bool]:
    """The `can_*` flags of the measure's page; every one is False once the measure is closed."""
    active = measure.status == MeasureStatus.ACTIVE
    at_home = stay is None
    manage = can(user, Cap.QUARANTINE_MANAGE)
    keep = can(user, Cap.MEASURES_KEEP)
    return {
        "can_keep": active and (keep or manage),
        "can_release": active and (manage or (at_home and keep)),
        "can_checkin": active and at_home and keep,
        "can_sample": active and can(user, Cap.SAMPLING),
        "can_transfer": active and can(user, Cap.TRANSFERS_MANAGE),
        "can_site_release": active and not at_home and manage,
    }
