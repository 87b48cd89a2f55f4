"""Routes of result uploads (namespace "lab")."""

from django.urls import path

from fangkong.lab import views_results

urlpatterns = [
    path("results/", views_results.upload, name="results"),
]
