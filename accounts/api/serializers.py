from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import ApiKey, Role, User
from clients.models import Client
from psa.access import visible_client_ids
from psa.api.serializers import GatedModelSerializer, NodeListField, PassiveSerializer, ScopedPrimaryKeyRelatedField
from psa.utils import is_uuid


@extend_schema_field(OpenApiTypes.STR)
class RoleRefField(serializers.RelatedField):
    """A role given by id or moniker; shown as its moniker (seed 004)."""

    default_error_messages = {"unknown": "Unknown role '{value}'.", "invalid": "Give a role id or moniker."}

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Role.objects.all())
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not data.strip() or "\x00" in data:
            self.fail("invalid")
        value = data.strip()
        lookup = Q(moniker=value) | Q(pk=value) if is_uuid(value) else Q(moniker=value)
        role = self.get_queryset().filter(lookup).first()
        if role is None:
            self.fail("unknown", value=value[:64])
        return role

    def to_representation(self, value):
        return value.moniker


PASSWORD_NOT_SETTABLE = (
    "Another user's password cannot be set through the API. An administrator issues a one-time sign-in link on the "
    "user's page in the web interface; users change their own with POST /api/v1/users/@me/password."
)


class ScopedClientIdsMixin:
    """``client_ids`` shows a scoped caller only the clients within its own scope."""

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if "client_ids" in data and (request := self.context.get("request")) is not None:
            data["client_ids"] = visible_client_ids(data["client_ids"], request)
        return data


class UserSerializer(ScopedClientIdsMixin, GatedModelSerializer):
    gating_scope = "user"
    gating_derived = {"first_name": ("name",), "last_name": ("name",), "avatarUrl": ("image",)}
    roles = RoleRefField(many=True, required=False)
    permissions = NodeListField(required=False)
    client_ids = ScopedPrimaryKeyRelatedField(
        source="allowed_clients", many=True, required=False, queryset=Client.objects.all()
    )
    # AlgaPSA's names, read by its mobile app, beside ours.
    user_id = serializers.UUIDField(source="id", read_only=True)
    username = serializers.CharField(source="login", read_only=True)
    first_name = serializers.SerializerMethodField()
    last_name = serializers.SerializerMethodField()
    avatarUrl = serializers.SerializerMethodField()
    is_inactive = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "user_id",
            "username",
            "first_name",
            "last_name",
            "avatarUrl",
            "is_inactive",
            "login",
            "name",
            "email",
            "image",
            "is_active",
            "roles",
            "permissions",
            "client_ids",
            "cw_identifier",
            "last_login",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["last_login", "created_at", "updated_at"]

    def get_first_name(self, user: User) -> str | None:
        return user.name.split(None, 1)[0] if user.name.strip() else None

    def get_last_name(self, user: User) -> str | None:
        parts = user.name.split(None, 1)
        return parts[1] if len(parts) > 1 else None

    def get_avatarUrl(self, user: User) -> str | None:
        return user.image or None

    def get_is_inactive(self, user: User) -> bool:
        return not user.is_active

    def to_internal_value(self, data):
        if isinstance(data, Mapping) and "password" in data:
            raise serializers.ValidationError({"password": [PASSWORD_NOT_SETTABLE]})
        return super().to_internal_value(data)

    def create(self, validated_data):
        roles = validated_data.pop("roles", [])
        clients = validated_data.pop("allowed_clients", [])
        # No usable password: the administrator gives the new user a one-time link to choose one.
        user = User.objects.create_user(password=None, **validated_data)
        user.roles.set(roles)
        user.allowed_clients.set(clients)
        return user


class UserCreateSerializer(UserSerializer):
    login = serializers.RegexField(r"^[\w.@+-]+$", max_length=150)

    def validate_login(self, value: str) -> str:
        if User.objects.filter(login__iexact=value).exists():
            raise serializers.ValidationError("A user with this login already exists.")
        return value


EMAIL_NEEDS_PASSWORD = "Give your current password (current_password) to change your email address."
EMAIL_FROM_PROVIDER = (
    "Your account has no PSA password to confirm the change with (it signs in through single sign-on, or no password "
    "was chosen yet), so its email address cannot be changed here."
)


def email_taken(email: str, user: User) -> bool:
    """Whether another user has ``email`` (case-insensitive): single sign-on matches users by it, so it is unique."""
    return bool(email) and User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists()


def validate_own_email(user: User, email: str, current_password: str | None) -> dict[str, str]:
    """Field errors for changing ``user``'s own email to ``email``; empty when it may be changed.

    A new address is confirmed by the current password: single sign-on links accounts by email, so whoever holds
    a session or an API key could otherwise point the account at an address they control and sign in as it.
    """
    if email.casefold() == (user.email or "").casefold():
        return {}
    if not user.has_usable_password():
        return {"email": EMAIL_FROM_PROVIDER}
    if not current_password:
        return {"current_password": EMAIL_NEEDS_PASSWORD}
    if not user.check_password(current_password):
        return {"current_password": "The current password is not correct."}
    if email_taken(email, user):
        return {"email": "Another user already has this email address."}
    return {}


class MeUpdateSerializer(GatedModelSerializer):
    gating_scope = "user"
    gating_derived = {"current_password": ("email",)}
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    current_password = serializers.CharField(
        write_only=True, required=False, max_length=4096, trim_whitespace=False,
        help_text="Your current password; needed only when email changes.",
    )  # fmt: skip

    class Meta:
        model = User
        fields = ["name", "email", "image", "current_password"]

    def validate_name(self, value: str) -> str:
        if any(ord(c) < 32 for c in value):
            raise serializers.ValidationError("A name cannot contain control characters.")
        return value.strip()

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        password = attrs.pop("current_password", None)
        if "email" in attrs:
            attrs["email"] = User.objects.normalize_email(attrs["email"])
            errors = validate_own_email(self.instance, attrs["email"], password)
            if errors:
                raise serializers.ValidationError(errors)
        return attrs


class PasswordChangeSerializer(PassiveSerializer):
    current_password = serializers.CharField(write_only=True, max_length=4096, trim_whitespace=False)
    new_password = serializers.CharField(write_only=True, max_length=4096, trim_whitespace=False)

    def validate_current_password(self, value: str) -> str:
        if not self.context["user"].check_password(value):
            raise serializers.ValidationError("The current password is not correct.")
        return value

    def validate_new_password(self, value: str) -> str:
        try:
            validate_password(value, self.context["user"])
        except DjangoValidationError as exc:
            raise serializers.ValidationError(list(exc.messages)) from None
        return value


class RoleSerializer(GatedModelSerializer):
    gating_scope = "role"
    moniker = serializers.SlugField(max_length=64)
    permissions = NodeListField(required=False)

    class Meta:
        model = Role
        fields = ["id", "title", "moniker", "description", "permissions", "is_builtin", "created_at", "updated_at"]
        read_only_fields = ["is_builtin", "created_at", "updated_at"]

    def validate_moniker(self, value: str) -> str:
        clash = Role.objects.filter(moniker=value)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError("A role with this moniker already exists.")
        return value


class PermissionListSerializer(PassiveSerializer):
    permissions = NodeListField(allow_empty=False)


class CheckPermissionRequestSerializer(PassiveSerializer):
    permissions = serializers.ListField(child=serializers.CharField(max_length=200), allow_empty=False, max_length=200)


class PermissionResultSerializer(serializers.Serializer):
    permission = serializers.CharField()
    hasPermission = serializers.BooleanField()


class CheckPermissionResponseSerializer(serializers.Serializer):
    results = PermissionResultSerializer(many=True)


class PermissionNodeSerializer(serializers.Serializer):
    node = serializers.CharField()
    description = serializers.CharField()
    category = serializers.CharField()
    dependencies = serializers.ListField(child=serializers.CharField())


class PermissionCategorySerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    permissions = PermissionNodeSerializer(many=True)


def _max_expiry():
    return timezone.now() + timedelta(days=settings.API_KEY_MAX_LIFETIME_DAYS)


class ApiKeySerializer(ScopedClientIdsMixin, GatedModelSerializer):
    prefix = serializers.CharField(read_only=True)
    owner_id = serializers.UUIDField(read_only=True)
    client_ids = ScopedPrimaryKeyRelatedField(
        source="allowed_clients", many=True, required=False, queryset=Client.objects.all()
    )
    expires_at = serializers.DateTimeField()

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "prefix",
            "owner_id",
            "description",
            "purpose",
            "client_ids",
            "expires_at",
            "is_active",
            "revoked_at",
            "last_used_at",
            "created_at",
        ]
        read_only_fields = ["is_active", "revoked_at", "last_used_at", "created_at"]

    def validate_expires_at(self, value):
        if value <= timezone.now():
            raise serializers.ValidationError("Must be in the future.")
        if value > _max_expiry():
            raise serializers.ValidationError("May be at most one year ahead.")
        return value

    def create(self, validated_data):
        key, plaintext = ApiKey.issue(
            owner=validated_data["owner"],
            description=validated_data["description"],
            expires_at=validated_data["expires_at"],
            purpose=validated_data.get("purpose", ApiKey.Purpose.GENERAL),
            clients=validated_data.get("allowed_clients", ()),
        )
        key.plaintext = plaintext
        return key


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.SerializerMethodField(help_text="The key itself. Shown only in this response.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]

    def get_key(self, obj) -> str:
        return getattr(obj, "plaintext", "")
