from __future__ import annotations

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


class UserSerializer(GatedModelSerializer):
    gating_scope = "user"
    roles = RoleRefField(many=True, required=False)
    permissions = NodeListField(required=False)
    client_ids = ScopedPrimaryKeyRelatedField(
        source="allowed_clients", many=True, required=False, queryset=Client.objects.all()
    )
    password = serializers.CharField(write_only=True, required=False, style={"input_type": "password"})
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
            "password",
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

    def validate_password(self, value: str) -> str:
        try:
            validate_password(value, self.instance)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(list(exc.messages)) from None
        return value

    def create(self, validated_data):
        password = validated_data.pop("password", None)
        roles = validated_data.pop("roles", [])
        clients = validated_data.pop("allowed_clients", [])
        user = User.objects.create_user(password=password, **validated_data)
        user.roles.set(roles)
        user.allowed_clients.set(clients)
        return user

    def update(self, instance, validated_data):
        password = validated_data.pop("password", None)
        if password:
            instance.set_password(password)
        return super().update(instance, validated_data)


class UserCreateSerializer(UserSerializer):
    login = serializers.RegexField(r"^[\w.@+-]+$", max_length=150)

    def validate_login(self, value: str) -> str:
        if User.objects.filter(login__iexact=value).exists():
            raise serializers.ValidationError("A user with this login already exists.")
        return value


class MeUpdateSerializer(GatedModelSerializer):
    gating_scope = "user"

    class Meta:
        model = User
        fields = ["name", "email", "image"]


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


class ApiKeySerializer(GatedModelSerializer):
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
