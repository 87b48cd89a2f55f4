"""Only the API, mounted where the project mounts it, so these tests do not depend on pages."""

from django.urls import path

from fangkong.api import api

urlpatterns = [path("api/", api.urls)]
