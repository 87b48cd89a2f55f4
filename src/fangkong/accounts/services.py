import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import verify_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from fangkong.accounts import selectors, throttle
from fangkong.accounts.models import ApiToken, User, hash_token
from fangkong.audit.services import ANONYMOUS, event_record
from fangkong.core.access import key_filter, scope_key
from fangkong.core.errors import field_error
from fangkong.core.roles import Role
from fangkong.places.models import Division


@transaction.atomic
def token_create(*, user: User, name: str, valid_days: int | None = None) -> tuple[ApiToken, str]:
    """Create a token and return it with its raw value, which is never stored."""
    raw = ApiToken.new_raw()
    token = ApiToken.objects.create(
        user=user,
        name=name.strip() or "API",
        lookup=raw[:10],
        digest=hash_token(raw),
        expires_at=timezone.now() + dt.timedelta(days=valid_days) if valid_days else None,
    )
    event_record(actor=user, action="token.created", obj=token)
    return token, raw


@transaction.atomic
def token_revoke(*, token: ApiToken, actor: Any) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        event_record(actor=actor, action="token.revoked", obj=token)


def token_for_raw(raw: str) -> ApiToken | None:
    """The usable token with this raw value, its user loaded; None for anything else."""
    token = (
        ApiToken.objects.select_related("user", "user__jurisdiction")
        .filter(digest=hash_token(raw))
        .first()
    )
    if token is None or not token.is_usable or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


SYSTEM_USERNAME = "system"


def system_actor() -> User:
    """The platform's own account, for changes that follow from data, not from a person's
    decision: a positive single-tube result opens a case at once, wherever the person lives.

    Made on first use: the command-centre role (every capability) over the root of the place
    tree; inactive and without a usable password, so nobody can log in as it or get a token.
    Its events name whom it acted for in their basis and data.
    """
    root = Division.objects.filter(parent__isnull=True).order_by("key").first()
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"role": Role.COMMAND, "is_active": False, "jurisdiction": root},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    elif user.is_active or user.has_usable_password():
        raise ImproperlyConfigured(
            f"The account {SYSTEM_USERNAME!r} belongs to a person; rename it so the system "
            "account can be made"
        )
    if root is not None and user.jurisdiction_id != root.pk:
        user.jurisdiction = root
        user.save(update_fields=["jurisdiction"])
    return user


# Log-in and two-factor ------------------------------------------------------------------------

# Session key: the user had a second factor when logging in, so the session owes a code even
# when the role does not require one (set on every login, read by the two-factor middleware).
HAS_DEVICE_SESSION_KEY = "two_factor_device"


def _account_event(user: User, action: str, *, actor: Any = None, **data: Any) -> None:
    key = user.jurisdiction.key if user.jurisdiction_id else ""  # type: ignore[union-attr]
    event_record(actor=actor or user, action=action, obj=user, division_key=key, data=data)


def login_failure_record(*, username: str, address: str) -> None:
    """A wrong password for an existing account is an event in its jurisdiction's log."""
    user = User.objects.select_related("jurisdiction").filter(username=username).first()
    if user is not None:
        _account_event(user, "login.failed", actor=address or ANONYMOUS, address=address)


def two_factor_note_login(sender: Any, request: HttpRequest | None, user: User, **kw: Any) -> None:
    """On every login, remember whether the user has a second factor (see the middleware)."""
    if request is not None and hasattr(request, "session"):
        request.session[HAS_DEVICE_SESSION_KEY] = selectors.has_device(user)


@dataclass(frozen=True)
class CodeCheck:
    device: Device | None = None  # the device that accepted the code
    wait_until: dt.datetime | None = None  # set when refused unchecked: too many failures

    @property
    def ok(self) -> bool:
        return self.device is not None


def code_normalised(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _code_matches(user: User, token: str, devices: Sequence[Device]) -> Device | None:
    for device in devices:
        if verify_token(user, device.persistent_id, token) is not None:
            return device
    return None


def _is_app_code(token: str) -> bool:
    return token.isdigit() and len(token) == 6


def _devices_for(user: User, token: str, *, recovery: bool) -> list[Device]:
    if _is_app_code(token):
        return list(TOTPDevice.objects.filter(user=user, confirmed=True))
    if recovery:
        return list(StaticDevice.objects.filter(user=user, confirmed=True))
    return []


def code_check(
    *, user: User, code: str, devices: Sequence[Device] | None = None, recovery: bool = True
) -> CodeCheck:
    """Check a code from the user's authenticator (or one of their recovery codes).

    Attempts are slowed down per account like passwords; a wrong code and a recovery code
    used are events. `devices` narrows the check (enrolment: the device being set up).
    """
    keys = throttle.code_keys(user.pk)
    until = throttle.attempt_begin(keys)
    if until is not None:
        return CodeCheck(wait_until=until)
    token = code_normalised(code)
    if devices is None:
        candidates = _devices_for(user, token, recovery=recovery)
    else:
        candidates = list(devices) if _is_app_code(token) else []
    device = _code_matches(user, token, candidates)
    if device is None:
        _account_event(user, "two_factor.failed")
        return CodeCheck()
    throttle.attempt_succeeded(keys)
    if isinstance(device, StaticDevice):
        _account_event(user, "two_factor.recovery_used", left=device.token_set.count())
    return CodeCheck(device=device)


def totp_device_pending(user: User) -> TOTPDevice:
    """The authenticator being set up: the same one until confirmed, so a reload of the page
    keeps the secret that was scanned."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def _recovery_codes_new(user: User) -> list[str]:
    device = selectors.recovery_device_of(user)
    if device is None:
        device = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.TWO_FACTOR_RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


@transaction.atomic
def two_factor_enrol(*, user: User, device: TOTPDevice) -> list[str]:
    """Confirm the authenticator (a code from it was checked); returns new recovery codes,
    to be shown once. Any other authenticator of the user is removed."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    codes = _recovery_codes_new(user)
    _account_event(user, "two_factor.enrolled")
    return codes


@transaction.atomic
def recovery_codes_replace(*, user: User) -> list[str]:
    """New recovery codes; the old ones stop working."""
    codes = _recovery_codes_new(user)
    _account_event(user, "two_factor.recovery_regenerated")
    return codes


@transaction.atomic
def two_factor_remove(*, user: User, actor: Any) -> None:
    """Remove the user's authenticator and recovery codes (a lost or replaced phone)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    _account_event(user, "two_factor.removed", actor=actor)


def staff_set(
    *,
    actor: Any,
    obj: Any,
    usernames: Iterable[str],
    action: str,
    check: Callable[[list[User], list[str]], None] | None = None,
) -> tuple[int, int]:
    """Make exactly these accounts the staff (`obj.staff`) of a site, a lab…; returns (added,
    removed) and audits the change once. Staff come from the actor's jurisdiction (those
    already on the staff may stay); anyone else is "no such user", so the form tells nothing
    about other districts' accounts. `check(users, wanted)` raises what else is refused."""
    wanted = sorted({u.strip() for u in usernames if u and u.strip()})
    before = {u.username: u for u in obj.staff.all()}
    users = list(
        User.objects.filter(username__in=wanted, is_active=True).filter(
            key_filter(scope_key(actor), "jurisdiction__key")
            | Q(pk__in=[u.pk for u in before.values()])
        )
    )
    unknown = sorted(set(wanted) - {u.username for u in users})
    if unknown:
        raise field_error(
            "staff", _("No active user named %(names)s") % {"names": ", ".join(unknown)}
        )
    if check is not None:
        check(users, wanted)
    added = [u for u in users if u.username not in before]
    removed = [u for name, u in before.items() if name not in wanted]
    if not added and not removed:
        return 0, 0
    obj.staff.add(*added)
    obj.staff.remove(*removed)
    event_record(
        actor=actor,
        action=action,
        obj=obj,
        field="staff",
        from_value=", ".join(sorted(before)),
        to_value=", ".join(wanted),
        data={
            "added": sorted(u.username for u in added),
            "removed": sorted(u.username for u in removed),
        },
    )
    return len(added), len(removed)
