"""Routes of the 120 side (namespace "care")."""

from django.urls import path

from fangkong.care.dispatch import views

urlpatterns = [
    path("dispatch/", views.queue, name="dispatch_queue"),
    path("dispatch/110/", views.transfer_110, name="dispatch_110"),
    path("dispatch/vehicles/", views.vehicles, name="vehicles"),
    path("dispatch/<int:pk>/", views.dispatch_detail, name="dispatch"),
]
