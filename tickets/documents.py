"""Attaching, listing, serving and removing documents on tickets, clients and assets.

Uploads are typed from their first bytes (``filetype``), never from their name or the client's Content-Type; the
name is cleaned for display and downloads, and the stored key is generated. Files leave the server only through
:func:`file_response`, as attachments with ``nosniff`` (raster images may be shown inline), after the caller's view
has checked the permission node and the client scope of the object holding them.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from typing import Any

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.http import FileResponse
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError

from psa import audit
from tickets.document_models import INLINE_IMAGE_TYPES, Document, DocumentAssociation

NAME_MAX_LENGTH = 200
SNIFF_BYTES = 8192
FALLBACK_NAME = "document"
_UNSAFE_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The file is too large."
    default_code = "payload_too_large"


def max_upload_bytes() -> int:
    return settings.MAX_UPLOAD_BYTES


def too_large(size: int) -> PayloadTooLarge:
    limit = max_upload_bytes()
    return PayloadTooLarge(
        f"The file is {size:,} bytes; uploads may be at most {limit:,} bytes (PSA_MAX_UPLOAD_BYTES)."
    )


def check_content_length(request) -> None:
    """Refuse an oversized upload from its Content-Length, before Django reads the body."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise ValidationError({"file": ["The request has an invalid Content-Length."]}) from None
    # Multipart framing adds a little around the file itself.
    if length > max_upload_bytes() + 64 * 1024:
        raise too_large(length)


def clean_name(raw: str | None) -> str:
    """A display and download name: the last path part, printable, without characters file systems dislike."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[\\/]", name)[-1]
    name = _UNSAFE_CHARS.sub("_", name).strip(" .")
    if len(name) > NAME_MAX_LENGTH:
        stem, ext = os.path.splitext(name)
        ext = ext[:20]
        name = stem[: NAME_MAX_LENGTH - len(ext)] + ext
    return name or FALLBACK_NAME


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 4  # a multi-byte character cut by the sniff window
    return True


def detect_type(head: bytes) -> tuple[str, str]:
    """``(mime type, extension)`` read from the content's first bytes."""
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime, kind.extension
    if head and _looks_like_text(head):
        return "text/plain", "txt"
    return "application/octet-stream", ""


def _with_true_extension(name: str, extension: str) -> str:
    """``report.pdf`` that is really an executable downloads as ``report.pdf.exe``, never as a PDF."""
    if not extension or extension == "txt":
        return name
    current = os.path.splitext(name)[1].lower().lstrip(".")
    same = {current, extension} <= {"jpg", "jpeg"} or {current, extension} <= {"tif", "tiff"}
    if current == extension or same:
        return name
    return clean_name(f"{name}.{extension}")


def _read_upload(upload: UploadedFile) -> tuple[bytes, str]:
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    digest = hashlib.sha256(head)
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        digest.update(chunk)
    upload.seek(0)
    return head, digest.hexdigest()


def validate_upload(upload: Any) -> UploadedFile:
    if not isinstance(upload, UploadedFile):
        raise ValidationError({"file": ["Send the file as multipart/form-data in the field 'file'."]})
    if upload.size is not None and upload.size > max_upload_bytes():
        raise too_large(upload.size)
    if not upload.size:
        raise ValidationError({"file": ["The file is empty."]})
    return upload


def target_field(target: models.Model) -> str:
    """The association field that points at ``target``: ``ticket``, ``client`` or ``asset``."""
    field = {"ticket": "ticket", "client": "client", "asset": "asset"}.get(target._meta.model_name)
    if field is None:
        raise TypeError(f"documents cannot be attached to {target._meta.label}")
    return field


def owner_client_id(target: models.Model) -> Any:
    return target.pk if target_field(target) == "client" else target.client_id


def attach(request, target: models.Model, upload: UploadedFile) -> DocumentAssociation:
    """Store ``upload`` and attach it to ``target``, with its audit record and, on a ticket, its history line."""
    upload = validate_upload(upload)
    head, digest = _read_upload(upload)
    mime, extension = detect_type(head)
    name = _with_true_extension(clean_name(upload.name), extension)
    user = request.user if request.user.is_authenticated else None
    field = target_field(target)
    with transaction.atomic():
        document = Document(
            name=name, mime_type=mime, extension=extension, size=upload.size, sha256=digest, uploaded_by=user
        )
        document.file.save(name, upload, save=False)
        try:  # should the rows fail, the stored file must not stay behind
            document.save()
            association = DocumentAssociation.objects.create(document=document, created_by=user, **{field: target})
        except Exception:
            document.file.storage.delete(document.file.name)
            raise
        audit.record(
            request,
            "create",
            document,
            client_id=owner_client_id(target),
            changes={**audit.diff({}, audit.snapshot(document)), field: {"old": None, "new": str(target.pk)}},
        )
        if field == "ticket":
            _ticket_history(request, target, new=str(document.pk), new_display=name)
    return association


def detach(request, association: DocumentAssociation) -> None:
    """Remove one association; the document (and its file) go with the last one (``tickets.signals``)."""
    document = association.document
    field = next(name for name in ("ticket", "client", "asset") if getattr(association, f"{name}_id"))
    target = getattr(association, field)
    with transaction.atomic():
        association.delete()
        audit.record(
            request,
            "delete",
            document,
            client_id=owner_client_id(target),
            changes={field: {"old": str(target.pk), "new": None}, "name": {"old": document.name, "new": None}},
            object_type="tickets.document",
            object_id=document.pk,
        )
        if field == "ticket":
            _ticket_history(request, target, old=str(document.pk), old_display=document.name)


def _ticket_history(request, ticket, **values) -> None:
    from tickets import services
    from tickets.models import TicketChange

    services._event(request, ticket, TicketChange.Action.UPDATED, "documents", **values)
    services._touch(request, ticket)


def associations_of(target: models.Model):
    """The target's attachments, newest first, with what a list shows joined in."""
    field = target_field(target)
    return (
        DocumentAssociation.objects.filter(**{field: target})
        .select_related("document", "document__uploaded_by", "created_by")
        .order_by("-created_at", "-id")
    )


def file_response(document: Document, *, inline: bool = False) -> FileResponse:
    """The stored file as a download (or inline, for raster images only), never sniffed by the browser."""
    show_inline = inline and document.mime_type in INLINE_IMAGE_TYPES
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=not show_inline,
        filename=document.name,
        content_type=document.mime_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    response["Content-Length"] = str(document.size)
    return response
