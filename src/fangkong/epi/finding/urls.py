"""Routes of the finding pages (included by epi/urls.py under the "epi" namespace)."""

from django.urls import path

from fangkong.epi.finding import views as views_finding

urlpatterns = [
    path("finding/", views_finding.finding_list, name="finding"),
    path("finding/<int:pk>/", views_finding.finding_job, name="finding_job"),
    path(
        "finding/<int:pk>/progress/",
        views_finding.finding_job_progress,
        name="finding_job_progress",
    ),
    path("finding/<int:pk>/decide/", views_finding.finding_job_decide, name="finding_job_decide"),
    path("finding/<int:pk>/refer/", views_finding.finding_job_refer, name="finding_job_refer"),
]
