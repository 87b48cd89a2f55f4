"""Routes of trip reports, arrival tests and hand-overs (namespace "travel")."""

from django.urls import path

from fangkong.travel import views

app_name = "travel"
urlpatterns = [
    path("", views.trip_list, name="trips"),
    path("<int:pk>/", views.trip_detail, name="trip"),
    path("checkpoint/", views.checkpoint, name="checkpoint"),
    path("handovers/", views.handover_list, name="handovers"),
    path(
        "handovers/<int:pk>/acknowledge/",
        views.handover_acknowledge,
        name="handover_acknowledge",
    ),
    path("report/", views.report, name="report"),
    path("report/done/", views.report_done, name="report_done"),
]
