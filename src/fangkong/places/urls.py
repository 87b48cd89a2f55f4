from django.urls import path

from fangkong.places import views

app_name = "places"
urlpatterns: list = []
