"""The assistance app's one URL module (namespace "assistance")."""

from fangkong.assistance.applications import urls as applications_urls

app_name = "assistance"
urlpatterns = [*applications_urls.urlpatterns]
