"""Routes of the status pages (included by epi/urls.py under the "epi" namespace)."""

from django.urls import path

from fangkong.epi import views_status

urlpatterns = [
    path("appeals/", views_status.appeal_list, name="appeals"),
]
