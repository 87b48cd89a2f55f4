"""Routes of the supply whitelist (namespace "supplies")."""

from django.urls import path

from fangkong.supplies.enterprises import views

urlpatterns = [
    path("enterprises/", views.enterprise_list, name="enterprises"),
    path("enterprises/<int:pk>/", views.enterprise_detail, name="enterprise"),
    path("enterprises/<int:pk>/status/", views.enterprise_status, name="enterprise_status"),
    path("enterprises/<int:pk>/staff/", views.enterprise_staff, name="enterprise_staff"),
    path("enterprises/<int:pk>/vehicles/", views.vehicle_add, name="vehicle_add"),
    path("enterprises/<int:pk>/couriers/", views.courier_add, name="courier_add"),
    path("couriers/<int:pk>/", views.courier_detail, name="courier"),
    path("couriers/<int:pk>/status/", views.courier_status, name="courier_status"),
    path("vehicles/<int:pk>/", views.vehicle_detail, name="vehicle"),
    path("vehicles/<int:pk>/status/", views.vehicle_status, name="vehicle_status"),
]
