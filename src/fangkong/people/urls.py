from django.urls import path

from fangkong.people import views

app_name = "people"
urlpatterns: list = []
