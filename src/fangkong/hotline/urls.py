"""The hotline app's one URL module (namespace "hotline"); `public_urlpatterns`: the public
form and the caller's own page, without login (namespace "hotline_public")."""

from django.urls import path

from fangkong.hotline.dispatch import views as dispatch_views
from fangkong.hotline.requests import views

app_name = "hotline"

urlpatterns = [
    path("", views.request_list, name="requests"),
    path("intake/", views.intake, name="intake"),
    path("wechat/", views.wechat, name="wechat"),
    path("<int:pk>/", views.request_detail, name="request"),
    path("departments/", dispatch_views.departments, name="departments"),
]

public_urlpatterns = [
    path("12345/", views.public_form, name="form"),
    path("12345/r/<str:token>/", views.public_mine, name="mine"),
]
