"""Read-only admin pages for sources, sync runs and the mirror. Sources are changed through the Integrations page
and the API (which validate settings and put secrets in the vault); the admin shows no secret, only which are set."""

from django.contrib import admin

from integrations import secrets as source_secrets
from integrations.models import ExternalRecord, Source, SyncRun


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Source)
class SourceAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "base_url", "enabled", "is_demo", "updated_at")
    list_filter = ("kind", "enabled", "is_demo")
    search_fields = ("name", "base_url")
    fields = ("name", "kind", "base_url", "settings", "enabled", "intervals", "is_demo", "secrets_set",
              "created_at", "updated_at")  # fmt: skip
    readonly_fields = fields

    @admin.display(description="Secrets in the vault")
    def secrets_set(self, obj: Source) -> str:
        return ", ".join(source_secrets.names_set(obj)) or "none"


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "source", "job", "status", "created", "updated", "unchanged", "deleted", "failed")
    list_filter = ("status", "job", "trigger")
    list_select_related = ("source",)


@admin.register(ExternalRecord)
class ExternalRecordAdmin(ReadOnlyAdmin):
    list_display = ("source", "kind", "external_id", "object_id", "last_seen_at", "deleted_at")
    list_filter = ("kind",)
    search_fields = ("external_id", "object_id")
    list_select_related = ("source",)
