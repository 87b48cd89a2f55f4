from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default = True
    name = "fangkong.accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Imported here, not at the top: these modules use the models, which Django loads only
        # after every app's config (the usual AppConfig.ready() idiom).
        from fangkong.accounts import checks, services

        checks.register()
        user_logged_in.connect(services.two_factor_note_login, dispatch_uid="two_factor_login")


class AdminConfig(admin_apps.AdminConfig):
    """The Django admin with a site that needs a session verified by two-factor."""

    default = False
    default_site = "fangkong.accounts.admin_site.FangkongAdminSite"
