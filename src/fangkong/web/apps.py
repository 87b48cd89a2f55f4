from django.apps import AppConfig
from django.db.models import fields
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "fangkong.web"
    verbose_name = _("Web")

    def ready(self) -> None:
        # Registers the system checks and the login stamp of SessionLifetimeMiddleware; imported
        # here because they use auth's models, loaded only after every app's config.
        from fangkong.web import checks, middleware  # noqa: F401

        # The empty choice of a select built from a model (Django 6.1's "- Select an option -",
        # which Django's catalogue has no Chinese for).
        fields.BLANK_CHOICE_LABEL = _("— choose —")
