"""The care app's one URL module (namespace "care"); `public_urlpatterns`: the resident's own
pages, without login (namespace "care_public")."""

from fangkong.care.admission import urls as admission_urls
from fangkong.care.dispatch import urls as dispatch_urls
from fangkong.care.facilities import urls as facilities_urls
from fangkong.care.lines import urls as lines_urls
from fangkong.care.medicine import urls as medicine_urls
from fangkong.care.plans import urls as plans_urls
from fangkong.care.requests import urls as requests_urls
from fangkong.care.routing import urls as routing_urls

app_name = "care"
urlpatterns = [
    *facilities_urls.urlpatterns,
    *routing_urls.urlpatterns,
    *requests_urls.urlpatterns,
    *plans_urls.urlpatterns,
    *medicine_urls.urlpatterns,
    *lines_urls.urlpatterns,
    *dispatch_urls.urlpatterns,
    *admission_urls.urlpatterns,
]

public_urlpatterns = [*requests_urls.public_urlpatterns, *medicine_urls.public_urlpatterns]
