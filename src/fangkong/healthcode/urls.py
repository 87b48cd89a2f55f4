"""Routes of the health-code pages.

`urlpatterns`: staff pages, mounted under /epi/ in the "healthcode" namespace (the paths they
had in the epi app). `public_urlpatterns`: pages without login (verification by QR token, a
person's own status and appeal), mounted at the root in the "public" namespace.
"""

from django.urls import path

from fangkong.healthcode import views

app_name = "healthcode"
urlpatterns = [
    path("status/<int:person_id>/", views.status_detail, name="status"),
    path("status/<int:person_id>/override/", views.status_override, name="status_override"),
    path("overrides/<int:pk>/revoke/", views.override_revoke, name="override_revoke"),
    path("appeals/", views.appeal_list, name="appeals"),
    path("appeals/<int:pk>/decide/", views.appeal_decide, name="appeal_decide"),
    path("appeals/<int:pk>/reveal-phone/", views.appeal_reveal_phone, name="appeal_reveal_phone"),
]

public_urlpatterns = [
    path("v/<str:token>/", views.verify, name="verify"),
    path("my-code/", views.my_code, name="my_code"),
    path("my-code/appeal/", views.my_code_appeal, name="my_code_appeal"),
    path("my-code/leave/", views.my_code_leave, name="my_code_leave"),
]
