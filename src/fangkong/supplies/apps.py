from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SuppliesConfig(AppConfig):
    name = "fangkong.supplies"
    verbose_name = _("Supplies")

    def ready(self) -> None:
        # The subscriptions import models, loadable only once every app's config is: loaded
        # by name here (the AppConfig.ready() idiom, as Django's own autodiscovery does).
        import_module(f"{self.name}.subscriptions").connect()
