"""Django admin for users, roles and API keys. Never shows a password hash, a key or a key digest."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.models import Group

from accounts.models import ApiKey, Role, User
from accounts.two_factor_views import admin_login
from psa.admin import AuditedAdminMixin, ReadOnlyAdminMixin

# Access is granted through our roles and permission nodes; Django's groups would only be a confusing second way.
if admin.site.is_registered(Group):
    admin.site.unregister(Group)

# The admin signs in through PSA's own sign-in page, so it gets the second factor and the throttling too.
admin.site.login = admin_login


@admin.register(User)
class UserAdmin(AuditedAdminMixin, admin.ModelAdmin):
    # The password hash is excluded: users change their own on their profile; an administrator issues a one-time
    # reset link on the user's page in the UI (or runs `manage.py changepassword`).
    exclude = ("password",)
    fields = (
        "login",
        "name",
        "email",
        "image",
        "is_active",
        "is_staff",
        "is_superuser",
        "roles",
        "permissions",
        "allowed_clients",
        "cw_identifier",
        "last_login",
        "created_at",
        "updated_at",
    )
    readonly_fields = ("last_login", "created_at", "updated_at")
    list_display = ("login", "name", "email", "is_active", "is_staff", "last_login")
    list_filter = ("is_active", "is_staff", "roles")
    search_fields = ("login", "name", "email")
    filter_horizontal = ("roles", "allowed_clients")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.set_unusable_password()
        super().save_model(request, obj, form, change)


@admin.register(Role)
class RoleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    fields = ("title", "moniker", "description", "permissions", "is_builtin", "created_at", "updated_at")
    readonly_fields = ("is_builtin", "created_at", "updated_at")
    list_display = ("title", "moniker", "is_builtin", "updated_at")
    list_filter = ("is_builtin",)
    search_fields = ("title", "moniker", "description")

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_builtin:
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset.filter(is_builtin=False))


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only. Only the public prefix is shown; the digest and the key itself never are."""

    fields = (
        "description",
        "owner",
        "prefix",
        "purpose",
        "allowed_clients",
        "expires_at",
        "is_active",
        "revoked_at",
        "last_used_at",
        "last_used_ip",
        "created_at",
    )
    readonly_fields = fields
    list_display = ("description", "owner", "prefix", "purpose", "expires_at", "is_active", "last_used_at")
    list_filter = ("is_active", "purpose")
    search_fields = ("description", "key_id", "owner__login")
    list_select_related = ("owner",)

    @admin.display(description="Prefix")
    def prefix(self, obj: ApiKey) -> str:
        return obj.prefix
