"""The MSP's customers and their people."""

from __future__ import annotations

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from psa.models import BaseModel


class Client(BaseModel):
    class Type(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        PROSPECT = "prospect", "Prospect"
        PARTNER = "partner", "Partner"
        INTERNAL = "internal", "Internal"

    name = models.CharField(max_length=200)
    identifier = models.CharField(
        max_length=50, null=True, blank=True, unique=True, help_text="Short unique code, e.g. ACME"
    )
    type = models.CharField(max_length=20, choices=Type.choices, default=Type.CUSTOMER)
    website = models.URLField(max_length=500, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    hourly_rate = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(
        max_length=3, default="USD", validators=[RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO 4217 code.")]
    )
    tags = models.JSONField(default=list, blank=True)
    is_lead = models.BooleanField(default=False)
    archived_at = models.DateTimeField(null=True, blank=True)
    # Filled by the integrations (ConnectWise, Hudu).
    cw_company_id = models.IntegerField(null=True, blank=True, unique=True)
    cw_identifier = models.CharField(max_length=100, blank=True)
    hudu_id = models.IntegerField(null=True, blank=True, unique=True)

    scope_path = "pk"

    class Meta:
        ordering = ("name", "id")
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.archived_at is None


def contact_name(first_name: str, last_name: str) -> str:
    """A contact's name as it is shown everywhere (``str(contact)``): the first and last name, stripped. Lists that
    read the two columns without a model object call it too."""
    return f"{first_name} {last_name}".strip()


class Contact(BaseModel):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    mobile = models.CharField(max_length=50, blank=True)
    extension = models.CharField(max_length=20, blank=True)
    title = models.CharField(max_length=100, blank=True)
    department = models.CharField(max_length=100, blank=True)
    location = models.ForeignKey(
        "clients.Location", null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    is_primary = models.BooleanField(default=False)
    is_billing = models.BooleanField(default=False)
    is_technical = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    is_active = models.BooleanField(default=True, help_text="Archived contacts are inactive.")

    scope_path = "client"

    class Meta:
        ordering = ("last_name", "first_name", "id")
        indexes = [models.Index(fields=["last_name", "first_name", "id"], name="contact_name_order")]
        constraints = [
            models.UniqueConstraint(
                fields=["client"], condition=Q(is_primary=True), name="one_primary_contact_per_client"
            )
        ]

    def __str__(self) -> str:
        return contact_name(self.first_name, self.last_name)

    @property
    def name(self) -> str:
        return str(self)


class Location(BaseModel):
    """One of a client's sites."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="locations")
    name = models.CharField(max_length=200)
    address1 = models.CharField(max_length=200, blank=True)
    address2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=100, blank=True)
    zip = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    is_primary = models.BooleanField(default=False)
    notes = models.TextField(blank=True)

    scope_path = "client"

    class Meta:
        ordering = ("name", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["client"], condition=Q(is_primary=True), name="one_primary_location_per_client"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Vendor(BaseModel):
    """A supplier: of one client, or of the MSP itself when ``client`` is empty (visible to every scope)."""

    client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.CASCADE, related_name="vendors")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    contact_name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    email = models.EmailField(blank=True)
    website = models.URLField(max_length=500, blank=True)
    account_number = models.CharField(max_length=100, blank=True)
    notes = models.TextField(blank=True)

    scope_path = "client"
    scope_includes_shared = True

    class Meta:
        ordering = ("name", "id")

    def __str__(self) -> str:
        return self.name
