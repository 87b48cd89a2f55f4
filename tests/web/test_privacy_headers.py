"""Responses that may carry personal data are never stored by a browser or a proxy cache."""

from django.urls import reverse
from django.utils.cache import patch_cache_control

from fangkong.web.middleware import NoStoreMiddleware
from tests.api.conftest import bearer_client


def _no_store(response) -> bool:
    cache = response.get("Cache-Control", "")
    return "no-store" in cache and "private" in cache and "public" not in cache


def test_pages_exports_and_fragments_of_a_signed_in_user_are_not_stored(login, personas, people):
    client = login(personas["street"])
    for url in (
        "/",
        reverse("people:residents"),
        reverse("people:resident", args=[people["zhang"].pk]),
        reverse("people:key_persons_export"),
        "/no-such-page/",
    ):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        assert _no_store(response), (url, response.get("Cache-Control"))


def test_api_responses_are_not_stored(personas, people):
    client = bearer_client(personas["street"])
    response = client.get(reverse("api:resident_list"))
    assert response.status_code == 200
    assert _no_store(response)


def test_anonymous_pages_are_not_stored_either(client):
    for url in (reverse("login"), "/no-such-page/"):
        assert _no_store(client.get(url)), url


def test_static_files_keep_their_cache(client):
    response = client.get("/static/fangkong/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_a_signed_in_user_never_gets_a_cacheable_response(rf, personas):
    def cacheable_view(request):
        from django.http import HttpResponse

        response = HttpResponse("名单")
        patch_cache_control(response, public=True, max_age=3600)
        return response

    request = rf.get("/")
    request.user = personas["street"]
    assert _no_store(NoStoreMiddleware(cacheable_view)(request))


def test_a_public_page_may_choose_its_own_cache(rf):
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse

    def public_view(request):
        response = HttpResponse("风险区域")
        patch_cache_control(response, public=True, max_age=60)
        return response

    request = rf.get("/risk-zones/")
    request.user = AnonymousUser()
    assert NoStoreMiddleware(public_view)(request)["Cache-Control"] == "public, max-age=60"
    bearer = rf.get("/risk-zones/", HTTP_AUTHORIZATION="Bearer fk_x")
    bearer.user = AnonymousUser()
    assert _no_store(NoStoreMiddleware(public_view)(bearer))
