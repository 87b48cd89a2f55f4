from django.urls import path

from fangkong.policy import views

app_name = "policy"
urlpatterns: list = []
