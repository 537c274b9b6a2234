"""UniFi request and response bodies: tracked sites (gated ``obj.unifiSite.<field>``) and the live objects."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from rest_framework import serializers

from assets.validators import normalize_mac
from clients.models import Client
from integrations.models import Source
from integrations.unifi.models import UnifiSite
from integrations.unifi.wifi import (
    BAND_CHOICES,
    SECURITY_CHOICES,
    WIFI_FIELDS,
    WPA_MODE_CHOICES,
    passphrase_problem,
)
from psa.api.serializers import GatedModelSerializer, PassiveSerializer, ScopedPrimaryKeyRelatedField


class UnifiClientBriefSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)


class UnifiSiteSerializer(GatedModelSerializer):
    gating_scope = "unifiSite"
    gating_label = "UniFi site"
    # The client summary shows the client's name: it needs that field's node too.
    gating_derived = {"client": ("obj.client.name",)}

    source_id = serializers.UUIDField(read_only=True)
    client_id = serializers.UUIDField(read_only=True, allow_null=True)
    client = UnifiClientBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = UnifiSite
        fields = [
            "id",
            "name",
            "site_id",
            "external_id",
            "source_id",
            "client_id",
            "client",
            "deleted_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class SiteLinkSerializer(PassiveSerializer):
    client_id = ScopedPrimaryKeyRelatedField(queryset=Client.objects.all(), help_text="The client to link to.")


class SiteCreateSerializer(PassiveSerializer):
    description = serializers.CharField(max_length=100, help_text="The site's name on the controller.")
    source_id = serializers.PrimaryKeyRelatedField(
        queryset=Source.objects.filter(kind="unifi"),
        required=False,
        help_text="The UniFi source to create it on; required when there is more than one.",
    )


class UnifiSyncResultSerializer(serializers.Serializer):
    source_id = serializers.UUIDField()
    run_id = serializers.UUIDField(allow_null=True)
    status = serializers.CharField()


class UnifiOverviewSerializer(serializers.Serializer):
    health = serializers.ListField(child=serializers.DictField(), help_text="stat/health: one entry per subsystem")
    sys_info = serializers.DictField(help_text="stat/sysinfo: version, hostname, timezone…")
    site_info = serializers.DictField(help_text="description and name (the short site name)")


class UnifiDeviceSerializer(serializers.Serializer):
    id = serializers.CharField()
    mac = serializers.CharField()
    model = serializers.CharField()
    name = serializers.CharField()
    type = serializers.CharField()
    state = serializers.CharField(help_text="connected, disconnected, pending, upgrading, provisioning or other")
    adopted = serializers.BooleanField()
    ip = serializers.CharField(allow_null=True)
    version = serializers.CharField()
    serial = serializers.CharField()
    uptime = serializers.IntegerField(allow_null=True)
    last_seen = serializers.IntegerField(allow_null=True, help_text="epoch seconds")
    num_sta = serializers.IntegerField(allow_null=True)
    upgradable = serializers.BooleanField()
    radios = serializers.ListField(child=serializers.DictField())
    uplink = serializers.DictField()


class UnifiAccessPointSerializer(serializers.Serializer):
    id = serializers.CharField()
    mac = serializers.CharField()
    model = serializers.CharField()
    type = serializers.CharField()
    name = serializers.CharField()
    state = serializers.CharField()
    adopted = serializers.BooleanField()
    ip = serializers.CharField(allow_null=True)
    version = serializers.CharField()


class UnifiNetworkSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    purpose = serializers.CharField()
    subnet = serializers.CharField(allow_null=True)
    vlan_id = serializers.IntegerField(allow_null=True)
    dhcp_enabled = serializers.BooleanField()
    dhcp_start = serializers.CharField(allow_null=True)
    dhcp_stop = serializers.CharField(allow_null=True)
    domain_name = serializers.CharField(allow_null=True)
    is_nat = serializers.BooleanField()
    enabled = serializers.BooleanField()


class UnifiWlanGroupSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    site_id = serializers.CharField(allow_null=True)
    no_delete = serializers.BooleanField()
    no_edit = serializers.BooleanField()
    hidden = serializers.BooleanField()


class UnifiWlanGroupCreateSerializer(PassiveSerializer):
    name = serializers.CharField(max_length=64)


class UnifiApGroupSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    device_macs = serializers.ListField(child=serializers.CharField())
    no_delete = serializers.BooleanField()


class UnifiSpeedProfileSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    site_id = serializers.CharField(allow_null=True)
    no_delete = serializers.BooleanField()
    download_limit_kbps = serializers.IntegerField(help_text="-1 = unlimited")
    upload_limit_kbps = serializers.IntegerField(help_text="-1 = unlimited")


def _rate(value: int) -> int:
    if value != -1 and not 2 <= value <= 100000:
        raise serializers.ValidationError("Give -1 (unlimited) or 2 to 100000 kbps.")
    return value


class UnifiSpeedProfileCreateSerializer(PassiveSerializer):
    name = serializers.CharField(max_length=64)
    download_limit_kbps = serializers.IntegerField(required=False, default=-1, help_text="-1 or omitted = unlimited")
    upload_limit_kbps = serializers.IntegerField(required=False, default=-1, help_text="-1 or omitted = unlimited")

    def validate_download_limit_kbps(self, value: int) -> int:
        return _rate(value)

    def validate_upload_limit_kbps(self, value: int) -> int:
        return _rate(value)


class UnifiRadioLimitSerializer(serializers.Serializer):
    radio = serializers.CharField(help_text="ng, na or 6e")
    band = serializers.CharField(help_text="2g, 5g or 6g")
    active_wlans = serializers.IntegerField()
    limit = serializers.IntegerField()
    remaining = serializers.IntegerField()
    wlan_names = serializers.ListField(child=serializers.CharField())


class UnifiWifiLimitSerializer(serializers.Serializer):
    ap_id = serializers.CharField()
    ap_name = serializers.CharField()
    mac = serializers.CharField()
    model = serializers.CharField()
    radios = UnifiRadioLimitSerializer(many=True)


_BOOLEAN = {
    "enabled",
    "wpa3_support",
    "wpa3_transition",
    "wpa3_fast_roaming",
    "wpa3_enhanced_192",
    "hide_ssid",
    "is_guest",
    "passphrase_autogenerated",
    "l2_isolation",
    "bss_transition",
    "proxy_arp",
    "no2ghz_oui",
}
_INTEGER = {"group_rekey", "dtim_ng", "dtim_na", "dtim_6e", "minrate_ng_data_rate_kbps", "minrate_na_data_rate_kbps"}
_LIST = {
    "bands",
    "ap_group_ids",
    "mac_filter_list",
    "sae_groups",
    "sae_psk",
    "schedule",
    "schedule_with_duration",
    "bc_filter_list",
    "private_pre_shared_keys",
}


def _wifi_field(name: str) -> serializers.Field:
    help_text = f"Shown with unifi.site.wifi.read.{name}"
    if name in _LIST:
        return serializers.ListField(child=serializers.JSONField(), required=False, help_text=help_text)
    if name in _BOOLEAN or name.endswith("_enabled") or name.endswith("_rates"):
        return serializers.BooleanField(required=False, allow_null=True, help_text=help_text)
    if name in _INTEGER:
        return serializers.IntegerField(required=False, allow_null=True, help_text=help_text)
    return serializers.CharField(required=False, allow_null=True, help_text=help_text)


WifiNetworkSerializer = type(
    "WifiNetworkSerializer",
    (serializers.Serializer,),
    {
        "__doc__": "A WLAN, each field present only for holders of unifi.site.wifi.read.<field>.",
        **{name: _wifi_field(name) for name in WIFI_FIELDS},
    },
)


class PassphraseValidator(RegexValidator):
    """:func:`passphrase_problem`'s rule, as a RegexValidator so that the schema states it as a pattern."""

    regex = r"^([\x20-\x7e]{8,63}|[0-9a-fA-F]{64})$"

    def __call__(self, value: str) -> None:
        problem = passphrase_problem(value)
        if problem:
            raise serializers.ValidationError(problem)


class WifiUpdateSerializer(PassiveSerializer):
    """Seed 004's WLAN fields, validated before anything is sent to the controller."""

    min_fields = 1  # the schema's minProperties (psa.api.schema)

    name = serializers.CharField(max_length=32, required=False, trim_whitespace=False, help_text="The SSID, 1-32")
    x_passphrase = serializers.CharField(
        required=False,
        trim_whitespace=False,
        max_length=64,
        write_only=True,
        validators=[PassphraseValidator()],
        help_text="WPA passphrase: 8-63 printable ASCII characters (or 64 hex digits); never stored or audited.",
    )
    enabled = serializers.BooleanField(required=False)
    security = serializers.ChoiceField(choices=SECURITY_CHOICES, required=False)
    wpa_mode = serializers.ChoiceField(choices=WPA_MODE_CHOICES, required=False)
    hide_ssid = serializers.BooleanField(required=False)
    is_guest = serializers.BooleanField(required=False)
    band = serializers.ChoiceField(choices=BAND_CHOICES, required=False)

    def validate(self, attrs: dict) -> dict:
        if not attrs:
            raise serializers.ValidationError({"non_field_errors": ["Send at least one field to change."]})
        if "x_passphrase" in attrs and attrs.get("security") == "open":
            raise serializers.ValidationError({"x_passphrase": ["An open network takes no passphrase."]})
        return attrs


class UnifiPpskSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The pre-shared key (shown to holders of unifi.site.wifi.ppsk only)")
    name = serializers.CharField()
    mac = serializers.CharField(allow_null=True)
    vlan_id = serializers.IntegerField(allow_null=True)


class UnifiPpskCreateSerializer(PassiveSerializer):
    key = serializers.CharField(
        trim_whitespace=False, max_length=64, validators=[PassphraseValidator()],
        help_text="8-63 printable ASCII characters (or 64 hex digits)",
    )  # fmt: skip
    name = serializers.CharField(max_length=100)
    mac = serializers.CharField(required=False, allow_null=True, max_length=40, help_text="Lock it to one device")
    vlan_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=4094,
        help_text="The VLAN (a network of the site) its clients join",
    )

    def validate_mac(self, value: str | None) -> str | None:
        if not value:
            return None
        try:
            return normalize_mac(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages[0]) from None
