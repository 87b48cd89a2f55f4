from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from fangkong.accounts.models import ApiToken, User


@admin.register(User)
class FangkongUserAdmin(UserAdmin):
    list_display = ("username", "display_name", "role", "jurisdiction", "is_active", "last_login")
    list_filter = ("role", "is_active", "is_superuser")
    search_fields = ("username", "display_name", "phone")
    autocomplete_fields = ("jurisdiction",)
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("Fangkong", {"fields": ("display_name", "role", "jurisdiction", "phone")}),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "user",
        "lookup",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    readonly_fields = ("lookup", "digest", "created_at", "last_used_at")
    search_fields = ("name", "user__username")
