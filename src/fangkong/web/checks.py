from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import Warning, register
from django.core.exceptions import ImproperlyConfigured


def require_secret_key() -> None:
    """Called by the WSGI/ASGI entry points: a server without a secret key does not start."""
    try:
        settings.SECRET_KEY  # noqa: B018 (Django raises when it is empty)
    except ImproperlyConfigured:
        raise ImproperlyConfigured(
            "FANGKONG_SECRET_KEY is not set. Production needs a long random secret key "
            "(see docs/deploy.md); for development set FANGKONG_DEBUG=1 (as `make run` does)."
        ) from None


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
