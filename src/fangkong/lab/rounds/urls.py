"""Routes of rounds, sites, sampling, custody and coverage (namespace "lab")."""

from django.urls import path

from fangkong.lab.rounds import views

urlpatterns = [
    path("rounds/", views.round_list, name="rounds"),
    path("rounds/new/", views.round_new, name="round_new"),
    path("rounds/<int:pk>/", views.round_detail, name="round"),
    path("rounds/<int:pk>/close/", views.round_close, name="round_close"),
    path("rounds/<int:pk>/turnaround/", views.round_turnaround, name="round_turnaround"),
    path("rounds/<int:pk>/missing.csv", views.round_missing_csv, name="round_missing"),
    path("sites/", views.site_list, name="sites"),
    path("sampling/", views.sampling, name="sampling"),
    path("custody/", views.custody, name="custody"),
    path("custody/send/", views.custody_send, name="custody_send"),
    path("custody/receive/", views.custody_receive, name="custody_receive"),
]
