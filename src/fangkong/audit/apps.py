from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from fangkong.audit import labels


class AuditConfig(AppConfig):
    name = "fangkong.audit"
    verbose_name = _("Audit")

    def ready(self) -> None:
        labels.discover()  # what each app's events' values mean, once every model is loaded
