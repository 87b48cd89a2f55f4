"""Routes of the resident import pages (included by people/urls.py under "people")."""

from django.urls import path

from fangkong.people.importing import views as v

urlpatterns = [
    path("import/", v.import_page, name="import"),
    path("import/<str:token>/rejected.<str:fmt>", v.rejected_rows, name="import_rejected"),
]
