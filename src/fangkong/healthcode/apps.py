from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from fangkong.core import changes


class HealthcodeConfig(AppConfig):
    name = "fangkong.healthcode"
    label = "healthcode"
    verbose_name = _("Health code")

    def ready(self) -> None:
        # Deferred to ready(): these modules import models, which load only after every app's
        # config (the usual AppConfig.ready() idiom).
        from fangkong.healthcode.selectors import code_holder
        from fangkong.healthcode.store import on_policy_activated, recompute
        from fangkong.lab.rounds.selectors import code_holder_lookup

        def facts_changed(change: changes.Change) -> None:
            recompute(person_ids=list(change.ids))

        def policy_activated(change: changes.Change) -> None:
            on_policy_activated(None, profile=change.objects[-1], actor=change.actor)

        changes.subscribe("person", facts_changed)  # facts about people changed in a source
        changes.subscribe("policy", policy_activated)
        code_holder_lookup(code_holder)  # lab sampling scans a health-code QR
