"""Routes of risk zones (namespace "zones")."""

app_name = "zones"
urlpatterns: list = []
