from fangkong.quarantine.allocation import urls as allocation_urls
from fangkong.quarantine.measures import urls as measures_urls
from fangkong.quarantine.sites import urls as sites_urls

app_name = "quarantine"
urlpatterns = [*sites_urls.urlpatterns, *allocation_urls.urlpatterns, *measures_urls.urlpatterns]
