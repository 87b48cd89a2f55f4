"""Routes of risk zones (namespace "zones")."""

from django.urls import path

from fangkong.zones import views

app_name = "zones"
urlpatterns = [
    path("", views.zone_list, name="list"),
    path("draw/", views.zone_draw, name="draw"),
    path("places/", views.place_search, name="places"),
    path("evaluations/", views.evaluation_list, name="evaluations"),
    path("evaluations/run/", views.evaluations_run, name="evaluations_run"),
    path("evaluations/<int:pk>/decide/", views.evaluation_decide, name="evaluation_decide"),
    path("<int:pk>/", views.zone_detail, name="zone"),
    path("<int:pk>/activate/", views.zone_activate, name="activate"),
    path("<int:pk>/withdraw/", views.zone_withdraw, name="withdraw"),
    path("<int:pk>/level/", views.zone_level, name="level"),
    path("<int:pk>/extend/", views.zone_extend, name="extend"),
    path("<int:pk>/round/", views.zone_round, name="round"),
]

# Without login, at the site's root and without a namespace: /risk-zones/ (name "risk_zones").
public_urlpatterns = [
    path("risk-zones/", views.risk_zones, name="risk_zones"),
]
