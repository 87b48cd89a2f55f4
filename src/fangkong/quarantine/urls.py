from fangkong.quarantine import urls_care, urls_sites

app_name = "quarantine"
urlpatterns = [*urls_sites.urlpatterns, *urls_care.urlpatterns]
