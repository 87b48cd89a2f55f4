"""Error pages with DEBUG off (as in production): localised, in the layout, nothing internal.

pytest-django runs every test with DEBUG off, the production value.
"""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests import factories as f

SECRET = "internal detail 110101199003077777"


@pytest.fixture
def quiet_client() -> Client:
    """A client that receives the 500 page instead of re-raising the view's exception."""
    return Client(raise_request_exception=False)


def _english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_debug_is_off_in_tests_as_in_production():
    assert settings.DEBUG is False


def test_404_page_is_chinese_with_navigation_and_no_url_list(login, personas):
    page = login(personas["street"]).get("/no-such-page/")
    assert page.status_code == 404
    html = page.content.decode()
    assert "页面不存在" in html
    assert 'class="menu"' in html and 'data-section="residents"' in html
    assert "URLconf" not in html and "urlpatterns" not in html


def test_404_page_is_english_when_chosen(login, personas):
    client = _english(login(personas["street"]))
    html = client.get("/no-such-page/").content.decode()
    assert "Page not found" in html and "页面不存在" not in html


def test_404_page_for_a_visitor_has_the_layout_and_no_menu(client):
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    html = page.content.decode()
    assert "页面不存在" in html and 'class="topbar"' in html and 'class="menu"' not in html


def test_403_page_is_localised_with_navigation_and_names_no_capability(login, personas):
    page = login(personas["lab"]).get(reverse("audit:events"))
    assert page.status_code == 403
    html = page.content.decode()
    assert "无权访问" in html and 'class="menu"' in html
    assert "audit.view" not in html
    english = _english(login(personas["lab"])).get(reverse("audit:events")).content.decode()
    assert "Access denied" in english


def test_500_page_is_localised_in_the_layout_without_the_error(quiet_client, personas, monkeypatch):
    def broken(user):
        raise RuntimeError(SECRET)

    monkeypatch.setattr("fangkong.web.views.registry_figures", broken)
    f.sign_in(quiet_client, personas["street"])
    page = quiet_client.get("/")
    assert page.status_code == 500
    html = page.content.decode()
    assert "服务器出错" in html and 'class="topbar"' in html
    assert SECRET not in html and "Traceback" not in html
    _english(quiet_client)
    assert "Server error" in quiet_client.get("/").content.decode()


def test_csrf_failure_page_is_localised_with_navigation(personas):
    client = Client(enforce_csrf_checks=True)
    f.sign_in(client, personas["street"])
    page = client.post(reverse("logout"))
    assert page.status_code == 403
    html = page.content.decode()
    assert "表单已过期" in html and 'class="menu"' in html
    assert "cookie not set" not in html  # the reason is for the log, not for the user


def test_400_page_is_localised(client):
    page = client.get("/", HTTP_HOST="attacker.example")
    assert page.status_code == 400
    html = page.content.decode()
    assert "请求无效" in html and "attacker.example" not in html
