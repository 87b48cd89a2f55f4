"""Routes of assistance applications (namespace "assistance"); `public_urlpatterns`: the
resident's own page, without login (namespace "assistance_public")."""

from django.urls import path

from fangkong.assistance.applications import views

urlpatterns = [
    path("", views.application_list, name="applications"),
    path("new/", views.application_new, name="application_new"),
    path("<int:pk>/", views.application_detail, name="application"),
    path("<int:pk>/documents/", views.application_document, name="application_document"),
    path("<int:pk>/documents/<int:document_pk>/", views.document_download, name="document"),
    path("<int:pk>/review/", views.application_review, name="application_review"),
    path("<int:pk>/decision/", views.application_decide, name="application_decide"),
    path("<int:pk>/payments/", views.application_pay, name="application_pay"),
    path("<int:pk>/withdraw/", views.application_withdraw, name="application_withdraw"),
]

public_urlpatterns = [
    path("my-assistance/", views.my_assistance, name="my_assistance"),
    path("my-assistance/<int:pk>/documents/", views.my_assistance_document, name="my_document"),
    path("my-assistance/leave/", views.my_assistance_leave, name="my_assistance_leave"),
]
