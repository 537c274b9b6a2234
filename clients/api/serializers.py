from django.core.validators import RegexValidator
from django.utils import timezone
from rest_framework import serializers

from clients.models import Client, Contact, Location, Vendor
from integrations.hooks import refuse_mastered_writes
from psa.api.serializers import GatedModelSerializer, ScopedPrimaryKeyRelatedField


class TagListField(serializers.ListField):
    child = serializers.CharField(max_length=50)

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        return sorted({value.strip() for value in values if value.strip()})


class ClientSerializer(GatedModelSerializer):
    gating_scope = "client"
    is_active = serializers.BooleanField(required=False)
    identifier = serializers.CharField(max_length=50, required=False, allow_null=True, allow_blank=True)
    tags = TagListField(required=False, max_length=50)
    currency = serializers.CharField(
        max_length=3,
        min_length=3,
        required=False,
        # Also the schema's pattern for it (drf-spectacular documents a RegexValidator).
        validators=[RegexValidator(r"^[A-Za-z]{3}$", "Use a three-letter ISO 4217 code, e.g. USD.")],
    )
    # AlgaPSA's names, read by its mobile app, beside ours.
    client_id = serializers.UUIDField(source="id", read_only=True)
    client_name = serializers.CharField(source="name", read_only=True)
    is_inactive = serializers.SerializerMethodField()
    logoUrl = serializers.SerializerMethodField(help_text="Always null: PSA stores no client logos")

    class Meta:
        model = Client
        fields = [
            "id", "client_id", "client_name", "is_inactive", "logoUrl", "name", "identifier", "type", "website", "phone", "email", "address", "notes", "hourly_rate",
            "currency", "tags", "is_lead", "is_active", "archived_at", "cw_company_id", "cw_identifier", "hudu_id",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["archived_at", "cw_company_id", "cw_identifier", "hudu_id", "created_at", "updated_at"]
        validators = []  # uniqueness is checked in validate(), with messages naming the field

    def get_is_inactive(self, client: Client) -> bool:
        return client.archived_at is not None

    def get_logoUrl(self, client: Client) -> str | None:
        return None

    def validate_identifier(self, value):
        value = (value or "").strip() or None
        if value is not None:
            clash = Client.objects.filter(identifier__iexact=value)
            if self.instance is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise serializers.ValidationError("Another client already uses this identifier.")
        return value

    def validate(self, attrs):
        attrs = super().validate(attrs)
        refuse_mastered_writes(self, attrs)  # fields a sync owns are read-only on linked clients
        return attrs

    def validate_currency(self, value: str) -> str:
        if not (value.isascii() and value.isalpha()):
            raise serializers.ValidationError("Use a three-letter ISO 4217 code, e.g. USD.")
        return value.upper()

    def _apply_active(self, validated_data, instance=None):
        if "is_active" not in validated_data:
            return validated_data
        active = validated_data.pop("is_active")
        currently = instance.archived_at if instance is not None else None
        validated_data["archived_at"] = None if active else (currently or timezone.now())
        return validated_data

    def create(self, validated_data):
        return super().create(self._apply_active(validated_data))

    def update(self, instance, validated_data):
        return super().update(instance, self._apply_active(validated_data, instance))


def _only_one_primary(serializer, attrs: dict, model, field: str = "is_primary") -> None:
    """Refuse a second primary row for the same client, with a message naming the field."""
    client = attrs.get("client", getattr(serializer.instance, "client", None))
    primary = attrs.get(field, getattr(serializer.instance, field, False))
    if not primary or client is None:
        return
    others = model.objects.filter(client=client, **{field: True})
    if serializer.instance is not None:
        others = others.exclude(pk=serializer.instance.pk)
    if others.exists():
        raise serializers.ValidationError({field: [f"This client already has a primary {model._meta.verbose_name}."]})


def _same_client(attrs: dict, instance, *fields: str, names: dict[str, str] | None = None) -> None:
    """Related rows (a location, a vendor...) must belong to the same client as the object itself.

    An error names the body field, ``<relation>_id`` unless ``names`` maps the relation to another name.
    """
    client = attrs.get("client", getattr(instance, "client", None))
    for name in fields:
        related = attrs.get(name)
        if related is None or client is None:
            continue
        owner = getattr(related, "client_id", None)
        if owner is not None and owner != client.pk:
            field = (names or {}).get(name, f"{name}_id")
            raise serializers.ValidationError({field: ["Belongs to another client."]})


class ContactSerializer(GatedModelSerializer):
    gating_scope = "contact"
    gating_derived = {
        "name": ("first_name", "last_name"),
        "full_name": ("first_name", "last_name"),
        "default_phone_number": ("phone", "mobile"),
    }
    client_id = ScopedPrimaryKeyRelatedField(source="client", queryset=Client.objects.all())
    location_id = ScopedPrimaryKeyRelatedField(
        source="location", queryset=Location.objects.all(), required=False, allow_null=True
    )
    name = serializers.CharField(read_only=True)
    # AlgaPSA's names, read by its mobile app, beside ours.
    contact_name_id = serializers.UUIDField(source="id", read_only=True)
    full_name = serializers.CharField(source="name", read_only=True)
    default_phone_number = serializers.SerializerMethodField()
    is_inactive = serializers.SerializerMethodField()
    avatarUrl = serializers.SerializerMethodField(help_text="Always null: PSA stores no contact photos")

    class Meta:
        model = Contact
        fields = [
            "id", "contact_name_id", "full_name", "default_phone_number", "is_inactive", "avatarUrl", "client_id", "first_name", "last_name", "name", "title", "department", "email", "phone", "mobile",
            "extension", "location_id", "is_primary", "is_billing", "is_technical", "notes", "is_active",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # uniqueness is checked in validate(), with messages naming the field

    def get_default_phone_number(self, contact: Contact) -> str | None:
        return contact.phone or contact.mobile or None

    def get_is_inactive(self, contact: Contact) -> bool:
        return not contact.is_active

    def get_avatarUrl(self, contact: Contact) -> str | None:
        return None

    def validate(self, attrs):
        attrs = super().validate(attrs)
        _same_client(attrs, self.instance, "location")
        _only_one_primary(self, attrs, Contact)
        refuse_mastered_writes(self, attrs)  # fields a sync owns are read-only on linked contacts
        return attrs


class LocationSerializer(GatedModelSerializer):
    gating_scope = "location"
    client_id = ScopedPrimaryKeyRelatedField(source="client", queryset=Client.objects.all())
    # AlgaPSA's names, read by its mobile app, beside ours.
    location_id = serializers.UUIDField(source="id", read_only=True)
    location_name = serializers.CharField(source="name", read_only=True)
    address_line1 = serializers.CharField(source="address1", read_only=True)
    state_province = serializers.CharField(source="state", read_only=True)

    class Meta:
        model = Location
        fields = [
            "id", "location_id", "location_name", "address_line1", "state_province", "client_id", "name", "address1", "address2", "city", "state", "zip", "country", "phone",
            "is_primary", "notes", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # uniqueness is checked in validate(), with messages naming the field

    def validate(self, attrs):
        attrs = super().validate(attrs)
        _only_one_primary(self, attrs, Location)
        return attrs


class VendorSerializer(GatedModelSerializer):
    gating_scope = "vendor"
    client_id = ScopedPrimaryKeyRelatedField(
        source="client", queryset=Client.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Vendor
        fields = [
            "id", "client_id", "name", "description", "contact_name", "phone", "email", "website", "account_number",
            "notes", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # uniqueness is checked in validate(), with messages naming the field


class ClientAddressSerializer(serializers.Serializer):
    address = serializers.CharField()
    primary_location = LocationSerializer(allow_null=True)


class ClientDetailSerializer(ClientSerializer):
    """A client with the optional parts of seed 004's company detail, present only when asked for."""

    class Meta(ClientSerializer.Meta):
        fields = ClientSerializer.Meta.fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        extras = self.context.get("include", ())
        if "address" in extras:
            primary = next((loc for loc in instance.locations.all() if loc.is_primary), None)
            data["address_details"] = {
                "address": instance.address,
                "primary_location": LocationSerializer(primary, context=self.context).data if primary else None,
            }
        if "primary_contact" in extras:
            primary = next((c for c in instance.contacts.all() if c.is_primary), None)
            data["primary_contact"] = ContactSerializer(primary, context=self.context).data if primary else None
        if "all_contacts" in extras:
            data["contacts"] = ContactSerializer(list(instance.contacts.all()), many=True, context=self.context).data
        return data
