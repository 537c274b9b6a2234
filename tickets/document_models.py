"""Documents: one stored file, attached to tickets, clients or assets through one association model.

A file's storage key is generated (``documents/<year>/<month>/<uuid>.<ext>``), never taken from the uploader's file
name; the name is kept, cleaned, for display and for the download's file name. Deleting a document's last
association deletes the document, and its file once the transaction commits (``tickets.signals``).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.db import models
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone
from django.utils.functional import LazyObject, empty

from psa.models import BaseModel

# Raster images a browser may show inline; everything else (SVG included: it can carry script) is an attachment.
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"})


class _DocumentStorage(LazyObject):
    def _setup(self) -> None:
        self._wrapped = storages["documents"]


_document_storage = _DocumentStorage()


@receiver(setting_changed)
def _storages_changed(setting: str, **kwargs) -> None:
    if setting == "STORAGES":  # as Django does for default_storage
        _document_storage._wrapped = empty


def document_storage():
    """The storage holding documents: ``STORAGES["documents"]`` (local files or an S3-compatible bucket)."""
    return _document_storage


def document_key(instance: Document, filename: str) -> str:
    now = timezone.now()
    extension = f".{instance.extension}" if instance.extension else ""
    return f"documents/{now:%Y}/{now:%m}/{uuid.uuid4().hex}{extension}"


class Document(BaseModel):
    name = models.CharField(max_length=255, help_text="The uploaded file's name, cleaned")
    file = models.FileField(upload_to=document_key, storage=document_storage, max_length=255)
    mime_type = models.CharField(max_length=100, help_text="Detected from the content, not the name")
    extension = models.CharField(max_length=20, blank=True, help_text="The extension matching the detected type")
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    audit_exclude = frozenset({"file"})

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        return self.mime_type in INLINE_IMAGE_TYPES


class DocumentAssociation(BaseModel):
    """A document attached to exactly one of a ticket, a client or an asset."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="associations")
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="document_links"
    )
    client = models.ForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.CASCADE, related_name="document_links"
    )
    asset = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.CASCADE, related_name="document_links"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(ticket__isnull=False, client__isnull=True, asset__isnull=True)
                    | Q(ticket__isnull=True, client__isnull=False, asset__isnull=True)
                    | Q(ticket__isnull=True, client__isnull=True, asset__isnull=False)
                ),
                name="document_association_one_target",
            ),
            models.UniqueConstraint(
                fields=["document", "ticket"], condition=Q(ticket__isnull=False), name="unique_document_ticket"
            ),
            models.UniqueConstraint(
                fields=["document", "client"], condition=Q(client__isnull=False), name="unique_document_client"
            ),
            models.UniqueConstraint(
                fields=["document", "asset"], condition=Q(asset__isnull=False), name="unique_document_asset"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_id} on {self.ticket_id or self.client_id or self.asset_id}"
