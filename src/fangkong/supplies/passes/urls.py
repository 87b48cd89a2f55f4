"""Routes of the passes (namespace "supplies"; public ones: "supplies_public")."""

from django.urls import path

from fangkong.supplies.passes import views

urlpatterns = [
    path("passes/", views.pass_list, name="passes"),
    path("passes/<int:pk>/", views.pass_detail, name="pass"),
    path("passes/<int:pk>/revoke/", views.pass_revoke, name="pass_revoke"),
    path("couriers/<int:pk>/pass/", views.courier_pass_issue, name="courier_pass"),
    path("vehicles/<int:pk>/pass/", views.vehicle_pass_issue, name="vehicle_pass"),
]

public_urlpatterns = [
    path("pass-check/", views.pass_check, name="pass_check"),
    path("my-pass/", views.my_pass, name="my_pass"),
]
