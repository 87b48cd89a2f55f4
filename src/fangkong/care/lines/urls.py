from django.urls import path

from fangkong.care.lines import views

urlpatterns = [
    path("lines/", views.line_list, name="lines"),
    path("lines/<int:pk>/", views.line_edit, name="line"),
    path("lines/<int:pk>/remove/", views.line_remove, name="line_remove"),
]
