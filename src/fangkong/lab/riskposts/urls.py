"""Routes of risk-post workers (namespace "lab")."""

from django.urls import path

from fangkong.lab.riskposts import views

urlpatterns = [
    path("risk-posts/", views.riskpost_list, name="riskposts"),
    path("risk-posts/<int:pk>/leave/", views.riskpost_leave, name="riskpost_leave"),
]
