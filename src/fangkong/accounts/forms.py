import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fangkong.accounts import services, throttle
from fangkong.core.addresses import client_ip


class LoginForm(AuthenticationForm):
    """Username and password, checked only when neither the account nor the address waits."""

    wait_until: dt.datetime | None = None

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        if not username or not self.cleaned_data.get("password"):
            return super().clean()
        address = client_ip(self.request) if self.request is not None else ""
        keys = throttle.password_keys(username, address)
        self.wait_until = throttle.attempt_begin(keys)
        if self.wait_until is not None:
            raise ValidationError(throttle.wait_message(self.wait_until), code="throttled")
        try:
            cleaned = super().clean()
        except ValidationError:
            services.login_failure_record(username=username, address=address)
            raise
        throttle.attempt_succeeded(keys)
        return cleaned


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )

    def refuse(self, check: services.CodeCheck) -> int:
        """Say why the code was refused; returns the HTTP status of the page."""
        if check.wait_until is not None:
            self.add_error(None, throttle.wait_message(check.wait_until))
            return 429
        self.add_error(
            "code",
            _("That code is not right. Use the newest code, and check the time on your phone."),
        )
        return 200


class AppCodeForm(CodeForm):
    """A code from the authenticator app only (six digits)."""

    code = forms.CharField(
        label=_("Six-digit code from the app"),
        max_length=10,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}
        ),
    )
