from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from fangkong.core import changes


class QuarantineConfig(AppConfig):
    name = "fangkong.quarantine"
    verbose_name = _("Quarantine")

    def ready(self) -> None:
        # The measures import the models: importable only once the apps are loaded.
        from fangkong.lab.rounds.services import SAMPLED
        from fangkong.quarantine.measures import services

        def policy_activated(change: changes.Change) -> None:
            services.on_policy_activated(None, profile=change.objects[-1], actor=change.actor)

        changes.subscribe("policy", policy_activated)
        # a person sampled on a test day of their measure has taken that test
        changes.subscribe(SAMPLED, services.on_people_sampled)
