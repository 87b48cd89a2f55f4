from django.contrib import admin
from django.urls import include, path

from fangkong.api import api
from fangkong.assistance.applications.urls import public_urlpatterns as assistance_public
from fangkong.care.urls import public_urlpatterns as care_public
from fangkong.healthcode.urls import public_urlpatterns as healthcode_public
from fangkong.hotline.urls import public_urlpatterns as hotline_public
from fangkong.supplies.urls import public_urlpatterns as supplies_public
from fangkong.zones.urls import public_urlpatterns as zones_public

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("fangkong.accounts.urls")),
    path("", include("fangkong.web.urls")),
    path("places/", include("fangkong.places.urls")),
    path("people/", include("fangkong.people.urls")),
    path("policy/", include("fangkong.policy.urls")),
    path("audit/", include("fangkong.audit.urls")),
    path("epi/", include("fangkong.epi.urls")),
    path("epi/", include("fangkong.healthcode.urls")),  # health-code staff pages: /epi/status/…
    path("lab/", include("fangkong.lab.urls")),
    path("quarantine/", include("fangkong.quarantine.urls")),
    path("travel/", include("fangkong.travel.urls")),
    path("zones/", include("fangkong.zones.urls")),
    path("supplies/", include("fangkong.supplies.urls")),
    path("care/", include("fangkong.care.urls")),
    path("assistance/", include("fangkong.assistance.urls")),
    path("command/", include("fangkong.command.urls")),
    path("hotline/", include("fangkong.hotline.urls")),
    path("open311/v2/", include("fangkong.hotline.open311.urls")),
    path("", include((healthcode_public, "public"))),  # /v/<token>/, /my-code/
    path("", include(zones_public)),  # /risk-zones/
    path("", include((supplies_public, "supplies_public"))),  # /pass-check/, /my-pass/
    path("", include((care_public, "care_public"))),  # /my-care/
    path("", include((assistance_public, "assistance_public"))),  # /my-assistance/
    path("", include((hotline_public, "hotline_public"))),  # /12345/
]

handler404 = "fangkong.web.errors.not_found"
handler500 = "fangkong.web.errors.server_error"
