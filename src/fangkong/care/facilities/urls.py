"""Routes of the medical facilities' registry (namespace "care")."""

from django.urls import path

from fangkong.care.facilities import views

urlpatterns = [
    path("facilities/", views.facility_list, name="facilities"),
    path("facilities/<int:pk>/", views.facility_detail, name="facility"),
    path("facilities/<int:pk>/status/", views.facility_status, name="facility_status"),
    path("facilities/<int:pk>/staff/", views.facility_staff, name="facility_staff"),
]
