from collections.abc import Callable

import pytest
from django.test import Client

from fangkong.accounts.models import User
from fangkong.accounts.services import token_create


def bearer_client(user: User) -> Client:
    _token, raw = token_create(user=user, name="tests")
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def as_(personas) -> Callable[[str], Client]:
    """`as_("street")`: a client authenticated with a bearer token of that persona."""
    clients: dict[str, Client] = {}

    def _as(role: str) -> Client:
        if role not in clients:
            clients[role] = bearer_client(personas[role])
        return clients[role]

    return _as
