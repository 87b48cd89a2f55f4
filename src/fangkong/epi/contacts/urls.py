"""Routes of the contact pages (included by epi/urls.py under the "epi" namespace)."""

from django.urls import path

from fangkong.epi.contacts import views as v

urlpatterns = [
    path("cases/<int:pk>/contacts/grid/", v.case_contacts_grid, name="case_contacts_grid"),
    path("cases/<int:pk>/contacts/import/", v.case_contacts_import, name="case_contacts_import"),
    path("contacts/", v.contact_list, name="contacts"),
    path("contacts/status/", v.contact_status_bulk, name="contacts_status"),
    path("contacts/<int:pk>/", v.contact_detail, name="contact"),
    path("contacts/<int:pk>/status/", v.contact_status, name="contact_status"),
    path("contacts/<int:pk>/convert/", v.contact_convert, name="contact_convert"),
    path("contact-requests/", v.contact_request_list, name="contact_requests"),
    path("contact-requests/<int:pk>/", v.contact_request_detail, name="contact_request"),
    path(
        "contact-requests/<int:pk>/decide/",
        v.contact_request_decide,
        name="contact_request_decide",
    ),
]
