"""Reads of accounts: a user sees only their own API tokens and second-factor devices."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from fangkong.accounts.models import ApiToken


def tokens_for_user(user: Any) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user_id=user.pk)


def token_for_user(user: Any, pk: int) -> ApiToken:
    try:
        return tokens_for_user(user).get(pk=pk)
    except ApiToken.DoesNotExist:
        raise Http404 from None


def totp_device_of(user: Any) -> TOTPDevice | None:
    """The user's authenticator app, once confirmed."""
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).order_by("pk").first()


def recovery_device_of(user: Any) -> StaticDevice | None:
    return StaticDevice.objects.filter(user_id=user.pk, confirmed=True).order_by("pk").first()


def recovery_codes_left(user: Any) -> int:
    return StaticToken.objects.filter(device__user_id=user.pk, device__confirmed=True).count()


def has_device(user: Any) -> bool:
    """Whether a second factor can verify the user: an authenticator, or recovery codes left."""
    return totp_device_of(user) is not None or recovery_codes_left(user) > 0
