from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from fangkong.core import changes


class EpiConfig(AppConfig):
    name = "fangkong.epi"
    verbose_name = _("Cases and contacts")

    def ready(self) -> None:
        # The health-code engine imports the models: importable only once the apps are loaded.
        from fangkong.epi import status

        def facts_changed(change: changes.Change) -> None:
            status.recompute(person_ids=list(change.ids))

        def policy_activated(change: changes.Change) -> None:
            status.on_policy_activated(None, profile=change.objects[-1], actor=change.actor)

        changes.subscribe("person", facts_changed)
        changes.subscribe("policy", policy_activated)
