from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class PolicyConfig(AppConfig):
    name = "fangkong.policy"
    verbose_name = _("Policy")

    def ready(self) -> None:
        # The services use the models, loaded only after every app's config (AppConfig.ready()).
        from fangkong.policy.services import profiles_install_shipped

        def install(sender: object, **kwargs: object) -> None:
            profiles_install_shipped(using=str(kwargs.get("using", "default")))

        # weak=False: nothing else holds this local function; a weak reference dies when ready()
        # returns (it only lived on while DEBUG's signal checks cached it).
        post_migrate.connect(
            install, sender=self, dispatch_uid="policy-install-shipped", weak=False
        )
