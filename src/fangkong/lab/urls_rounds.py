"""Routes of rounds, sites, sampling, custody, coverage and retests (namespace "lab")."""

from django.urls import path

from fangkong.lab import views_rounds

urlpatterns = [
    path("rounds/", views_rounds.round_list, name="rounds"),
    path("rounds/new/", views_rounds.round_new, name="round_new"),
    path("rounds/<int:pk>/", views_rounds.round_detail, name="round"),
    path("rounds/<int:pk>/close/", views_rounds.round_close, name="round_close"),
    path("rounds/<int:pk>/turnaround/", views_rounds.round_turnaround, name="round_turnaround"),
    path("rounds/<int:pk>/missing.csv", views_rounds.round_missing_csv, name="round_missing"),
    path("sites/", views_rounds.site_list, name="sites"),
    path("sampling/", views_rounds.sampling, name="sampling"),
    path("custody/", views_rounds.custody, name="custody"),
    path("custody/send/", views_rounds.custody_send, name="custody_send"),
    path("custody/receive/", views_rounds.custody_receive, name="custody_receive"),
    path("retests/", views_rounds.retest_list, name="retests"),
]
