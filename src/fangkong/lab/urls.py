from fangkong.lab import urls_results, urls_riskposts, urls_rounds

app_name = "lab"
urlpatterns = [*urls_rounds.urlpatterns, *urls_results.urlpatterns, *urls_riskposts.urlpatterns]
