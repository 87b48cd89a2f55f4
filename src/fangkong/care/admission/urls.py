"""Routes of the hospital side and the SLA board (namespace "care")."""

from django.urls import path

from fangkong.care.admission import views

urlpatterns = [
    path("board/", views.board, name="board"),
    path("requests/<int:pk>/admission/", views.admission, name="admission"),
    path("requests/<int:pk>/admission/confirm/", views.admission_confirm, name="admission_confirm"),
    path("incidents/", views.incidents, name="incidents"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident"),
]
