from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from fangkong.audit.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """The audit log is append-only: readable here, never edited or deleted."""

    list_display = ("at", "actor_name", "action", "object_label", "field", "from_value", "to_value")
    list_filter = ("action",)
    search_fields = ("object_label", "actor_name", "reason")
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
