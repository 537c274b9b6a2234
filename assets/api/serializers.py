from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from assets import validators
from assets.models import Asset, AssetInterface, Certificate, Domain, Network, Software, SoftwareSeat
from clients.api.serializers import TagListField, _same_client
from clients.models import Client, Contact, Location, Vendor
from psa.api.serializers import GatedModelSerializer, PassiveSerializer, ScopedPrimaryKeyRelatedField


def _django_to_drf(func, value):
    try:
        return func(value)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(list(exc.messages)) from None


def _dates_in_order(attrs: dict, instance, earlier: str, later: str) -> None:
    first = attrs.get(earlier, getattr(instance, earlier, None))
    second = attrs.get(later, getattr(instance, later, None))
    if first and second and second < first:
        raise serializers.ValidationError({later: [f"Must not be before {earlier.replace('_', ' ')} ({first})."]})


def _client_field(**kwargs):
    return ScopedPrimaryKeyRelatedField(source="client", queryset=Client.objects.all(), **kwargs)


def _optional(name: str, queryset, **kwargs):
    return ScopedPrimaryKeyRelatedField(source=name, queryset=queryset, required=False, allow_null=True, **kwargs)


class NetworkSerializer(GatedModelSerializer):
    gating_scope = "network"
    client_id = _client_field()
    location_id = _optional("location", Location.objects.all())

    class Meta:
        model = Network
        fields = ["id", "client_id", "name", "vlan", "cidr", "gateway", "dhcp_range", "location_id", "notes",
                  "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # uniqueness is checked in validate(), with messages naming the field

    def validate_cidr(self, value: str) -> str:
        return _django_to_drf(validators.normalize_cidr, value)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        _same_client(attrs, self.instance, "location")
        cidr = attrs.get("cidr", getattr(self.instance, "cidr", None))
        gateway = attrs.get("gateway", getattr(self.instance, "gateway", None))
        if cidr and gateway and not validators.ip_in_network(gateway, cidr):
            raise serializers.ValidationError({"gateway": [f"{gateway} is not inside {cidr}."]})
        dhcp = attrs.get("dhcp_range")
        if dhcp:
            try:
                attrs["dhcp_range"] = validators.parse_range(dhcp, cidr)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"dhcp_range": list(exc.messages)}) from None
        return attrs


class AssetInterfaceSerializer(GatedModelSerializer):
    gating_scope = "asset_interface"
    gating_label = "Asset interface"
    asset_id = serializers.UUIDField(read_only=True)
    network_id = _optional("network", Network.objects.all())
    # Declared rather than generated: the generated fields add the model's validator to DRF's own, so a bad
    # address got two messages, one of them "valid IPv4 or IPv6".
    ipv4 = serializers.IPAddressField(protocol="IPv4", required=False, allow_null=True)
    ipv6 = serializers.IPAddressField(protocol="IPv6", required=False, allow_null=True)

    class Meta:
        model = AssetInterface
        fields = ["id", "asset_id", "name", "mac", "ipv4", "ipv6", "port", "network_id", "is_primary",
                  "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # uniqueness is checked in validate(), with messages naming the field

    def validate_mac(self, value: str) -> str:
        return _django_to_drf(validators.normalize_mac, value) if value else ""

    def _asset(self):
        return self.instance.asset if self.instance is not None else self.context.get("parent")

    def validate(self, attrs):
        attrs = super().validate(attrs)
        asset = self._asset()
        network = attrs.get("network")
        if asset is not None and network is not None and network.client_id != asset.client_id:
            raise serializers.ValidationError({"network_id": ["Belongs to another client."]})
        if asset is not None and attrs.get("is_primary"):
            others = AssetInterface.objects.filter(asset=asset, is_primary=True)
            if self.instance is not None:
                others = others.exclude(pk=self.instance.pk)
            if others.exists():
                raise serializers.ValidationError({"is_primary": ["This asset already has a primary interface."]})
        mac = attrs.get("mac")
        if asset is not None and mac:
            same = AssetInterface.objects.filter(asset=asset, mac=mac)
            if self.instance is not None:
                same = same.exclude(pk=self.instance.pk)
            if same.exists():
                raise serializers.ValidationError({"mac": ["Another interface of this asset has this MAC address."]})
        return attrs


class AssetSerializer(GatedModelSerializer):
    gating_scope = "asset"
    client_id = _client_field()
    location_id = _optional("location", Location.objects.all())
    contact_id = _optional("contact", Contact.objects.all())
    vendor_id = _optional("vendor", Vendor.objects.all())
    network_id = _optional("network", Network.objects.all())
    tags = TagListField(required=False, max_length=50)
    interfaces = AssetInterfaceSerializer(many=True, read_only=True)
    is_archived = serializers.BooleanField(required=False, write_only=True)

    class Meta:
        model = Asset
        fields = [
            "id", "client_id", "name", "type", "make", "model", "serial", "os", "status", "purchase_date",
            "warranty_expires", "install_date", "location_id", "contact_id", "vendor_id", "network_id", "uri",
            "notes", "tags", "interfaces", "is_archived", "archived_at", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["archived_at", "created_at", "updated_at"]
        validators = []  # uniqueness is checked in validate(), with messages naming the field

    def validate_serial(self, value: str) -> str:
        return value.strip()

    def validate(self, attrs):
        attrs = super().validate(attrs)
        _same_client(attrs, self.instance, "location", "contact", "vendor", "network")
        _dates_in_order(attrs, self.instance, "purchase_date", "warranty_expires")
        _dates_in_order(attrs, self.instance, "purchase_date", "install_date")
        client = attrs.get("client", getattr(self.instance, "client", None))
        serial = attrs.get("serial")
        if serial and client is not None:
            clash = Asset.objects.filter(client=client, serial__iexact=serial)
            if self.instance is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise serializers.ValidationError({"serial": ["Another asset of this client has this serial number."]})
        if "is_archived" in attrs:
            from django.utils import timezone

            archived = attrs.pop("is_archived")
            current = getattr(self.instance, "archived_at", None)
            attrs["archived_at"] = (current or timezone.now()) if archived else None
        return attrs


class AssetUpsertInterfaceSerializer(PassiveSerializer):
    name = serializers.CharField(max_length=100)
    mac = serializers.CharField(max_length=32, required=False, allow_blank=True)
    ipv4 = serializers.IPAddressField(protocol="IPv4", required=False, allow_null=True)
    ipv6 = serializers.IPAddressField(protocol="IPv6", required=False, allow_null=True)
    port = serializers.CharField(max_length=50, required=False, allow_blank=True)
    is_primary = serializers.BooleanField(required=False, default=False)

    def validate_mac(self, value: str) -> str:
        return _django_to_drf(validators.normalize_mac, value) if value else ""


class AssetUpsertSerializer(PassiveSerializer):
    """The body of ``PUT /assets/upsert``: asset fields plus the serial and/or MAC used to find the asset."""

    client_id = _client_field()
    serial = serializers.CharField(max_length=100, required=False, allow_blank=True)
    mac = serializers.CharField(max_length=32, required=False, allow_blank=True)
    name = serializers.CharField(max_length=200, required=False)
    type = serializers.ChoiceField(choices=Asset.Type.choices, required=False)
    make = serializers.CharField(max_length=100, required=False, allow_blank=True)
    model = serializers.CharField(max_length=100, required=False, allow_blank=True)
    os = serializers.CharField(max_length=100, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=Asset.Status.choices, required=False)
    notes = serializers.CharField(required=False, allow_blank=True)
    interfaces = AssetUpsertInterfaceSerializer(many=True, required=False)

    def validate_mac(self, value: str) -> str:
        return _django_to_drf(validators.normalize_mac, value) if value else ""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        attrs["serial"] = attrs.get("serial", "").strip()
        if not attrs["serial"] and not attrs.get("mac"):
            raise serializers.ValidationError({"serial": ["Give a serial number or a MAC address to match on."]})
        return attrs


class DomainSerializer(GatedModelSerializer):
    gating_scope = "domain"
    client_id = _client_field()
    registrar_id = _optional("registrar", Vendor.objects.all())
    web_host_id = _optional("web_host", Vendor.objects.all())
    name_servers = serializers.ListField(child=serializers.CharField(max_length=253), required=False, max_length=20)
    mail_servers = serializers.ListField(child=serializers.CharField(max_length=253), required=False, max_length=20)

    class Meta:
        model = Domain
        fields = ["id", "client_id", "name", "registrar_id", "web_host_id", "expires_on", "ip", "name_servers",
                  "mail_servers", "notes", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # uniqueness is checked in validate(), with messages naming the field

    def validate_name(self, value: str) -> str:
        return _django_to_drf(validators.normalize_domain, value)

    def _hosts(self, values: list[str]) -> list[str]:
        return [_django_to_drf(validators.normalize_domain, v) for v in values]

    def validate_name_servers(self, values):
        return self._hosts(values)

    def validate_mail_servers(self, values):
        return self._hosts(values)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        _same_client(attrs, self.instance, "registrar", "web_host")
        client = attrs.get("client", getattr(self.instance, "client", None))
        name = attrs.get("name")
        if name and client is not None:
            clash = Domain.objects.filter(client=client, name=name)
            if self.instance is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise serializers.ValidationError({"name": ["This client already has this domain."]})
        return attrs


class CertificateSerializer(GatedModelSerializer):
    gating_scope = "certificate"
    client_id = _client_field()
    domain_id = _optional("domain_record", Domain.objects.all())

    class Meta:
        model = Certificate
        fields = ["id", "client_id", "name", "domain", "domain_id", "issued_on", "expires_on", "issuer",
                  "public_key", "notes", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # uniqueness is checked in validate(), with messages naming the field

    def validate_domain(self, value: str) -> str:
        if not value:
            return value
        wildcard = value.strip().startswith("*.")
        name = _django_to_drf(validators.normalize_domain, value.strip()[2:] if wildcard else value)
        return f"*.{name}" if wildcard else name

    def validate(self, attrs):
        attrs = super().validate(attrs)
        _same_client(attrs, self.instance, "domain_record", names={"domain_record": "domain_id"})
        pem = attrs.get("public_key")
        if pem:
            try:
                facts = validators.read_pem(pem)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"public_key": list(exc.messages)}) from None
            # What the certificate says wins over what was typed.
            attrs.update(issued_on=facts.issued_on, expires_on=facts.expires_on, issuer=facts.issuer)
            attrs["domain"] = facts.domain or attrs.get("domain", "")
        _dates_in_order(attrs, self.instance, "issued_on", "expires_on")
        return attrs


class SoftwareSerializer(GatedModelSerializer):
    gating_scope = "software"
    client_id = _client_field()
    vendor_id = _optional("vendor", Vendor.objects.all())
    seats_used = serializers.IntegerField(read_only=True)

    class Meta:
        model = Software
        fields = ["id", "client_id", "name", "version", "type", "license_type", "vendor_id", "seats", "seats_used",
                  "purchase_date", "expires_on", "notes", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # uniqueness is checked in validate(), with messages naming the field

    def validate(self, attrs):
        attrs = super().validate(attrs)
        _same_client(attrs, self.instance, "vendor")
        _dates_in_order(attrs, self.instance, "purchase_date", "expires_on")
        seats = attrs.get("seats")
        if self.instance is not None and seats is not None:
            used = self.instance.seat_assignments.count()
            if seats < used:
                raise serializers.ValidationError({"seats": [f"{used} seats are assigned; unassign some first."]})
        return attrs


class SoftwareSeatSerializer(GatedModelSerializer):
    gating_scope = "software_seat"
    gating_label = "Software seat"
    software_id = serializers.UUIDField(read_only=True)
    asset_id = _optional("asset", Asset.objects.all())
    contact_id = _optional("contact", Contact.objects.all())

    class Meta:
        model = SoftwareSeat
        fields = ["id", "software_id", "asset_id", "contact_id", "created_at"]
        read_only_fields = ["created_at"]
        validators = []  # uniqueness is checked in validate(), with messages naming the field

    def validate(self, attrs):
        attrs = super().validate(attrs)
        asset, contact = attrs.get("asset"), attrs.get("contact")
        if (asset is None) == (contact is None):
            raise serializers.ValidationError({"asset_id": ["Assign the seat to exactly one asset or one contact."]})
        software = self.context.get("parent")
        assignee = asset or contact
        if software is not None and assignee.client_id != software.client_id:
            field = "asset_id" if asset else "contact_id"
            raise serializers.ValidationError({field: ["Belongs to another client."]})
        if software is not None:
            taken = SoftwareSeat.objects.filter(
                software=software, **({"asset": asset} if asset else {"contact": contact})
            )
            if taken.exists():
                field = "asset_id" if asset else "contact_id"
                raise serializers.ValidationError({field: ["Already holds a seat of this software."]})
        return attrs


class ExpirationSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["domain", "certificate", "licence", "warranty"])
    object_id = serializers.UUIDField()
    name = serializers.CharField()
    client_id = serializers.UUIDField()
    client_name = serializers.CharField()
    expires_on = serializers.DateField()
    days_left = serializers.IntegerField()


class AssetBriefSerializer(GatedModelSerializer):
    """An asset in brief, wherever another object's response names one (a ticket's linked assets): each field is
    gated by the asset's own node (``obj.asset.name``...), as in ``GET /assets/{id}``."""

    gating_scope = "asset"
    client_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = Asset
        fields = ["id", "name", "type", "status", "serial", "client_id"]
        read_only_fields = fields
