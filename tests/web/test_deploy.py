"""The production configuration: settings from the environment, `check --deploy`, `scripts/serve`.

Each case starts a fresh interpreter, because settings are read from the environment once, at
import, and the test process already has its own.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.core.management.utils import get_random_secret_key

ROOT = Path(__file__).resolve().parents[2]
KEY = get_random_secret_key()  # 50 characters, as `check --deploy` wants
PRODUCTION = {
    "FANGKONG_SECRET_KEY": KEY,
    "FANGKONG_HTTPS": "1",
    "FANGKONG_BEHIND_PROXY": "1",
    "FANGKONG_ALLOWED_HOSTS": "fangkong.example.cn",
    "FANGKONG_CSRF_TRUSTED_ORIGINS": "https://fangkong.example.cn",
}
SHOWN = (
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_PROXY_SSL_HEADER",
    "USE_X_FORWARDED_HOST",
    "SESSION_COOKIE_AGE",
    "SESSION_ABSOLUTE_AGE",
)


def _environ(**env: str) -> dict[str, str]:
    """The machine's environment without FANGKONG_ or DJANGO_ variables (the browser tests set
    DJANGO_ALLOW_ASYNC_UNSAFE, which `check --deploy` rightly refuses), plus env."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FANGKONG_", "DJANGO_"))}
    clean["PYTHONPATH"] = str(ROOT / "src")
    clean["DJANGO_SETTINGS_MODULE"] = "fangkong.settings"
    return {**clean, **env}


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, env=_environ(**env), cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def _settings(**env: str) -> dict:
    code = (
        "import json, fangkong.settings as s; "
        f"print(json.dumps({{k: getattr(s, k) for k in {SHOWN!r}}}))"
    )
    done = _run([sys.executable, "-c", code], **env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_debug_is_off_unless_asked_for():
    assert _settings(FANGKONG_SECRET_KEY=KEY)["DEBUG"] is False
    assert _settings(FANGKONG_DEBUG="1")["DEBUG"] is True


def test_without_a_secret_key_there_is_none_and_the_server_does_not_start():
    assert _settings()["SECRET_KEY"] == ""  # no default key: Django refuses to sign with ""
    gunicorn = [str(Path(sys.executable).parent / "gunicorn"), "--check-config"]
    done = _run([*gunicorn, "fangkong.wsgi:application"])
    assert done.returncode != 0
    assert "ImproperlyConfigured: FANGKONG_SECRET_KEY is not set" in done.stderr + done.stdout
    assert _run([*gunicorn, "fangkong.wsgi:application"], FANGKONG_SECRET_KEY=KEY).returncode == 0


def test_development_has_a_local_key_only_with_debug_on():
    dev = _settings(FANGKONG_DEBUG="1")
    assert dev["SECRET_KEY"] and dev["SECRET_KEY"] != KEY
    assert _settings(FANGKONG_SECRET_KEY=KEY)["SECRET_KEY"] == KEY


def test_https_and_proxy_headers_come_from_the_environment():
    s = _settings(**PRODUCTION)
    assert s["SECURE_SSL_REDIRECT"] is True
    assert s["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert s["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert s["SECURE_HSTS_PRELOAD"] is True
    assert s["SESSION_COOKIE_SECURE"] is True
    assert s["CSRF_COOKIE_SECURE"] is True
    assert s["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert s["USE_X_FORWARDED_HOST"] is True
    assert s["ALLOWED_HOSTS"] == ["fangkong.example.cn"]
    assert s["CSRF_TRUSTED_ORIGINS"] == ["https://fangkong.example.cn"]


def test_plain_http_is_the_default_and_trusts_no_proxy_header():
    s = _settings(FANGKONG_SECRET_KEY=KEY)
    assert s["SECURE_SSL_REDIRECT"] is False
    assert s["SECURE_HSTS_SECONDS"] == 0
    assert s["SESSION_COOKIE_SECURE"] is False
    assert s["SECURE_PROXY_SSL_HEADER"] is None
    assert s["USE_X_FORWARDED_HOST"] is False


def test_sessions_last_30_idle_minutes_and_12_hours_at_most_unless_configured():
    s = _settings(FANGKONG_SECRET_KEY=KEY)
    assert (s["SESSION_COOKIE_AGE"], s["SESSION_ABSOLUTE_AGE"]) == (30 * 60, 12 * 3600)
    s = _settings(
        FANGKONG_SECRET_KEY=KEY,
        FANGKONG_SESSION_IDLE_MINUTES="10",
        FANGKONG_SESSION_MAX_HOURS="8",
    )
    assert (s["SESSION_COOKIE_AGE"], s["SESSION_ABSOLUTE_AGE"]) == (10 * 60, 8 * 3600)


def test_check_deploy_is_clean_under_the_production_configuration():
    fangkong = [sys.executable, "-m", "fangkong.cli", "check", "--deploy", "--fail-level=WARNING"]
    done = _run(fangkong, **PRODUCTION)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout
    # The same check has teeth: without HTTPS it names what is missing.
    plain = _run(fangkong, FANGKONG_SECRET_KEY=KEY)
    assert plain.returncode != 0
    for missing in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert missing in plain.stderr


def test_serve_refuses_to_start_without_a_secret_key():
    done = _run(["bash", str(ROOT / "scripts" / "serve")])
    assert done.returncode != 0
    assert "FANGKONG_SECRET_KEY" in done.stderr
    assert "Traceback" not in done.stderr
