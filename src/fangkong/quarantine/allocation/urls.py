"""Routes of allocation (namespace "quarantine", included by quarantine/urls.py)."""

from django.urls import path

from fangkong.quarantine.allocation import views

urlpatterns = [
    path("allocate/", views.allocate, name="allocate"),
    path("allocations/<int:pk>/", views.allocation_detail, name="allocation"),
    path(
        "allocations/<int:pk>/<str:action>/",
        views.allocation_action,
        name="allocation_action",
    ),
]
