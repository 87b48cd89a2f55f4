from django.urls import path

from fangkong.policy import views

app_name = "policy"
urlpatterns = [
    path("", views.profiles, name="profiles"),
    path("compare/", views.compare, name="compare"),
    path("upload/", views.upload, name="upload"),
    path("<int:pk>/", views.profile, name="profile"),
    path("<int:pk>/copy/", views.copy, name="copy"),
    path("<int:pk>/discard/", views.discard, name="discard"),
    path("<int:pk>/activate/", views.activate, name="activate"),
    path("<int:pk>/download/", views.download, name="download"),
    path("<int:pk>/upload/", views.upload, name="upload_into"),
    path("activations/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
]
