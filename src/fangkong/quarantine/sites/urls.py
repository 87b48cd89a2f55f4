"""Routes of sites, rooms and stays (namespace "quarantine", included by quarantine/urls.py)."""

from django.urls import path

from fangkong.quarantine.sites import views

urlpatterns = [
    path("sites/", views.site_list, name="sites"),
    path("sites/<int:pk>/", views.site_detail, name="site"),
    path("sites/<int:pk>/rooms/", views.site_rooms_add, name="site_rooms"),
    path("sites/<int:pk>/rooms/import/", views.site_rooms_import, name="site_rooms_import"),
    path("sites/<int:pk>/rooms/status/", views.site_rooms_status, name="site_rooms_status"),
    path("sites/<int:pk>/staff/", views.site_staff, name="site_staff"),
    path("sites/<int:pk>/in-use/", views.site_in_use, name="site_in_use"),
    path("sites/<int:pk>/stays/", views.site_stays, name="site_stays"),
    path("rooms/<int:pk>/", views.room_detail, name="room"),
    path("stays/<int:pk>/move/", views.stay_move, name="stay_move"),
]
