"""Django admin views of time entries, running timers and materials: read-only, for support.

They are written through the ticket page and the API, which keep durations, work dates, stock on hand and the audit
log in step; an admin edit would bypass all of that. A stuck timer can be deleted here (the deletion is audited).
"""

from django.contrib import admin

from psa.admin import AuditedAdminMixin, ReadOnlyAdminMixin
from tickets.time_models import TicketMaterial, TimeEntry, TimeTrackingSession


@admin.register(TimeEntry)
class TimeEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("start_time", "user", "ticket", "service", "duration_minutes", "is_billable", "approval_status")
    list_filter = ("is_billable", "approval_status", "work_item_type")
    search_fields = ("notes", "ticket__ticket_number", "ticket__title", "user__login", "user__name")
    list_select_related = ("user", "ticket", "service")
    date_hierarchy = "start_time"
    raw_id_fields = ("user", "ticket", "service")


@admin.register(TimeTrackingSession)
class TimeTrackingSessionAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("user", "ticket", "service", "start_time")
    list_select_related = ("user", "ticket", "service")
    raw_id_fields = ("user", "ticket", "service")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(TicketMaterial)
class TicketMaterialAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "ticket", "product", "service", "quantity", "rate", "currency_code", "is_billed")
    list_filter = ("is_billed", "currency_code")
    search_fields = ("description", "ticket__ticket_number", "product__name", "product__sku", "service__name")
    list_select_related = ("ticket", "product", "service")
    raw_id_fields = ("ticket", "product", "service", "created_by")
