from django.urls import path

from fangkong.policy import views

app_name = "policy"
urlpatterns = [
    path("", views.profiles, name="profiles"),
    path("<int:pk>/activate/", views.activate, name="activate"),
]
