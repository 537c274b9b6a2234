"""Asset links (reference §1.13): one record per asset and ticket, readable and writable from either side."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from psa.models import BaseModel

DEFAULT_RELATIONSHIP = "affected"


class TicketAssetLink(BaseModel):
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="asset_links")
    asset = models.ForeignKey("assets.Asset", on_delete=models.CASCADE, related_name="ticket_links")
    relationship_type = models.CharField(
        max_length=50, default=DEFAULT_RELATIONSHIP, help_text="Free text; the UI offers affected and related"
    )
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_path = "ticket__client"

    class Meta:
        ordering = ("created_at", "id")
        constraints = [models.UniqueConstraint(fields=["ticket", "asset"], name="unique_ticket_asset_link")]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.relationship_type} {self.ticket_id}"
