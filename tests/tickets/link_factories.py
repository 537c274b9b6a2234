"""Test objects for documents, bundles and asset links: plain functions, written as the services would."""

from __future__ import annotations

import hashlib

from django.core.files.base import ContentFile

from tickets.asset_link_models import TicketAssetLink
from tickets.bundle_models import TicketBundle, TicketBundleChild
from tickets.document_models import Document, DocumentAssociation

PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)
PDF_BYTES = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def make_document(*targets, name: str = "notes.txt", content: bytes = b"some notes\n", mime: str = "text/plain"):
    """A stored document attached to each of ``targets`` (tickets, clients or assets)."""
    extension = name.rsplit(".", 1)[-1] if "." in name else ""
    document = Document(
        name=name, mime_type=mime, extension=extension, size=len(content), sha256=hashlib.sha256(content).hexdigest()
    )
    document.file.save(name, ContentFile(content), save=False)
    document.save()
    for target in targets:
        DocumentAssociation.objects.create(document=document, **{target._meta.model_name: target})
    return document


def make_bundle(master, *children, mode: str = TicketBundle.Mode.SYNC_UPDATES, reopen: bool = False) -> TicketBundle:
    bundle = TicketBundle.objects.create(master=master, mode=mode, reopen_on_child_reply=reopen)
    for child in children:
        TicketBundleChild.objects.create(bundle=bundle, ticket=child)
    return bundle


def link_asset(ticket, asset, relationship_type: str = "affected", notes: str = "") -> TicketAssetLink:
    return TicketAssetLink.objects.create(ticket=ticket, asset=asset, relationship_type=relationship_type, notes=notes)
