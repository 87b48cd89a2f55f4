from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "fangkong.web"
    verbose_name = _("Web")

    def ready(self) -> None:
        # Registers the system checks and the login stamp of SessionLifetimeMiddleware; imported
        # here because they use auth's models, loaded only after every app's config.
        from fangkong.web import checks, middleware  # noqa: F401
