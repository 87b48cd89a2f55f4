from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import Warning, register


@register()
def vendor_assets_installed(**kwargs: Any) -> list[Warning]:
    missing = [
        name
        for name, path in settings.VENDOR_ASSETS.items()
        if not (Path(settings.NODE_MODULES) / path).is_dir()
    ]
    if not missing:
        return []
    return [
        Warning(
            f"front-end packages not installed: {', '.join(missing)}",
            hint="run `make env` (npm install)",
            id="fangkong.W001",
        )
    ]
