from typing import Any

from django.contrib.auth.backends import ModelBackend

from fangkong.accounts.models import User


class UserBackend(ModelBackend):
    """Django's password backend; the session's user comes with their jurisdiction (every page
    shows it and scopes by it), in the query that loads the user."""

    def get_user(self, user_id: Any) -> User | None:
        user = User.objects.select_related("jurisdiction").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
