from django.urls import path

from fangkong.people import views
from fangkong.people.importing import urls as importing_urls

app_name = "people"
urlpatterns = [
    path("residents/", views.resident_list, name="residents"),
    path("residents/new/", views.resident_new, name="resident_new"),
    path("residents/<int:pk>/", views.resident_detail, name="resident"),
    path("residents/<int:pk>/edit/", views.resident_edit, name="resident_edit"),
    path("residents/<int:pk>/reveal/<str:field>/", views.resident_reveal, name="reveal"),
    path("residents/<int:pk>/key/", views.key_person_new, name="key_person_new"),
    path("residents/<int:pk>/needs/", views.need_new, name="need_new"),
    path("households/<int:pk>/", views.household_detail, name="household"),
    path("key-persons/", views.key_person_list, name="key_persons"),
    path("key-persons/export.xlsx", views.key_person_export, name="key_persons_export"),
    path("key-persons/<int:pk>/remove/", views.key_person_remove_view, name="key_person_remove"),
    path("needs/<int:pk>/fulfil/", views.need_fulfil_view, name="need_fulfil"),
    path("needs/<int:pk>/cancel/", views.need_cancel_view, name="need_cancel"),
    *importing_urls.urlpatterns,
]
