from django.urls import path

from fangkong.places import views

app_name = "places"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("map/", views.base_map, name="map"),  # before the keys, which are digits
    path("<str:key>/", views.node, name="node"),
    path("<str:key>/add/", views.add_child, name="add_child"),
    path("<str:key>/rename/", views.rename, name="rename"),
]
