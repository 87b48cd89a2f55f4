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

        # The empty choice of every select (Django 6.1's "- Select an option -" has no Chinese
        # in Django's catalogue); Django reads it from here when a form field is made.
        fields.BLANK_CHOICE_LABEL = _("— choose —")
