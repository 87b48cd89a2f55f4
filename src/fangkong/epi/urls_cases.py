"""Routes of the cases pages (included by epi/urls.py under the "epi" namespace)."""

from django.urls import path

from fangkong.epi import views_cases

urlpatterns = [
    path("cases/", views_cases.case_list, name="cases"),
    path("contacts/", views_cases.contact_list, name="contacts"),
]
