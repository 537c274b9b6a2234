"""The MSP's customers and their people."""

from __future__ import annotations

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
    notes = models.TextField(blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    scope_path = "pk"

    class Meta:
        ordering = ("name", "id")
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.archived_at is None


class Contact(BaseModel):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    title = models.CharField(max_length=100, blank=True)
    is_primary = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    scope_path = "client"

    class Meta:
        ordering = ("last_name", "first_name", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["client"], condition=Q(is_primary=True), name="one_primary_contact_per_client"
            )
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def name(self) -> str:
        return str(self)
