from django.utils import timezone
from rest_framework import serializers

from clients.models import Client, Contact
from psa.api.serializers import GatedModelSerializer, ScopedPrimaryKeyRelatedField


class ClientSerializer(GatedModelSerializer):
    gating_scope = "client"
    is_active = serializers.BooleanField(required=False)
    identifier = serializers.CharField(max_length=50, required=False, allow_null=True, allow_blank=True)

    class Meta:
        model = Client
        fields = [
            "id",
            "name",
            "identifier",
            "type",
            "website",
            "notes",
            "is_active",
            "archived_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["archived_at", "created_at", "updated_at"]

    def validate_identifier(self, value):
        value = (value or "").strip() or None
        if value is not None:
            clash = Client.objects.filter(identifier__iexact=value)
            if self.instance is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise serializers.ValidationError("Another client already uses this identifier.")
        return value

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


class ContactSerializer(GatedModelSerializer):
    gating_scope = "contact"
    client_id = ScopedPrimaryKeyRelatedField(source="client", queryset=Client.objects.all())
    name = serializers.CharField(read_only=True)

    class Meta:
        model = Contact
        fields = [
            "id",
            "client_id",
            "first_name",
            "last_name",
            "name",
            "email",
            "phone",
            "title",
            "is_primary",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        client = attrs.get("client", getattr(self.instance, "client", None))
        primary = attrs.get("is_primary", getattr(self.instance, "is_primary", False))
        if primary and client is not None:
            others = Contact.objects.filter(client=client, is_primary=True)
            if self.instance is not None:
                others = others.exclude(pk=self.instance.pk)
            if others.exists():
                raise serializers.ValidationError({"is_primary": ["This client already has a primary contact."]})
        return attrs
