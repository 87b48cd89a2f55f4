"""Routes of retests (namespace "lab")."""

from django.urls import path

from fangkong.lab.pools import views

urlpatterns = [
    path("retests/", views.retest_list, name="retests"),
]
