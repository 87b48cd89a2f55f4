"""Routes of trip reports, arrival tests and hand-overs (namespace "travel")."""

app_name = "travel"
urlpatterns: list = []
