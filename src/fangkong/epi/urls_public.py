"""Pages without login: health-code verification and a person's own status and appeal."""

urlpatterns: list = []
