from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuarantineConfig(AppConfig):
    name = "fangkong.quarantine"
    verbose_name = _("Quarantine")

    def ready(self) -> None:
        # Deferred to ready(): the subscriptions import models, which load only after every
        # app's config (the usual AppConfig.ready() idiom).
        from fangkong.quarantine import subscriptions

        subscriptions.connect()
