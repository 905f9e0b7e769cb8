from django.contrib import admin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the trail can be browsed, never added to, changed or deleted by hand."""

    list_display = ("at", "actor_label", "action", "object_repr", "source", "request_id")
    list_filter = ("action", "source")
    search_fields = ("object_repr", "actor_label", "object_id", "request_id")
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
