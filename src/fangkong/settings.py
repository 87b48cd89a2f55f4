"""Fangkong settings: one file, configured from the environment."""

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _
from whitenoise.compress import Compressor

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    return [v.strip() for v in value.split(",") if v.strip()] if value else default


VAR_DIR = Path(env_str("FANGKONG_VAR_DIR", str(PROJECT_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)
# DEBUG only when asked for (`make run` sets FANGKONG_DEBUG=1), and only DEBUG has a default key.
# Without FANGKONG_SECRET_KEY the key is empty: Django refuses anything that would sign with it
# (sessions, CSRF) and the web servers refuse to start (fangkong.web.checks.require_secret_key);
# tools that sign nothing (mypy, makemigrations, compilemessages) still load these settings.
DEBUG = env_bool("FANGKONG_DEBUG", False)
SECRET_KEY = env_str("FANGKONG_SECRET_KEY", "dev-only-insecure-key-change-me" if DEBUG else "")
ALLOWED_HOSTS = env_list("FANGKONG_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "fangkong.accounts.apps.AdminConfig",  # the Django admin, behind two-factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "ninja",  # serves Swagger UI's JS/CSS from its own static files: /api/docs works offline
    "fangkong.web",
    "fangkong.accounts",
    "fangkong.places",
    "fangkong.people",
    "fangkong.audit",
    "fangkong.policy",
    "fangkong.epi",
    "fangkong.lab",
    "fangkong.care",
    "fangkong.quarantine",
    "fangkong.travel",
    "fangkong.zones",
    "fangkong.healthcode",
    "fangkong.supplies",
    "fangkong.assistance",
    "fangkong.hotline",
    "fangkong.tally",
    "fangkong.command",
    "fangkong.demo",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "fangkong.web.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "fangkong.web.middleware.LanguageMiddleware",
    "fangkong.web.middleware.NulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "fangkong.web.middleware.TooManyFieldsMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "fangkong.web.middleware.SessionLifetimeMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "fangkong.accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "fangkong.urls"
WSGI_APPLICATION = "fangkong.wsgi.application"
ASGI_APPLICATION = "fangkong.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "web" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "fangkong.web.context.navigation",
            ],
        },
    },
]

_default_db = f"sqlite:///{VAR_DIR / 'fangkong.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL", _default_db))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
if os.environ.get("FANGKONG_TEST_DB_NAME"):  # lets parallel test runs use separate databases
    DATABASES["default"]["TEST"] = {"NAME": os.environ["FANGKONG_TEST_DB_NAME"]}

# Background work (contact finding): Django's tasks API; the database backend needs the worker
# `fangkong db_worker` (started by `make run`). Tests and single-process demos may set
# FANGKONG_TASKS_BACKEND=django.tasks.backends.immediate.ImmediateBackend.
TASKS = {
    "default": {"BACKEND": env_str("FANGKONG_TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["fangkong.accounts.backends.UserBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# --- Log-in, two-factor and lockout (fangkong.accounts; see docs/accounts.md) -----------------
# Failures against one account double the wait before its next attempt is even checked
# (first → 2 × first → … → max); a stranger only slows an account down, never locks it. The
# account's count is forgotten after LOGIN_FAILURES_FORGOTTEN_HOURS without a failure.
LOGIN_DELAY_FIRST_SECONDS = env_int("FANGKONG_LOGIN_DELAY_FIRST_SECONDS", 1)
LOGIN_DELAY_MAX_SECONDS = env_int("FANGKONG_LOGIN_DELAY_MAX_SECONDS", 15 * 60)
LOGIN_FAILURES_FORGOTTEN_HOURS = env_int("FANGKONG_LOGIN_FAILURES_FORGOTTEN_HOURS", 24)
# One network address: this many failures across any accounts within the window, and the
# address waits (caps password spraying). Two-factor codes have the account delay above.
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("FANGKONG_LOGIN_ADDRESS_FAILURE_LIMIT", 10)
LOGIN_ADDRESS_WINDOW_MINUTES = env_int("FANGKONG_LOGIN_ADDRESS_WINDOW_MINUTES", 15)
LOGIN_ADDRESS_WAIT_MINUTES = env_int("FANGKONG_LOGIN_ADDRESS_WAIT_MINUTES", 15)
# The client's address is REMOTE_ADDR, unless the server runs behind a reverse proxy
# (FANGKONG_BEHIND_PROXY=1): then it is the address the proxy appended to the header
# FANGKONG_CLIENT_IP_HEADER (default X-Forwarded-For), counting FANGKONG_PROXY_COUNT proxies
# from the right. Set it only behind a proxy, which must overwrite or append to that header.
CLIENT_IP_HEADER = (
    env_str("FANGKONG_CLIENT_IP_HEADER", "X-Forwarded-For")
    if env_bool("FANGKONG_BEHIND_PROXY", False)
    else ""
)
CLIENT_IP_PROXY_COUNT = env_int("FANGKONG_PROXY_COUNT", 1)
# Capabilities whose roles must use two-factor (comma-separated codes); empty: the default
# in fangkong.core.roles (reveal or export personal data). Superusers and staff always.
TWO_FACTOR_CAPS = env_list("FANGKONG_TWO_FACTOR_CAPS", [])
TWO_FACTOR_RECOVERY_CODES = env_int("FANGKONG_TWO_FACTOR_RECOVERY_CODES", 10)
OTP_TOTP_ISSUER = env_str("FANGKONG_TWO_FACTOR_ISSUER", "Fangkong")
OTP_TOTP_THROTTLE_FACTOR = 0  # codes are slowed down per account instead (above)
OTP_STATIC_THROTTLE_FACTOR = 0
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# --- end of log-in, two-factor and lockout ---------------------------------------------------

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "web" / "locale"]
TIME_ZONE = env_str("FANGKONG_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# Dates (fangkong.core.dates): no fact is recorded before the platform's epoch, and a plan
# (deadline, test day, end of validity) lies at most this many days ahead.
DATE_EPOCH = dt.date.fromisoformat(env_str("FANGKONG_EPOCH", "2019-12-01"))
PLAN_HORIZON_DAYS = env_int("FANGKONG_PLAN_HORIZON_DAYS", 366)

STATIC_URL = "/static/"
STATIC_ROOT = PROJECT_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
# `make serve` collects static files with content hashes in their names (and gzip copies), so
# WhiteNoise serves them with a year of immutable cache; `make run` and tests serve the sources.
_hashed_static = env_bool("FANGKONG_HASHED_STATIC", False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "fangkong.web.storage.HashedStaticStorage"
        if _hashed_static
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
NODE_MODULES = PROJECT_DIR / "node_modules"
# Front-end packages installed from the npm registry by `make env` (see package.json).
VENDOR_ASSETS = {
    "htmx": "htmx.org/dist",
    "echarts": "echarts/dist",
    "leaflet": "leaflet/dist",
    "jsqr": "jsqr/dist",  # the checkpoint page reads pass QR codes from the camera
}
STATICFILES_DIRS = [
    (f"vendor/{name}", str(NODE_MODULES / path)) for name, path in VENDOR_ASSETS.items()
]
WHITENOISE_USE_FINDERS = not _hashed_static
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]  # devtools only
# Map tiles behind risk-zone maps, e.g. https://tile.example/{z}/{x}/{y}.png. Empty (default):
# no tiles, only our own geometry on a blank map (command centres often run offline).
MAP_TILES = env_str("FANGKONG_MAP_TILES", "")
MAP_TILES_ATTRIBUTION = env_str("FANGKONG_MAP_TILES_ATTRIBUTION", "")

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# ── Production: HTTPS, proxy, sessions (docs/deploy.md) ──────────────────────────────────────
# FANGKONG_HTTPS=1 when people reach the platform over TLS: redirect plain HTTP, HSTS for a year
# (subdomains and preload included unless turned off), cookies only over HTTPS.
_https = env_bool("FANGKONG_HTTPS", False)
SECURE_SSL_REDIRECT = env_bool("FANGKONG_SSL_REDIRECT", _https)
SECURE_HSTS_SECONDS = env_int("FANGKONG_HSTS_SECONDS", 365 * 24 * 3600 if _https else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("FANGKONG_HSTS_INCLUDE_SUBDOMAINS", _https)
SECURE_HSTS_PRELOAD = env_bool("FANGKONG_HSTS_PRELOAD", _https)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = env_bool(
    "FANGKONG_SECURE_COOKIES", _https
)
# FANGKONG_BEHIND_PROXY=1 only behind a reverse proxy that sets X-Forwarded-Proto and Host itself
# (a client could send them too): HTTPS and the host are then taken from the proxy's headers.
_behind_proxy = env_bool("FANGKONG_BEHIND_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if _behind_proxy else None
USE_X_FORWARDED_HOST = _behind_proxy
CSRF_TRUSTED_ORIGINS = env_list("FANGKONG_CSRF_TRUSTED_ORIGINS", [])
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"  # no address (with its search terms) leaves the site
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# A session ends after FANGKONG_SESSION_IDLE_MINUTES without a request, and at the latest
# FANGKONG_SESSION_MAX_HOURS after login however busy (fangkong.web.middleware).
SESSION_COOKIE_AGE = env_int("FANGKONG_SESSION_IDLE_MINUTES", 30) * 60
SESSION_ABSOLUTE_AGE = env_int("FANGKONG_SESSION_MAX_HOURS", 12) * 3600
CSRF_FAILURE_VIEW = "fangkong.web.errors.csrf_failure"

# Pages and exports are capped so one click never pulls a whole city into memory.
PAGE_SIZE = env_int("FANGKONG_PAGE_SIZE", 50)
EXPORT_MAX_ROWS = env_int("FANGKONG_EXPORT_MAX_ROWS", 200_000)
IMPORT_MAX_UPLOAD_MB = env_int("FANGKONG_IMPORT_MAX_UPLOAD_MB", 200)
# A photo taken as proof (a delivery at the door): a phone's picture, not a file to import.
PHOTO_MAX_UPLOAD_MB = env_int("FANGKONG_PHOTO_MAX_UPLOAD_MB", 5)
# Imported files are checked against these before and while they are parsed (docs/import.md):
# rows after the header and columns per row, and for XLSX what the zip archive unpacks to.
IMPORT_MAX_ROWS = env_int("FANGKONG_IMPORT_MAX_ROWS", 5_000_000)
IMPORT_MAX_COLUMNS = env_int("FANGKONG_IMPORT_MAX_COLUMNS", 100)
IMPORT_MAX_UNCOMPRESSED_MB = env_int("FANGKONG_IMPORT_MAX_UNCOMPRESSED_MB", 600)
IMPORT_MAX_MEMBER_MB = env_int("FANGKONG_IMPORT_MAX_MEMBER_MB", 500)
IMPORT_MAX_RATIO = env_int("FANGKONG_IMPORT_MAX_RATIO", 100)
IMPORT_MAX_MEMBERS = env_int("FANGKONG_IMPORT_MAX_MEMBERS", 1000)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("FANGKONG_LOG_LEVEL", "WARNING")},
}

FORMAT_MODULE_PATH = None
LANGUAGE_NAMES = {code: _(name) for code, name in LANGUAGES}

# ── Content-Security-Policy and Permissions-Policy (docs/front-end-security.md) ─────────────
# Pages run only our own static scripts and styles: no inline <script>, on…= handler or
# <style>/style="" in any template (tests/web/test_csp.py scans them); data reaches scripts
# through json_script and data- attributes. ECharts and Leaflet run without eval; htmx is told
# not to eval nor inject styles (the htmx-config meta tag in base.html). Images may also come
# from the map tile server, when FANGKONG_MAP_TILES names one ({s} subdomains become *).
INSTALLED_APPS += ["csp"]
MIDDLEWARE += [
    "csp.middleware.CSPMiddleware",
    "fangkong.web.middleware.PermissionsPolicyMiddleware",
]
_TILES_ORIGIN = "/".join(MAP_TILES.split("/")[:3]).replace("{s}", "*") if "://" in MAP_TILES else ""
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *([_TILES_ORIGIN] if _TILES_ORIGIN else [])],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}
# Browser features no page uses, off for every page and any frame in it. The phone sampling
# page reads barcodes from a scanner that types into the field, not from the camera.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "bluetooth",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}
# ── end of Content-Security-Policy and Permissions-Policy ───────────────────────────────────
