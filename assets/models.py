"""A client's estate: assets and their interfaces, networks, domains, certificates, software and licence seats."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from psa.models import BaseModel


class Network(BaseModel):
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="networks")
    name = models.CharField(max_length=200)
    vlan = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(4094)]
    )
    cidr = models.CharField(max_length=64, help_text="The network in CIDR notation, e.g. 192.168.1.0/24")
    gateway = models.GenericIPAddressField(null=True, blank=True)
    dhcp_range = models.CharField(max_length=100, blank=True, help_text="first-last")
    location = models.ForeignKey("clients.Location", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    notes = models.TextField(blank=True)

    scope_path = "client"

    class Meta:
        ordering = ("name", "id")

    def __str__(self) -> str:
        return f"{self.name} ({self.cidr})"


class Asset(BaseModel):
    class Type(models.TextChoices):
        LAPTOP = "laptop", "Laptop"
        DESKTOP = "desktop", "Desktop"
        SERVER = "server", "Server"
        VIRTUAL_MACHINE = "virtual_machine", "Virtual machine"
        FIREWALL = "firewall", "Firewall"
        ROUTER = "router", "Router"
        SWITCH = "switch", "Switch"
        ACCESS_POINT = "access_point", "Access point"
        PRINTER = "printer", "Printer"
        PHONE = "phone", "Phone"
        MOBILE = "mobile", "Mobile"
        TABLET = "tablet", "Tablet"
        CAMERA = "camera", "Camera"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        READY = "ready_to_deploy", "Ready to deploy"
        DEPLOYED = "deployed", "Deployed"
        IN_REPAIR = "in_repair", "Out for repair"
        LOST = "lost", "Lost"
        STOLEN = "stolen", "Stolen"
        RETIRED = "retired", "Retired"

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="assets")
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=20, choices=Type.choices, default=Type.OTHER)
    make = models.CharField(max_length=100, blank=True)
    model = models.CharField(max_length=100, blank=True)
    serial = models.CharField(max_length=100, blank=True, db_index=True)
    os = models.CharField("operating system", max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DEPLOYED)
    purchase_date = models.DateField(null=True, blank=True)
    warranty_expires = models.DateField(null=True, blank=True)
    install_date = models.DateField(null=True, blank=True)
    location = models.ForeignKey("clients.Location", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    contact = models.ForeignKey(
        "clients.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="assets"
    )
    vendor = models.ForeignKey("clients.Vendor", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    network = models.ForeignKey(Network, null=True, blank=True, on_delete=models.SET_NULL, related_name="assets")
    uri = models.URLField(max_length=500, blank=True)
    notes = models.TextField(blank=True)
    tags = models.JSONField(default=list, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    scope_path = "client"

    class Meta:
        ordering = ("name", "id")
        constraints = [
            # An RMM upsert by serial can never create a second asset with the same serial for one client.
            models.UniqueConstraint(
                fields=["client", "serial"], condition=~Q(serial=""), name="unique_serial_per_client"
            )
        ]

    def __str__(self) -> str:
        return self.name


class AssetInterface(BaseModel):
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="interfaces")
    name = models.CharField(max_length=100)
    mac = models.CharField("MAC address", max_length=17, blank=True, db_index=True)
    ipv4 = models.GenericIPAddressField(protocol="IPv4", null=True, blank=True)
    ipv6 = models.GenericIPAddressField(protocol="IPv6", null=True, blank=True)
    port = models.CharField(max_length=50, blank=True)
    network = models.ForeignKey(Network, null=True, blank=True, on_delete=models.SET_NULL, related_name="interfaces")
    is_primary = models.BooleanField(default=False)

    scope_path = "asset__client"

    class Meta:
        ordering = ("-is_primary", "name", "id")
        constraints = [
            models.UniqueConstraint(fields=["asset"], condition=Q(is_primary=True), name="one_primary_interface"),
        ]

    def __str__(self) -> str:
        return f"{self.asset} {self.name}"


class Domain(BaseModel):
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="domains")
    name = models.CharField(max_length=253)
    registrar = models.ForeignKey("clients.Vendor", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    web_host = models.ForeignKey("clients.Vendor", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    expires_on = models.DateField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    name_servers = models.JSONField(default=list, blank=True)
    mail_servers = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True)

    scope_path = "client"

    class Meta:
        ordering = ("name", "id")
        constraints = [models.UniqueConstraint(fields=["client", "name"], name="unique_domain_per_client")]

    def __str__(self) -> str:
        return self.name


class Certificate(BaseModel):
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="certificates")
    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=253, blank=True, help_text="The host name the certificate is for")
    domain_record = models.ForeignKey(
        Domain, null=True, blank=True, on_delete=models.SET_NULL, related_name="certificates"
    )
    issued_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    issuer = models.CharField(max_length=255, blank=True)
    public_key = models.TextField(
        blank=True, help_text="The certificate in PEM; its dates, issuer and domain are read from it"
    )
    notes = models.TextField(blank=True)

    scope_path = "client"

    class Meta:
        ordering = ("name", "id")

    def __str__(self) -> str:
        return self.name


class Software(BaseModel):
    class Type(models.TextChoices):
        SAAS = "saas", "Software as a service"
        PRODUCTIVITY = "productivity", "Productivity suite"
        WEB = "web", "Web application"
        DESKTOP = "desktop", "Desktop application"
        MOBILE = "mobile", "Mobile application"
        SECURITY = "security", "Security software"
        SYSTEM = "system", "System software"
        OPERATING_SYSTEM = "operating_system", "Operating system"
        OTHER = "other", "Other"

    class LicenseType(models.TextChoices):
        DEVICE = "device", "Per device"
        USER = "user", "Per user"
        SITE = "site", "Site"
        CONCURRENT = "concurrent", "Concurrent"
        SUBSCRIPTION = "subscription", "Subscription"
        TRIAL = "trial", "Trial"
        PERPETUAL = "perpetual", "Perpetual"
        USAGE = "usage", "Usage-based"

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="software")
    name = models.CharField(max_length=200)
    version = models.CharField(max_length=50, blank=True)
    type = models.CharField(max_length=20, choices=Type.choices, default=Type.OTHER)
    license_type = models.CharField(max_length=20, choices=LicenseType.choices, default=LicenseType.SUBSCRIPTION)
    vendor = models.ForeignKey("clients.Vendor", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    seats = models.PositiveIntegerField(null=True, blank=True, help_text="Empty means unlimited")
    purchase_date = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)

    scope_path = "client"

    class Meta:
        ordering = ("name", "id")
        verbose_name_plural = "software"

    def __str__(self) -> str:
        return f"{self.name} {self.version}".strip()


class SoftwareSeat(BaseModel):
    """One seat of a licence, assigned to an asset or to a contact (exactly one of them)."""

    software = models.ForeignKey(Software, on_delete=models.CASCADE, related_name="seat_assignments")
    asset = models.ForeignKey(Asset, null=True, blank=True, on_delete=models.CASCADE, related_name="software_seats")
    contact = models.ForeignKey(
        "clients.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="software_seats"
    )

    scope_path = "software__client"

    class Meta:
        ordering = ("created_at", "id")
        constraints = [
            models.CheckConstraint(
                condition=(Q(asset__isnull=False) & Q(contact__isnull=True))
                | (Q(asset__isnull=True) & Q(contact__isnull=False)),
                name="seat_has_one_assignee",
            ),
            models.UniqueConstraint(fields=["software", "asset"], name="one_seat_per_asset"),
            models.UniqueConstraint(fields=["software", "contact"], name="one_seat_per_contact"),
        ]

    def __str__(self) -> str:
        return f"{self.software} → {self.asset or self.contact}"


class ExpiringItem(BaseModel):
    """What the daily expirations task found, for the dashboard; rebuilt on every run."""

    class Kind(models.TextChoices):
        DOMAIN = "domain", "Domain"
        CERTIFICATE = "certificate", "Certificate"
        LICENCE = "licence", "Licence"
        WARRANTY = "warranty", "Warranty"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    object_id = models.UUIDField()
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=255)
    expires_on = models.DateField(db_index=True)

    scope_path = "client"

    class Meta:
        ordering = ("expires_on", "id")
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="one_row_per_expiring_object")]

    def __str__(self) -> str:
        return f"{self.kind} {self.name} {self.expires_on}"
