"""Routes of the checkins pages (included by epi/urls.py under the "epi" namespace)."""

from django.urls import path

from fangkong.epi import views_checkins

urlpatterns = [
    path("checkins/", views_checkins.checkin_import, name="checkins"),
]
