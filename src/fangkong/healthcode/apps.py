from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HealthcodeConfig(AppConfig):
    name = "fangkong.healthcode"
    label = "healthcode"
    verbose_name = _("Health code")

    def ready(self) -> None:
        # Deferred to ready(): these import models, which cannot load while apps are populated.
        from fangkong.epi import hooks
        from fangkong.healthcode.selectors import code_holder
        from fangkong.healthcode.store import on_policy_activated, recompute
        from fangkong.lab.selectors import code_holder_lookup
        from fangkong.policy.signals import policy_activated

        hooks.subscribe(recompute)
        code_holder_lookup(code_holder)
        policy_activated.connect(on_policy_activated, dispatch_uid="healthcode-recompute-codes")
