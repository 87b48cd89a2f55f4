from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotlineConfig(AppConfig):
    name = "fangkong.hotline"
    verbose_name = _("Citizen requests (12345)")
