"""Routes of the case pages (included by epi/urls.py under the "epi" namespace)."""

from django.urls import path

from fangkong.epi.cases import views as v

urlpatterns = [
    path("cases/", v.case_list, name="cases"),
    path("cases/new/", v.case_new, name="case_new"),
    path("cases/bulk/", v.case_bulk, name="cases_bulk"),
    path("cases/<int:pk>/", v.case_detail, name="case"),
    path("cases/<int:pk>/reclassify/", v.case_reclassify, name="case_reclassify"),
    path("cases/<int:pk>/transfer/", v.case_transfer, name="case_transfer"),
    path("cases/<int:pk>/close/", v.case_close, name="case_close"),
]
