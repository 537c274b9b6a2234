"""Django admin for opportunities: read-only, since ConnectWise masters them (change them there, then refresh)."""

from django.contrib import admin

from sales.models import Opportunity


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    list_display = ("name", "cw_opportunity_id", "client", "is_closed", "expected_close_date", "probability")
    list_filter = ("is_closed",)
    search_fields = ("name", "cw_opportunity_id")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
