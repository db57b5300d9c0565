from django.contrib import admin

from apps.staff.models import Staff


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "phone", "is_active"]
    list_filter = ["is_active", "services"]
    search_fields = ["name", "email", "phone"]
    filter_horizontal = ["services"]
    readonly_fields = ["created_at", "updated_at"]
