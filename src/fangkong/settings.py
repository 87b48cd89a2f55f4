"""Fangkong settings: one file, configured from the environment."""

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

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
DEBUG = env_bool("FANGKONG_DEBUG", True)
SECRET_KEY = env_str("FANGKONG_SECRET_KEY", "dev-only-insecure-key-change-me-in-production")
ALLOWED_HOSTS = env_list("FANGKONG_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "ninja",  # serves Swagger UI's JS/CSS from its own static files: /api/docs works offline
    "fangkong.web",
    "fangkong.accounts",
    "fangkong.places",
    "fangkong.people",
    "fangkong.audit",
    "fangkong.policy",
    "fangkong.epi",
    "fangkong.lab",
    "fangkong.quarantine",
    "fangkong.travel",
    "fangkong.zones",
    "fangkong.tally",
    "fangkong.command",
    "fangkong.demo",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "fangkong.web.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
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
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Login throttling (django-axes): lock a username+address after repeated failures.
AXES_FAILURE_LIMIT = env_int("FANGKONG_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("FANGKONG_LOGIN_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "web" / "locale"]
TIME_ZONE = env_str("FANGKONG_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# Dates (fangkong.dates): no fact is recorded before the platform's epoch, and a plan
# (deadline, test day, end of validity) lies at most this many days ahead.
DATE_EPOCH = dt.date.fromisoformat(env_str("FANGKONG_EPOCH", "2019-12-01"))
PLAN_HORIZON_DAYS = env_int("FANGKONG_PLAN_HORIZON_DAYS", 366)

STATIC_URL = "/static/"
STATIC_ROOT = PROJECT_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
NODE_MODULES = PROJECT_DIR / "node_modules"
# Front-end packages installed from the npm registry by `make env` (see package.json).
VENDOR_ASSETS = {"htmx": "htmx.org/dist", "echarts": "echarts/dist", "leaflet": "leaflet/dist"}
STATICFILES_DIRS = [
    (f"vendor/{name}", str(NODE_MODULES / path)) for name, path in VENDOR_ASSETS.items()
]
WHITENOISE_USE_FINDERS = True
# Map tiles behind risk-zone maps, e.g. https://tile.example/{z}/{x}/{y}.png. Empty (default):
# no tiles, only our own geometry on a blank map (command centres often run offline).
MAP_TILES = env_str("FANGKONG_MAP_TILES", "")
MAP_TILES_ATTRIBUTION = env_str("FANGKONG_MAP_TILES_ATTRIBUTION", "")

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Pages and exports are capped so one click never pulls a whole city into memory.
PAGE_SIZE = env_int("FANGKONG_PAGE_SIZE", 50)
EXPORT_MAX_ROWS = env_int("FANGKONG_EXPORT_MAX_ROWS", 200_000)
IMPORT_MAX_UPLOAD_MB = env_int("FANGKONG_IMPORT_MAX_UPLOAD_MB", 200)
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
