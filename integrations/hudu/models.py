"""Hudu's own local tables: what a sync learns beyond the rows it writes into clients, assets, domains and the vault.

Companies link to clients through ``Client.hudu_id`` (and their :class:`~integrations.models.ExternalRecord`);
asset custom fields are kept in :class:`HuduAssetFields` beside the asset; asset passwords are vault credentials.
"""

from __future__ import annotations

from django.db import models


class HuduAssetFields(models.Model):
    """The custom fields of an asset synced from Hudu, as its asset layout names them.

    ``fields`` is ``[{label, value, field_type}]`` in layout order. Values of the layout's ``Password`` fields are
    never kept (``value`` is ``null`` and ``withheld`` true): Hudu's secrets belong in the vault, not in a JSON column.
    """

    asset = models.OneToOneField("assets.Asset", primary_key=True, on_delete=models.CASCADE, related_name="hudu")
    source = models.ForeignKey("integrations.Source", on_delete=models.CASCADE, related_name="+")
    hudu_id = models.BigIntegerField()
    layout_id = models.BigIntegerField(null=True, blank=True)
    layout_name = models.CharField(max_length=200, blank=True)
    url = models.CharField(max_length=500, blank=True)
    fields = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField()

    scope_path = "asset__client"

    class Meta:
        ordering = ("asset_id",)
        verbose_name = "Hudu asset fields"
        verbose_name_plural = "Hudu asset fields"

    def __str__(self) -> str:
        return f"Hudu fields of {self.asset_id}"


class HuduConnection(models.Model):
    """What the syncs found out about a Hudu source's API key (for ``GET /integrations/hudu``)."""

    source = models.OneToOneField("integrations.Source", primary_key=True, on_delete=models.CASCADE,
                                  related_name="hudu_connection")  # fmt: skip
    connected_at = models.DateTimeField(null=True, blank=True, help_text="The first time the key was accepted.")
    password_access = models.BooleanField(
        null=True, blank=True, help_text="Whether the key reached the password endpoints on the last passwords sync."
    )

    class Meta:
        ordering = ("source_id",)

    def __str__(self) -> str:
        return f"Hudu connection of {self.source_id}"
