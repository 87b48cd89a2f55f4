"""Routes of the situation import (included by fangkong.command.urls, namespace "command")."""

from django.urls import path

from fangkong.command.situation import views

urlpatterns = [
    path("situation/import/", views.import_page, name="situation_import"),
    path("situation/import/confirm/", views.confirm, name="situation_confirm"),
]
