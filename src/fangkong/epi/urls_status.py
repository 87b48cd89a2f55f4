"""Routes of the status pages (included by epi/urls.py under the "epi" namespace)."""

from django.urls import path

from fangkong.epi import views_status

urlpatterns = [
    path("status/<int:person_id>/", views_status.status_detail, name="status"),
    path(
        "status/<int:person_id>/override/",
        views_status.status_override,
        name="status_override",
    ),
    path("overrides/<int:pk>/revoke/", views_status.override_revoke, name="override_revoke"),
    path("appeals/", views_status.appeal_list, name="appeals"),
    path("appeals/<int:pk>/decide/", views_status.appeal_decide, name="appeal_decide"),
    path(
        "appeals/<int:pk>/reveal-phone/",
        views_status.appeal_reveal_phone,
        name="appeal_reveal_phone",
    ),
]
