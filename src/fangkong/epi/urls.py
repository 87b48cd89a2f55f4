from fangkong.epi import urls_cases, urls_checkins
from fangkong.epi.finding import urls as urls_finding

app_name = "epi"
urlpatterns = [
    *urls_cases.urlpatterns,
    *urls_checkins.urlpatterns,
    *urls_finding.urlpatterns,
]
