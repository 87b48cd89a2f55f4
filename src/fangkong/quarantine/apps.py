from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuarantineConfig(AppConfig):
    name = "fangkong.quarantine"
    verbose_name = _("Quarantine")

    def ready(self) -> None:
        from fangkong.policy.signals import policy_activated
        from fangkong.quarantine import measures

        policy_activated.connect(measures.on_policy_activated, dispatch_uid="quarantine.replan")
