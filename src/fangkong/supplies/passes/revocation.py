"""Revocation at once when a holder's conditions fail (connected by supplies/subscriptions.py).

The sources announce on `core.changes`: "person" when a person's facts change (a result
upload that found them positive, a quarantine measure started, a case opened), and the
health-code store announces "code" when colours change (after its own recomputation: the
health code subscribes to "person" before this app does). Either way the people who carry a
valid pass are checked in bulk and those who fail lose their passes with the reason.
"""

from fangkong.core import changes
from fangkong.healthcode.store import CODE_CHANGED
from fangkong.supplies.passes.services import passes_revoke_for_people


def _people_changed(change: changes.Change) -> None:
    passes_revoke_for_people(person_ids=change.ids)


def connect() -> None:
    changes.subscribe("person", _people_changed)
    changes.subscribe(CODE_CHANGED, _people_changed)
