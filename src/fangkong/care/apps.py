from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "fangkong.care"
    verbose_name = _("Medical care")

    def ready(self) -> None:
        # The models of the subpackages (120 linkage, the hospital side): imported here, not
        # re-exported by care/models.py, so that no two sibling modules import each other.
        from fangkong.care.admission import models as admission_models  # noqa: F401
        from fangkong.care.dispatch import models as dispatch_models  # noqa: F401
