from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from fangkong.accounts.models import ApiToken, Throttle, User
from fangkong.accounts.services import two_factor_remove


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


@admin.register(Throttle)
class ThrottleAdmin(admin.ModelAdmin):
    """Who is being slowed down; deleting a row ends its wait at once."""

    list_display = ("kind", "key", "failures", "first_at", "last_at", "wait_until")
    list_filter = ("kind",)
    search_fields = ("key",)
    readonly_fields = ("kind", "key", "failures", "first_at", "last_at", "wait_until")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class AuditedTOTPDeviceAdmin(TOTPDeviceAdmin):
    """Deleting a user's authenticator (a lost phone) removes their second factor, recovery
    codes included, as an audited event; they enrol again at their next login."""

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        two_factor_remove(user=obj.user, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for device in queryset.select_related("user"):
            two_factor_remove(user=device.user, actor=request.user)


admin.site.unregister(TOTPDevice)
admin.site.register(TOTPDevice, AuditedTOTPDeviceAdmin)
