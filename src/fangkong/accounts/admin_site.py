from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django_otp.admin import OTPAdminSite


class FangkongAdminSite(OTPAdminSite):
    """The Django admin: staff whose session a second factor verified, nobody else.

    Logging in happens on the site's own page (throttled, with the code step); the admin's
    login page only sends people there.
    """

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if request.user.is_authenticated:
            raise PermissionDenied
        target = request.GET.get("next") or request.path.removesuffix("login/")
        return redirect_to_login(target, settings.LOGIN_URL)
