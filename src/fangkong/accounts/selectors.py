"""Reads of accounts: a user sees only their own API tokens."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from fangkong.accounts.models import ApiToken


def tokens_for_user(user: Any) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user_id=user.pk)


def token_for_user(user: Any, pk: int) -> ApiToken:
    try:
        return tokens_for_user(user).get(pk=pk)
    except ApiToken.DoesNotExist:
        raise Http404 from None
