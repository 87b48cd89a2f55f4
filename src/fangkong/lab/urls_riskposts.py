"""Routes of risk-post workers (namespace "lab")."""

from django.urls import path

from fangkong.lab import views_riskposts

urlpatterns = [
    path("risk-posts/", views_riskposts.riskpost_list, name="riskposts"),
    path("risk-posts/<int:pk>/leave/", views_riskposts.riskpost_leave, name="riskpost_leave"),
]
