"""UniFi's mirror tables: the controller's sites (linked to clients) and their devices (linked to assets).

Nothing here ever holds a Wi-Fi passphrase or a PPSK key: WLANs are read live from the controller, never stored.
"""

from __future__ import annotations

from django.db import models

from psa.models import BaseModel


class UnifiSite(BaseModel):
    """One site of one UniFi source. ``site_id`` is the controller's short name (the URL key, e.g. ``default``),
    ``external_id`` its ``_id``; ``client`` is the MSP's customer the site belongs to (set by linking)."""

    source = models.ForeignKey("integrations.Source", on_delete=models.CASCADE, related_name="unifi_sites")
    site_id = models.CharField(max_length=64, help_text="The controller's short site name, used in its URLs")
    external_id = models.CharField(max_length=64, blank=True, help_text="The controller's _id of the site")
    name = models.CharField(max_length=200, help_text="The site's description on the controller")
    client = models.ForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.SET_NULL, related_name="unifi_sites"
    )
    deleted_at = models.DateTimeField(null=True, blank=True, help_text="Set when the controller no longer lists it")

    scope_path = "client"

    class Meta:
        ordering = ("name", "id")
        constraints = [models.UniqueConstraint(fields=["source", "site_id"], name="unifi_site_unique_per_source")]

    def __str__(self) -> str:
        return self.name


class UnifiDevice(BaseModel):
    """One adopted device of a site as last synced, and the client asset it was upserted onto (by MAC)."""

    class State(models.TextChoices):
        DISCONNECTED = "disconnected"
        CONNECTED = "connected"
        PENDING = "pending"
        UPGRADING = "upgrading"
        PROVISIONING = "provisioning"
        OTHER = "other"

    site = models.ForeignKey(UnifiSite, on_delete=models.CASCADE, related_name="devices")
    external_id = models.CharField(max_length=64)
    mac = models.CharField("MAC address", max_length=17)
    name = models.CharField(max_length=200, blank=True)
    model = models.CharField(max_length=100, blank=True)
    type = models.CharField(max_length=20, blank=True, help_text="uap, usw, ugw, udm, uxg…")
    ip = models.GenericIPAddressField(null=True, blank=True)
    firmware = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.OTHER)
    last_seen = models.DateTimeField(null=True, blank=True)
    asset = models.ForeignKey("assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    scope_path = "site__client"

    class Meta:
        ordering = ("name", "id")
        constraints = [models.UniqueConstraint(fields=["site", "mac"], name="unifi_device_unique_mac_per_site")]

    def __str__(self) -> str:
        return self.name or self.mac
