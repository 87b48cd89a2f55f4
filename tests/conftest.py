import os

import pytest
from django.core.cache import cache
from hypothesis import settings as hypothesis_settings

from tests import factories as f

# Timing-based deadlines flake on a loaded 2-core machine; CI also runs a fixed example set.
hypothesis_settings.register_profile(
    "fangkong", deadline=None, derandomize=bool(os.environ.get("CI"))
)
hypothesis_settings.load_profile("fangkong")


# Tests whose result does not depend on the database run in one half of `make test` only
# (scripts/test): path prefix → (the half, why), and every test that reaches no database (below).
# The SQLite half skips `once_postgres`, the PostgreSQL half `once_sqlite`; a plain `pytest` runs
# everything.
ONCE = {
    "tests/browser/": ("sqlite", "pages in a real browser; what they read is tested on both"),
    "tests/security/test_parser_properties.py": ("sqlite", "file and JSON parsers, no database"),
    "tests/web/test_deploy.py": ("sqlite", "settings, and `check --deploy` in a subprocess"),
    "tests/web/test_translations.py": ("sqlite", "the message catalogue and the templates"),
    "tests/web/test_csp.py": ("sqlite", "response headers; what the pages read is on both"),
    "tests/test_layout.py": ("sqlite", "the source code's imports"),
    "tests/policy/test_no_policy_numbers_in_code.py": ("sqlite", "the source code's literals"),
    # Every route × every role: the scoping is in the views and selectors; the one database
    # difference, prefix_q, is tested on both (tests/web/test_scope_matrix.py, tests/api).
    "tests/security/test_scope_matrix.py": ("postgres", "the production database"),
    "tests/security/test_schemathesis.py": ("postgres", "the production database"),
}


# A test that reaches no database (no `db`-like fixture, no `django_db` mark) gives the same
# result in both halves: it runs in the SQLite half only.
DATABASE_FIXTURES = {"db", "transactional_db", "django_db_setup", "live_server"}


def _reaches_no_database(item: pytest.Item) -> bool:
    fixtures = set(getattr(item, "fixturenames", ()))
    return not fixtures & DATABASE_FIXTURES and item.get_closest_marker("django_db") is None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = config.rootpath
    for item in items:
        path = item.path.relative_to(root).as_posix()
        halves = [half for prefix, (half, _why) in ONCE.items() if path.startswith(prefix)]
        if not halves and _reaches_no_database(item):
            halves = ["sqlite"]
        for half in halves:
            item.add_marker(getattr(pytest.mark, f"once_{half}"))


def pytest_configure(config: pytest.Config) -> None:
    """Tests run as production does, DEBUG off, where settings have no secret key of their own
    (servers refuse to start without FANGKONG_SECRET_KEY): the suite signs with a key of its own."""
    from django.conf import settings

    settings.SECRET_KEY = os.environ.get("FANGKONG_SECRET_KEY") or "tests-only-key-0123456789"


@pytest.fixture
def city(db):
    return f.make_city()


@pytest.fixture
def people(city):
    """Three residents in 魏都区 (one household, one key person) and one in 建安区."""
    unit = city.w[f.Level.UNIT]
    home = f.household(unit, "HH-W-1")
    zhang = f.resident(unit, "张伟", phone="13900000001", household=home)
    li = f.resident(unit, "李秀英", sex="F", household=home)
    wang = f.resident(unit, "王芳", sex="F")
    f.key_person(zhang, "elderly_alone")
    other = f.resident(city.j[f.Level.UNIT], "赵强", phone="13900000009")
    return {"zhang": zhang, "li": li, "wang": wang, "other": other, "home": home}


@pytest.fixture
def personas(city):
    return f.personas(city)


@pytest.fixture
def login(client):
    """`login(user)`: the test client logged in as `user` (verified by a second factor when
    the user's role requires one)."""

    def _login(user):
        return f.sign_in(client, user)

    return _login


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing costs ~0.3 s per user; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: the public pages' attempts per address (/my-code/,
    /my-care/, /my-assistance/…) would otherwise add up across the tests of one worker until
    one of them is throttled."""
    cache.clear()
