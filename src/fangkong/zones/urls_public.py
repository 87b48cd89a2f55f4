"""Public routes of risk zones (no login)."""

from django.urls import path

from fangkong.zones import views

urlpatterns = [
    path("risk-zones/", views.risk_zones, name="risk_zones"),
]
