"""Routes of the finding pages (included by epi/urls.py under the "epi" namespace)."""

from django.urls import path

from fangkong.epi import views_finding

urlpatterns = [
    path("finding/", views_finding.finding_list, name="finding"),
    path("chains/", views_finding.chains, name="chains"),
]
