from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HealthcodeConfig(AppConfig):
    name = "fangkong.healthcode"
    label = "healthcode"
    verbose_name = _("Health code")

    def ready(self) -> None:
        # Deferred to ready(): the subscriptions import models, which load only after every
        # app's config (the usual AppConfig.ready() idiom).
        from fangkong.healthcode import subscriptions

        subscriptions.connect()
