from fangkong.epi.cases import urls as cases_urls
from fangkong.epi.chains import urls as chains_urls
from fangkong.epi.checkins import urls as checkins_urls
from fangkong.epi.contacts import urls as contacts_urls
from fangkong.epi.finding import urls as finding_urls

app_name = "epi"
urlpatterns = [
    *cases_urls.urlpatterns,
    *contacts_urls.urlpatterns,
    *checkins_urls.urlpatterns,
    *finding_urls.urlpatterns,
    *chains_urls.urlpatterns,
]
