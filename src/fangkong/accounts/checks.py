from typing import Any

from django.conf import settings
from django.core.checks import Error
from django.core.checks import register as register_check

from fangkong.core.roles import Cap


def two_factor_caps_known(**kwargs: Any) -> list[Error]:
    known = {c.value for c in Cap}
    unknown = sorted(set(settings.TWO_FACTOR_CAPS) - known)
    if not unknown:
        return []
    return [
        Error(
            f"FANGKONG_TWO_FACTOR_CAPS names unknown capabilities: {', '.join(unknown)}",
            hint=f"known: {', '.join(sorted(known))}",
            id="fangkong.E101",
        )
    ]


def register() -> None:
    register_check(two_factor_caps_known)
