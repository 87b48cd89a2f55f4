"""Public routes of risk zones (no login)."""

urlpatterns: list = []
