"""Serializers of the vault API. Output serializers never carry a secure value: secure fields are ``null``."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assets.models import Asset, Software
from clients.api.serializers import ClientSerializer
from clients.models import Client, Contact, Vendor
from credentials import services
from credentials.models import SCOPE_PATTERN, Credential, CredentialType
from credentials.value_types import MAX_VALUE_LENGTH, VALUE_TYPE_ORDER, DefinitionError, join_path, validate_definition
from integrations.hooks import refuse_mastered_writes
from psa.api.serializers import GatedModelSerializer, PassiveSerializer, ScopedPrimaryKeyRelatedField
from psa.utils import is_uuid

# --- credential types -------------------------------------------------------------------------------------------------


class TypeFieldDefinitionSerializer(serializers.Serializer):
    """One field of a type definition (documentation only; definitions are validated by value_types)."""

    id = serializers.CharField()
    name = serializers.CharField()
    required = serializers.BooleanField()
    secure = serializers.BooleanField()
    value_type = serializers.ChoiceField(choices=VALUE_TYPE_ORDER)
    sub_fields = serializers.ListField(child=serializers.DictField(), required=False)


@extend_schema_field(TypeFieldDefinitionSerializer(many=True))
class TypeDefinitionField(serializers.JSONField):
    def to_internal_value(self, data):
        try:
            return validate_definition(data)
        except DefinitionError as exc:
            raise serializers.ValidationError(exc.errors) from None


class CredentialTypeSerializer(GatedModelSerializer):
    gating_scope = "credentialType"
    gating_label = "Credential type"
    gating_derived = {"reveal_node": ("permission_scope",)}  # the model's property, which pages show
    fields = TypeDefinitionField()
    credential_count = serializers.SerializerMethodField(help_text="Credentials in the caller's client scope")

    class Meta:
        model = CredentialType
        fields = [
            "id", "name", "description", "permission_scope", "icon", "fields", "credential_count",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {
            "permission_scope": {"help_text": "Revealing needs <permission_scope>.read, e.g. aws.credentials"}
        }

    def get_credential_count(self, obj: CredentialType) -> int:
        annotated = getattr(obj, "credential_count", None)
        if annotated is not None:
            return annotated
        from psa.access import restrict

        request = self._request()
        queryset = Credential.objects.filter(type=obj, deleted_at__isnull=True, parent__isnull=True)
        return (restrict(queryset, request) if request is not None else queryset).count()

    def validate_name(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise serializers.ValidationError("This field may not be blank.")
        if is_uuid(value):
            raise serializers.ValidationError("A type name cannot look like an id.")
        others = CredentialType.objects.filter(name__iexact=value)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError("Another credential type has this name.")
        return value

    def validate_permission_scope(self, value: str) -> str:
        import re

        from psa.nodes import all_nodes

        value = value.strip()
        if not re.match(SCOPE_PATTERN, value):
            raise serializers.ValidationError("Use dotted lower-case words, e.g. aws.credentials.")
        if value == "obj" or value.startswith("obj."):
            raise serializers.ValidationError("obj.* nodes are field-gating nodes; choose another scope.")
        existing = all_nodes().get(f"{value}.read")
        # "credential" (whose node is credential.read) means "no extra node"; any other node of the code's registry
        # already grants something else, and reusing it would hand reveals to everyone who holds it.
        if existing is not None and existing.category != "credential_scope" and value != "credential":
            raise serializers.ValidationError(
                f"{value}.read already grants something else ({existing.description.lower()}); "
                "choose a dedicated scope such as 'credential.domain_admin' or 'aws.credentials'."
            )
        return value


# --- credentials: input ----------------------------------------------------------------------------------------------


class FieldValueInputSerializer(PassiveSerializer):
    field_id = serializers.CharField(max_length=64)
    value = serializers.CharField(
        allow_null=True,
        allow_blank=True,
        trim_whitespace=False,
        max_length=MAX_VALUE_LENGTH,
        help_text="The value; null or empty clears it. Secure values are encrypted and never returned here.",
    )


def _field_list(**kwargs) -> serializers.ListField:
    return serializers.ListField(child=FieldValueInputSerializer(), max_length=100, **kwargs)


class SubCredentialLeafInputSerializer(PassiveSerializer):
    name = serializers.CharField(max_length=200)
    notes = serializers.CharField(allow_blank=True, required=False, max_length=20_000)
    fields = _field_list(required=False)


class SubCredentialInputSerializer(SubCredentialLeafInputSerializer):
    sub_credentials = serializers.DictField(
        child=serializers.ListField(child=SubCredentialLeafInputSerializer(), max_length=100),
        required=False,
        help_text="Nested sub-credentials, keyed by the id of a multi_credential sub-field",
    )


class SubCredentialCreateSerializer(SubCredentialInputSerializer):
    """Body of POST /credentials/{id}/sub-credentials."""

    field_id = serializers.CharField(max_length=64, help_text="The multi_credential field of the parent")


@extend_schema_field({"type": "string", "description": "A credential type id or name"})
class CredentialTypeRefField(serializers.RelatedField):
    default_error_messages = {"unknown": "Unknown credential type.", "invalid": "Give a credential type id or name."}

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", CredentialType.objects.all())
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not data.strip():
            self.fail("invalid")
        value = data.strip()
        # No type has such a name; keep overlong values out of a LIKE (SQLite) and NUL out of PostgreSQL.
        if len(value) > CredentialType._meta.get_field("name").max_length or "\x00" in value:
            self.fail("unknown")
        lookup = Q(pk=value) | Q(name__iexact=value) if is_uuid(value) else Q(name__iexact=value)
        found = self.get_queryset().filter(lookup).first()
        if found is None:
            self.fail("unknown")
        return found

    def to_representation(self, value):
        return str(value.pk)


class CredentialWriteSerializer(GatedModelSerializer):
    """Create and update. ``fields`` is ``[{field_id, value}]``; ``sub_credentials`` is keyed by multi field id."""

    gating_scope = "credential"
    gating_label = "Credential"
    client_id = ScopedPrimaryKeyRelatedField(source="client", queryset=Client.objects.all())
    type_id = CredentialTypeRefField(source="type")
    fields = _field_list(required=False)
    sub_credentials = serializers.DictField(
        child=serializers.ListField(child=SubCredentialInputSerializer(), max_length=100),
        required=False,
        help_text="Inline sub-credentials on create, keyed by the id of a multi_credential field",
    )
    contact_ids = ScopedPrimaryKeyRelatedField(
        source="contacts", many=True, queryset=Contact.objects.all(), required=False
    )
    vendor_ids = ScopedPrimaryKeyRelatedField(
        source="vendors", many=True, queryset=Vendor.objects.all(), required=False
    )
    asset_ids = ScopedPrimaryKeyRelatedField(source="assets", many=True, queryset=Asset.objects.all(), required=False)
    software_ids = ScopedPrimaryKeyRelatedField(
        source="software", many=True, queryset=Software.objects.all(), required=False
    )

    class Meta:
        model = Credential
        fields = [
            "client_id", "type_id", "name", "notes", "fields", "sub_credentials",
            "contact_ids", "vendor_ids", "asset_ids", "software_ids",
        ]  # fmt: skip
        extra_kwargs = {"notes": {"max_length": 20_000}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance is not None:
            for name in ("client_id", "type_id"):
                self.fields[name].required = False

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        instance = self.instance
        if instance is not None:
            refuse_mastered_writes(self, attrs)  # fields a sync owns are read-only on synced credentials
            errors = {}
            if "client" in attrs and attrs["client"] != instance.client:
                errors["client_id"] = ["A credential cannot move to another client; create a new one there."]
            if "type" in attrs and attrs["type"] != instance.type:
                errors["type_id"] = ["The type of a credential cannot change."]
            if "sub_credentials" in attrs:
                errors["sub_credentials"] = ["Add sub-credentials with POST /credentials/{id}/sub-credentials."]
            if errors:
                raise serializers.ValidationError(errors)
            if "fields" in attrs:
                try:
                    self.values = services.plan_values(instance.definition, attrs["fields"], creating=False)
                except serializers.ValidationError as exc:
                    raise serializers.ValidationError({"fields": exc.detail}) from None
            client = instance.client
        else:
            client = attrs["client"]
            if not attrs["type"].fields:
                raise serializers.ValidationError({"type_id": ["This credential type defines no fields."]})
            data = {
                "name": attrs.get("name", ""),
                "notes": attrs.get("notes", ""),
                "fields": attrs.get("fields", []),
                "sub_credentials": attrs.get("sub_credentials"),
            }
            self.plan = services.plan_credential(attrs["type"].fields, "", data, budget=[services.MAX_SUB_CREDENTIALS])
        _check_same_client(attrs, client)
        return attrs

    def create(self, validated_data: dict) -> Credential:
        self.created: list = []
        credential = services.create_from_plan(
            self.plan, client=validated_data["client"], type=validated_data["type"], created=self.created
        )
        for relation in LINKS:
            if validated_data.get(relation):
                getattr(credential, relation).set(validated_data[relation])
        return credential

    def update(self, instance: Credential, validated_data: dict) -> Credential:
        changed = []
        for attr in ("name", "notes"):
            if attr in validated_data:
                setattr(instance, attr, validated_data[attr])
        instance.save()
        for relation in LINKS:
            if relation in validated_data:
                getattr(instance, relation).set(validated_data[relation])
        if getattr(self, "values", None) is not None:
            changed = services.apply_values(instance, self.values)
        self.secure_changed = changed
        return instance


LINKS = ("contacts", "vendors", "assets", "software")


def _check_same_client(attrs: dict, client: Client) -> None:
    errors = {}
    if any(contact.client_id != client.pk for contact in attrs.get("contacts") or []):
        errors["contact_ids"] = ["Every contact must belong to the credential's client."]
    if any(asset.client_id != client.pk for asset in attrs.get("assets") or []):
        errors["asset_ids"] = ["Every asset must belong to the credential's client."]
    if any(item.client_id != client.pk for item in attrs.get("software") or []):
        errors["software_ids"] = ["All software must belong to the credential's client."]
    if any(vendor.client_id not in (None, client.pk) for vendor in attrs.get("vendors") or []):
        errors["vendor_ids"] = ["Every vendor must belong to the credential's client or be one of the MSP's own."]
    if errors:
        raise serializers.ValidationError(errors)


class FieldsUpdateSerializer(PassiveSerializer):
    """Body of PUT /credentials/{id}/fields: the values to change (others stay). The credential is the instance."""

    fields = _field_list()

    def validate(self, attrs: dict) -> dict:
        refuse_mastered_writes(self, attrs)  # a synced credential's fields are its source's
        return attrs


# --- credentials: output ---------------------------------------------------------------------------------------------


class CredentialFieldSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    value_type = serializers.CharField()
    secure = serializers.BooleanField()
    required = serializers.BooleanField()
    value = serializers.JSONField(
        allow_null=True,
        help_text="Plain fields: the value. Secure fields: always null (reveal through /secure-values). "
        "multi_credential fields: the ids of the sub-credentials.",
    )
    is_set = serializers.BooleanField(help_text="Whether the field holds a value")
    sub_fields = serializers.ListField(child=serializers.DictField(), required=False)


class TypeSummarySerializer(GatedModelSerializer):
    """A credential's type in brief, each field gated by the type's own node (``obj.credentialType.name``...)."""

    gating_scope = "credentialType"

    class Meta:
        model = CredentialType
        fields = ["id", "name", "icon", "permission_scope"]
        read_only_fields = fields


class ClientSummarySerializer(GatedModelSerializer):
    """A credential's client in brief: its name needs ``obj.client.name``, as in ``GET /clients/{id}``."""

    gating_scope = ClientSerializer.gating_scope  # declared after it, so its nodes are the scope's

    class Meta:
        model = Client
        fields = ["id", "name"]
        read_only_fields = fields


def field_values(credential: Credential) -> list[dict[str, Any]]:
    """The credential's fields in definition order; secure values are never read here (only whether one is set)."""
    secure_set = {row.field_id for row in credential.secure_values.all()}
    children = _live_children(credential)
    entries = []
    for spec in credential.definition:
        entry = {
            "id": spec["id"],
            "name": spec["name"],
            "value_type": spec["value_type"],
            "secure": spec["secure"],
            "required": spec["required"],
        }
        if spec["value_type"] == "multi_credential":
            path = join_path(credential.parent_field, spec["id"])
            entry["value"] = [str(child.pk) for child in children if child.parent_field == path]
            entry["is_set"] = bool(entry["value"])
            entry["sub_fields"] = spec.get("sub_fields", [])
        elif spec["secure"]:
            entry["value"] = None
            entry["is_set"] = spec["id"] in secure_set
        else:
            entry["value"] = (credential.values or {}).get(spec["id"])
            entry["is_set"] = entry["value"] is not None
        entries.append(entry)
    return entries


def _live_children(credential: Credential) -> list[Credential]:
    children = getattr(credential, "live_children", None)
    if children is None:
        children = list(credential.children.filter(deleted_at__isnull=True).order_by("name", "id"))
    return children


class CredentialSerializer(GatedModelSerializer):
    """A credential as every read returns it. Field gating: ``obj.credential.<field>``."""

    gating_scope = "credential"
    gating_label = "Credential"
    client_id = serializers.UUIDField(read_only=True)
    type_id = serializers.UUIDField(read_only=True)
    parent_id = serializers.UUIDField(read_only=True, allow_null=True)
    fields = serializers.SerializerMethodField(method_name="get_field_values")
    sub_credentials = serializers.SerializerMethodField()
    contact_ids = serializers.PrimaryKeyRelatedField(source="contacts", many=True, read_only=True)
    vendor_ids = serializers.PrimaryKeyRelatedField(source="vendors", many=True, read_only=True)
    asset_ids = serializers.PrimaryKeyRelatedField(source="assets", many=True, read_only=True)
    software_ids = serializers.PrimaryKeyRelatedField(source="software", many=True, read_only=True)
    type = TypeSummarySerializer(read_only=True)
    client = ClientSummarySerializer(read_only=True)

    class Meta:
        model = Credential
        fields = [
            "id", "client_id", "type_id", "parent_id", "parent_field", "name", "notes", "fields", "sub_credentials",
            "contact_ids", "vendor_ids", "asset_ids", "software_ids", "type", "client", "deleted_at", "created_at",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(CredentialFieldSerializer(many=True))
    def get_field_values(self, obj: Credential) -> list[dict]:
        return field_values(obj)

    @extend_schema_field(
        {
            "type": "object",
            "additionalProperties": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"id": {"type": "string", "format": "uuid"}, "name": {"type": "string"}},
                },
            },
            "description": "Live sub-credentials by the path of their multi_credential field",
        }
    )
    def get_sub_credentials(self, obj: Credential) -> dict[str, list[dict]]:
        grouped: dict[str, list[dict]] = {}
        for child in _live_children(obj):
            grouped.setdefault(child.parent_field, []).append({"id": str(child.pk), "name": child.name})
        return grouped


class SecureValueSerializer(serializers.Serializer):
    field_id = serializers.CharField()
    value = serializers.CharField(allow_null=True)


class TotpSerializer(serializers.Serializer):
    field_id = serializers.CharField()
    code = serializers.CharField()
    seconds_remaining = serializers.IntegerField()
    period = serializers.IntegerField()
    digits = serializers.IntegerField()


class ValueTypeSerializer(serializers.Serializer):
    value_type = serializers.CharField()
    label = serializers.CharField()
    description = serializers.CharField()
    secure = serializers.ChoiceField(choices=["always", "optional", "never"])
