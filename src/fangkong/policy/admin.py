from django.contrib import admin

from fangkong.policy.models import PolicyProfile


@admin.register(PolicyProfile)
class PolicyProfileAdmin(admin.ModelAdmin):
    """Profiles are switched on the policy page (audited), not here."""

    list_display = ("code", "version", "name_zh", "published_on", "is_active")
    readonly_fields = ("is_active", "activated_at", "created_at")
