"""Sales opportunities, mirrored from ConnectWise Manage (seed 004's ``/sales`` routes).

ConnectWise masters every column; the sync links each opportunity to the local client, contact and location synced
from the same company, contact and site, and to the user whose ``cw_identifier`` is its primary sales rep. Reference
objects ConnectWise sends (``{"id", "name"}``) are kept as they are, beside those links, so a reference to something
not synced still shows. Money is in minor units (cents).

An opportunity deleted in ConnectWise is archived (``archived_at``), never deleted here: it leaves the default lists
and stays readable, with what refers to it, under ``include_archived``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from psa.models import BaseModel


class Opportunity(BaseModel):
    source = models.ForeignKey(
        "integrations.Source", null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunities"
    )
    cw_opportunity_id = models.IntegerField(unique=True, help_text="The opportunity's id in ConnectWise")
    name = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    type = models.JSONField(null=True, blank=True, help_text="ConnectWise reference {id, name}")
    stage = models.JSONField(null=True, blank=True)
    status = models.JSONField(null=True, blank=True)
    priority = models.JSONField(null=True, blank=True)
    rating = models.JSONField(null=True, blank=True)
    campaign = models.JSONField(null=True, blank=True)
    location_ref = models.JSONField(null=True, blank=True, help_text="ConnectWise location (business location)")
    department = models.JSONField(null=True, blank=True)
    lead_source = models.CharField(max_length=100, blank=True, help_text="ConnectWise's free-text 'source'")
    client = models.ForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunities"
    )
    company_ref = models.JSONField(null=True, blank=True)
    contact = models.ForeignKey(
        "clients.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunities"
    )
    contact_ref = models.JSONField(null=True, blank=True)
    location = models.ForeignKey(
        "clients.Location", null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunities"
    )
    site_ref = models.JSONField(null=True, blank=True)
    sales_rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunities"
    )
    primary_sales_rep = models.JSONField(null=True, blank=True)
    secondary_sales_rep = models.JSONField(null=True, blank=True)
    closed_by = models.JSONField(null=True, blank=True)
    customer_po = models.CharField(max_length=100, blank=True)
    total_sales_tax = models.BigIntegerField(default=0, help_text="Minor units")
    probability = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Percent")
    expected_close_date = models.DateTimeField(null=True, blank=True)
    pipeline_change_date = models.DateTimeField(null=True, blank=True)
    date_became_lead = models.DateTimeField(null=True, blank=True)
    closed_date = models.DateTimeField(null=True, blank=True)
    is_closed = models.BooleanField(default=False)
    custom_fields = models.JSONField(default=list, blank=True)
    cw_last_updated = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(
        null=True, blank=True, help_text="When the deletion scan found it gone from ConnectWise (kept, not deleted)"
    )

    scope_path = "client"

    class Meta:
        ordering = ("-expected_close_date", "id")
        verbose_name_plural = "opportunities"
        indexes = [
            models.Index(fields=["is_closed", "expected_close_date"], name="opportunity_open_close_date"),
            models.Index(fields=["client", "is_closed"], name="opportunity_client"),
        ]

    def __str__(self) -> str:
        return self.name
