"""Routes of the check-in pages (included by epi/urls.py under the "epi" namespace)."""

from django.urls import path

from fangkong.epi.checkins import views

urlpatterns = [
    path("checkins/", views.checkin_import, name="checkins"),
]
