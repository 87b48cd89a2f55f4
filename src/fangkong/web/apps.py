from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "fangkong.web"
    verbose_name = _("Web")

    def ready(self) -> None:
        from fangkong.web import checks  # noqa: F401  (registers system checks)
