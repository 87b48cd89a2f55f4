from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TallyConfig(AppConfig):
    name = "fangkong.tally"
    verbose_name = _("Running counts")

    def ready(self) -> None:
        # The services import the sources' models: importable only once the apps are loaded.
        from fangkong.tally import services

        services.subscribe()
