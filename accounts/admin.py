"""Django admin for users, roles and API keys. Never shows a password hash, a key or a key digest."""

from __future__ import annotations

import re

from django import forms
from django.contrib import admin
from django.contrib.auth.models import Group

from accounts.models import ApiKey, Role, User
from accounts.oidc import check_issuer_url
from accounts.sso import PRESET_ISSUERS, SsoProvider
from accounts.two_factor_views import admin_login
from psa import audit
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


class SsoProviderForm(forms.ModelForm):
    """The client secret is write-only: never rendered back, kept when left blank, stored encrypted."""

    client_secret = forms.CharField(
        required=False,
        strip=True,
        max_length=1000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Stored encrypted and never shown again. Leave blank to keep the current one.",
    )
    issuer = forms.URLField(required=False, max_length=300, assume_scheme="https", help_text=SsoProvider._meta.get_field(
        "issuer").help_text)  # fmt: skip
    allowed_domains_text = forms.CharField(
        required=False,
        label="Allowed email domains",
        max_length=2000,
        help_text="Comma-separated, e.g. example.com, example.org. Empty: any verified address. Required for Entra ID.",
    )

    class Meta:
        model = SsoProvider
        fields = ("key", "name", "preset", "issuer", "client_id", "scopes", "create_users", "default_role", "is_active")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["allowed_domains_text"].initial = ", ".join(self.instance.allowed_domains or [])

    def clean_allowed_domains_text(self) -> list[str]:
        domains = [d.strip().lower().lstrip("@") for d in self.cleaned_data["allowed_domains_text"].split(",")]
        domains = [d for d in domains if d]
        bad = [d for d in domains if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", d)]
        if bad:
            raise forms.ValidationError(f"Not a domain: {', '.join(bad)}.")
        return domains

    def clean(self) -> dict:
        data = super().clean()
        preset, issuer = data.get("preset"), data.get("issuer")
        if not issuer and preset == SsoProvider.Preset.GOOGLE:
            data["issuer"] = issuer = PRESET_ISSUERS["google"]
        if not issuer:
            self.add_error("issuer", f"Enter the issuer URL, e.g. {PRESET_ISSUERS['microsoft']} for Entra ID.")
        elif (problem := check_issuer_url(issuer)) is not None:
            self.add_error("issuer", f"The issuer {problem}.")
        if preset == SsoProvider.Preset.MICROSOFT and not data.get("allowed_domains_text"):
            self.add_error("allowed_domains_text", "Entra ID does not mark addresses as verified: name your domains.")
        if not self.instance.has_client_secret and not data.get("client_secret"):
            self.add_error("client_secret", "Enter the client secret the provider issued.")
        return data

    def save(self, commit: bool = True):
        provider = super().save(commit=False)
        provider.issuer = self.cleaned_data["issuer"]
        provider.allowed_domains = self.cleaned_data["allowed_domains_text"]
        if self.cleaned_data.get("client_secret"):
            provider.set_client_secret(self.cleaned_data["client_secret"])
            provider._secret_changed = True
        if commit:
            provider.save()
        return provider


@admin.register(SsoProvider)
class SsoProviderAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = SsoProviderForm
    fields = ("key", "name", "preset", "issuer", "client_id", "client_secret", "scopes", "allowed_domains_text",
              "create_users", "default_role", "is_active")  # fmt: skip
    list_display = ("name", "key", "preset", "issuer", "is_active")
    list_filter = ("preset", "is_active")
    search_fields = ("name", "key", "issuer")

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if getattr(form.instance, "_secret_changed", False):
            redacted = {"client_secret": {"old": audit.REDACTED if change else None, "new": audit.REDACTED}}
            audit.record(request, "set_client_secret", form.instance, changes=redacted)
