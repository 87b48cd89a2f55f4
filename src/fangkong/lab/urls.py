"""The lab app's one URL module (namespace "lab"): the sub-domains' routes, paths and names
unchanged."""

from fangkong.lab.labs import urls as labs_urls
from fangkong.lab.pools import urls as pools_urls
from fangkong.lab.results import urls as results_urls
from fangkong.lab.riskposts import urls as riskposts_urls
from fangkong.lab.rounds import urls as rounds_urls

app_name = "lab"
urlpatterns = [
    *rounds_urls.urlpatterns,
    *pools_urls.urlpatterns,
    *results_urls.urlpatterns,
    *riskposts_urls.urlpatterns,
    *labs_urls.urlpatterns,
]
