"""Routes of result uploads (namespace "lab")."""

from django.urls import path

from fangkong.lab.results import views

urlpatterns = [
    path("results/", views.upload, name="results"),
]
