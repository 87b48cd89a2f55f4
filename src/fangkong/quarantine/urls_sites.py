"""Routes of sites, rooms, stays and allocation (namespace "quarantine")."""

from django.urls import path

from fangkong.quarantine import views_sites

urlpatterns = [
    path("sites/", views_sites.site_list, name="sites"),
    path("sites/<int:pk>/", views_sites.site_detail, name="site"),
    path("sites/<int:pk>/rooms/", views_sites.site_rooms_add, name="site_rooms"),
    path("sites/<int:pk>/rooms/import/", views_sites.site_rooms_import, name="site_rooms_import"),
    path("sites/<int:pk>/rooms/status/", views_sites.site_rooms_status, name="site_rooms_status"),
    path("sites/<int:pk>/staff/", views_sites.site_staff, name="site_staff"),
    path("sites/<int:pk>/stays/", views_sites.site_stays, name="site_stays"),
    path("rooms/<int:pk>/", views_sites.room_detail, name="room"),
    path("stays/<int:pk>/move/", views_sites.stay_move, name="stay_move"),
    path("allocate/", views_sites.allocate, name="allocate"),
    path("allocations/<int:pk>/", views_sites.allocation_detail, name="allocation"),
    path(
        "allocations/<int:pk>/<str:action>/",
        views_sites.allocation_action,
        name="allocation_action",
    ),
]
