"""Ticket bundles (reference §1.12): one master ticket groups child tickets, one level deep.

:class:`TicketBundle` is the master's settings row and exists exactly while the master has children;
:class:`TicketBundleChild` makes a ticket a child (a ticket is a child of at most one bundle); :class:`BundleMirror`
records which public master comment was copied to which child, so a comment is mirrored once. The rules (one level,
locked workflow fields, propagation, reopening) live in :mod:`tickets.bundles`.
"""

from __future__ import annotations

from django.db import models

from psa.models import BaseModel


class TicketBundle(BaseModel):
    class Mode(models.TextChoices):
        SYNC_UPDATES = "sync_updates", "Sync updates"
        LINK_ONLY = "link_only", "Link only"

    master = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="bundle")
    mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.SYNC_UPDATES)
    reopen_on_child_reply = models.BooleanField(default=False)

    scope_path = "master__client"

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"Bundle of {self.master_id}"


class TicketBundleChild(BaseModel):
    bundle = models.ForeignKey(TicketBundle, on_delete=models.CASCADE, related_name="children")
    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="bundle_membership")

    scope_path = "ticket__client"

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"{self.ticket_id} in {self.bundle_id}"


class BundleMirror(BaseModel):
    source_comment = models.ForeignKey("tickets.Comment", on_delete=models.CASCADE, related_name="mirrors")
    child_ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    child_comment = models.OneToOneField("tickets.Comment", on_delete=models.CASCADE, related_name="mirrored_from")

    class Meta:
        ordering = ("created_at", "id")
        constraints = [
            models.UniqueConstraint(fields=["source_comment", "child_ticket"], name="unique_bundle_mirror"),
        ]

    def __str__(self) -> str:
        return f"{self.source_comment_id} -> {self.child_ticket_id}"
