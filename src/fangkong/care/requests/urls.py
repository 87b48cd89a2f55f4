"""Routes of medical requests (namespace "care"); `public_urlpatterns`: the resident's own
page, without login (namespace "care_public")."""

from django.urls import path

from fangkong.care.requests import views

urlpatterns = [
    path("requests/", views.request_list, name="requests"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/route/", views.request_route_open, name="requests_route"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
]

public_urlpatterns = [
    path("my-care/", views.my_request, name="my_request"),
    path("my-care/leave/", views.my_request_leave, name="my_request_leave"),
]
