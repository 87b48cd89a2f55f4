"""What quarantine hears from the sources below it (connected in `QuarantineConfig.ready()`): a
policy profile was activated (measures under way are re-planned), and people were sampled
(a person sampled on a test day of their measure has taken that test)."""

from fangkong.core import changes
from fangkong.lab.rounds.services import SAMPLED
from fangkong.quarantine.measures import services


def _policy_activated(change: changes.Change) -> None:
    services.on_policy_activated(None, profile=change.objects[-1], actor=change.actor)


def connect() -> None:
    changes.subscribe("policy", _policy_activated)
    changes.subscribe(SAMPLED, services.on_people_sampled)
