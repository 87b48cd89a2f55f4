"""Open311 GeoReport v2 (namespace "open311"), mounted at /open311/v2/."""

from django.urls import path, re_path

from fangkong.hotline.open311 import views

app_name = "open311"

FMT = r"\.(?P<ext>json|xml|[a-z0-9]{1,8})"
urlpatterns = [
    path("", views.root, name="root"),
    re_path(rf"^discovery{FMT}$", views.discovery, name="discovery"),
    re_path(rf"^services{FMT}$", views.service_list, name="services"),
    re_path(
        rf"^services/(?P<code>[A-Za-z0-9_-]{{1,40}}){FMT}$",
        views.service_definition,
        name="service",
    ),
    re_path(rf"^requests{FMT}$", views.requests_view, name="requests"),
    re_path(
        rf"^requests/(?P<number>[A-Za-z0-9_-]{{1,40}}){FMT}$", views.request_one, name="request"
    ),
    re_path(rf"^tokens/(?P<token>[A-Za-z0-9_-]{{1,40}}){FMT}$", views.token_view, name="token"),
]
