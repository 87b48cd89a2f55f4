"""Routes of the command dashboard, daily report and the lists behind them (namespace "command")."""

from django.urls import path

from fangkong.command import views
from fangkong.command.situation.urls import urlpatterns as situation_urls

app_name = "command"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("rounds/", views.rounds_panel, name="rounds"),
    path("report/", views.report, name="report"),
    path("report.pdf", views.report_pdf, name="report_pdf"),
    path("report.xlsx", views.report_xlsx, name="report_xlsx"),
    path("report/issues/", views.report_issues, name="issues"),
    path("report/issues/<int:pk>/", views.report_issue_page, name="issue"),
    path("report/issues/<int:pk>.pdf", views.report_issue_pdf, name="issue_pdf"),
    path("report/issues/<int:pk>.xlsx", views.report_issue_xlsx, name="issue_xlsx"),
    path("list/<str:figure>/", views.figure_list, name="list"),
    path("list/<str:figure>/export.<str:fmt>", views.figure_export, name="export"),
    *situation_urls,
]
