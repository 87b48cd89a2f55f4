from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from fangkong.epi import hooks
from fangkong.policy.signals import policy_activated


class HealthcodeConfig(AppConfig):
    name = "fangkong.healthcode"
    label = "healthcode"
    verbose_name = _("Health code")

    def ready(self) -> None:
        # Deferred to ready(): these modules import models, which load only after every app's
        # config (the usual AppConfig.ready() idiom).
        from fangkong.healthcode.selectors import code_holder
        from fangkong.healthcode.store import on_policy_activated, recompute
        from fangkong.lab.selectors import code_holder_lookup

        hooks.subscribe(recompute)  # facts about people changed in a source app
        code_holder_lookup(code_holder)  # lab sampling scans a health-code QR
        policy_activated.connect(on_policy_activated, dispatch_uid="healthcode-recompute-codes")
