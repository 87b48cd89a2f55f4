"""Routes (namespace "quarantine")."""

urlpatterns: list = []
