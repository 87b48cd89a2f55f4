"""Routes of the laboratories' registry (namespace "lab")."""

from django.urls import path

from fangkong.lab.labs import views

urlpatterns = [
    path("labs/", views.lab_list, name="labs"),
    path("labs/<int:pk>/", views.lab_detail, name="lab"),
    path("labs/<int:pk>/status/", views.lab_status, name="lab_status"),
    path("labs/<int:pk>/staff/", views.lab_staff, name="lab_staff"),
]
