from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SuppliesConfig(AppConfig):
    name = "fangkong.supplies"
    verbose_name = _("Supplies")

    def import_models(self) -> None:
        # The sub-domains' models modules (orders/models.py) load with the app's own, in
        # Django's model-loading phase; by name, as Django loads `<app>.models`, so the app's
        # models module need not import its sub-packages (which import it: a cycle).
        super().import_models()
        import_module(f"{self.name}.orders.models")

    def ready(self) -> None:
        # The subscriptions import models, loadable only once every app's config is: loaded
        # by name here (the AppConfig.ready() idiom, as Django's own autodiscovery does).
        import_module(f"{self.name}.subscriptions").connect()
