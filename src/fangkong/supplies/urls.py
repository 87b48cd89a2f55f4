"""The supplies app's one URL module (namespace "supplies"): the sub-domains' routes.
`public_urlpatterns`: pages without login (the checkpoint's pass check, a courier's own pass,
the published key list), mounted at the root in the "supplies_public" namespace."""

from fangkong.supplies.enterprises import urls as enterprises_urls
from fangkong.supplies.orders import urls as orders_urls
from fangkong.supplies.passes import urls as passes_urls
from fangkong.supplies.prices import urls as prices_urls

app_name = "supplies"
urlpatterns = [
    *enterprises_urls.urlpatterns,
    *passes_urls.urlpatterns,
    *prices_urls.urlpatterns,
    *orders_urls.urlpatterns,
]
public_urlpatterns = passes_urls.public_urlpatterns + orders_urls.public_urlpatterns
