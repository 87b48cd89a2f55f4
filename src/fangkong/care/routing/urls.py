"""Routes of the routing table (namespace "care")."""

from django.urls import path

from fangkong.care.routing import views

urlpatterns = [path("routing/", views.routing_table, name="routing")]
