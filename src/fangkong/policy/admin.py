from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from fangkong.policy.models import PolicyActivation, PolicyProfile


class ReadOnly(admin.ModelAdmin):
    """Versions are written on the policy pages (drafts, checked by the schema, audited) and
    fixed once activated; the admin only shows them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PolicyProfile)
class PolicyProfileAdmin(ReadOnly):
    list_display = ("code", "version", "name_zh", "published_on", "is_draft", "is_active")


@admin.register(PolicyActivation)
class PolicyActivationAdmin(ReadOnly):
    list_display = ("profile", "effective_from", "decided_by", "applied_at", "withdrawn_at")
