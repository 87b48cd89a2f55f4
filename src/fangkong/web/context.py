from typing import Any

from django.http import HttpRequest

from fangkong.core.access import caps_of
from fangkong.web.nav import menu_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"menu": [], "caps": frozenset()}
    if getattr(request, "two_factor_pending", False):  # password given, second factor owed
        return {"menu": [], "caps": frozenset(), "two_factor_pending": True}
    return {"menu": menu_for(user), "caps": {c.value for c in caps_of(user)}}
