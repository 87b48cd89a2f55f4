from django.urls import path

from fangkong.web import views

urlpatterns = [path("", views.home, name="home")]
