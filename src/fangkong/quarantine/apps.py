from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from fangkong.policy.signals import policy_activated


class QuarantineConfig(AppConfig):
    name = "fangkong.quarantine"
    verbose_name = _("Quarantine")

    def ready(self) -> None:
        # Imported here, not at the top: the services use the models, which Django loads only
        # after every app's config (the usual AppConfig.ready() idiom).
        from fangkong.quarantine.measures import services

        policy_activated.connect(services.on_policy_activated, dispatch_uid="quarantine.replan")
