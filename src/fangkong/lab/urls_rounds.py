"""Routes of rounds, sites, sampling, custody, coverage and retests (namespace "lab")."""

from django.urls import path

from fangkong.lab import views_rounds

urlpatterns = [
    path("rounds/", views_rounds.round_list, name="rounds"),
    path("sampling/", views_rounds.sampling, name="sampling"),
]
