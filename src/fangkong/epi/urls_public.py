"""Pages without login: health-code verification and a person's own status and appeal."""

from django.urls import path

from fangkong.epi import views_status

app_name = "public"
urlpatterns = [
    path("v/<str:token>/", views_status.verify, name="verify"),
    path("my-code/", views_status.my_code, name="my_code"),
    path("my-code/appeal/", views_status.my_code_appeal, name="my_code_appeal"),
    path("my-code/leave/", views_status.my_code_leave, name="my_code_leave"),
]
