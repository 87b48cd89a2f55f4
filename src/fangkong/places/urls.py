from django.urls import path

from fangkong.places import views

app_name = "places"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("<str:key>/", views.node, name="node"),
]
