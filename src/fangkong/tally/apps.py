from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TallyConfig(AppConfig):
    name = "fangkong.tally"
    verbose_name = _("Running counts")
