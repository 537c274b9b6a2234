"""Read-only admin pages for credential types and credentials.

Secure values and data keys are not registered at all, and the credential page shows which secure fields are set,
never a value or a ciphertext. Changes go through the UI and API, which validate definitions and write the audit log.
"""

from django.contrib import admin
from django.utils.html import format_html_join

from credentials.models import Credential, CredentialType


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CredentialType)
class CredentialTypeAdmin(ReadOnlyAdmin):
    list_display = ("name", "permission_scope", "created_at")
    search_fields = ("name", "permission_scope")
    fields = ("name", "description", "permission_scope", "icon", "fields", "created_at", "updated_at")


@admin.register(Credential)
class CredentialAdmin(ReadOnlyAdmin):
    list_display = ("name", "client", "type", "parent", "deleted_at", "updated_at")
    list_filter = ("type",)
    search_fields = ("name",)
    list_select_related = ("client", "type", "parent")
    fields = (
        "name", "client", "type", "parent", "parent_field", "notes", "values", "secure_fields_set",
        "deleted_at", "created_at", "updated_at",
    )  # fmt: skip
    readonly_fields = ("secure_fields_set",)

    @admin.display(description="Secure fields with a value")
    def secure_fields_set(self, obj):
        names = obj.secure_values.order_by("field_id").values_list("field_id", flat=True)
        return format_html_join(", ", "{}", ((name,) for name in names)) or "-"
