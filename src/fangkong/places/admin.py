from django.contrib import admin

from fangkong.places.models import Division, Venue


@admin.register(Division)
class DivisionAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "level", "parent")
    list_filter = ("level",)
    search_fields = ("name", "code", "key")
    raw_id_fields = ("parent",)
    show_full_result_count = False


@admin.register(Venue)
class VenueAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "division")
    list_filter = ("kind",)
    search_fields = ("name", "code")
    raw_id_fields = ("division",)
    show_full_result_count = False
