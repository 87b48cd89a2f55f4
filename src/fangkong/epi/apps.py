from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EpiConfig(AppConfig):
    name = "fangkong.epi"
    verbose_name = _("Cases and contacts")

    def ready(self) -> None:
        from fangkong.epi.status import on_policy_activated
        from fangkong.policy.signals import policy_activated

        policy_activated.connect(on_policy_activated, dispatch_uid="epi-recompute-codes")
