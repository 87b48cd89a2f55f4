"""What the health code hears from the sources below it (connected in `HealthcodeConfig.ready()`):
facts about people changed, a policy profile was activated, and lab sampling asks whose code a
scanned token is."""

from fangkong.core import changes
from fangkong.healthcode.selectors import code_holder
from fangkong.healthcode.store import on_policy_activated, recompute
from fangkong.lab.rounds.selectors import code_holder_lookup


def _facts_changed(change: changes.Change) -> None:
    recompute(person_ids=list(change.ids))


def _policy_activated(change: changes.Change) -> None:
    on_policy_activated(None, profile=change.objects[-1], actor=change.actor)


def connect() -> None:
    changes.subscribe("person", _facts_changed)
    changes.subscribe("policy", _policy_activated)
    code_holder_lookup(code_holder)
