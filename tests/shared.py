"""Building blocks for fixtures shared by the tests of a module."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.test import override_settings

MD5 = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # as the autouse fixture does


@contextmanager
def rolled_back(django_db_blocker: Any) -> Iterator[None]:
    """Rows built once for a module's tests, inside a transaction rolled back at the module's
    end: each test's own transaction (the `db` fixture) nests in it as a savepoint, so what a
    test changes is gone for the next, and what the module built is gone for later modules.
    Users are made with the suite's fast password hashing."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=MD5):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
