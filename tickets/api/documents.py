"""Documents on tickets, clients and assets: ``/{tickets|clients|assets}/{id}/documents[/{document_id}]``.

One viewset per holder, each on the holder's model, so the holder's client scope and nodes guard every route: read
lists and downloads, update uploads and removes. Uploads are multipart (field ``file``), limited by
``PSA_MAX_UPLOAD_BYTES`` (413 beyond). A download is the file itself, as an attachment with ``nosniff``;
``?inline=true`` shows a raster image in the page (thumbnails), anything else stays an attachment.
"""

from __future__ import annotations

from typing import ClassVar

from django.shortcuts import get_object_or_404
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from assets.models import Asset
from clients.models import Client
from psa.access import restrict
from psa.api.schema import EnvelopeAutoSchema
from psa.api.serializers import PassiveSerializer
from psa.api.viewsets import UUID_REGEX, PsaGenericViewSet
from tickets import documents as document_service
from tickets.document_models import DocumentAssociation
from tickets.models import Ticket

DOCUMENT_ID = OpenApiParameter("document_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
INLINE = OpenApiParameter(
    "inline", OpenApiTypes.BOOL, description="true: show a PNG, JPEG, GIF, WebP or BMP image inline (thumbnails)"
)
UPLOAD_BODY = {
    "multipart/form-data": {
        "type": "object",
        "properties": {"file": {"type": "string", "format": "binary"}},
        "required": ["file"],
        "additionalProperties": False,  # any other form field is a 400 ("Unknown field.")
    }
}
TYPE_NAMES = {
    "application/pdf": "PDF document",
    "text/plain": "Text",
    "application/zip": "ZIP archive",
    "application/octet-stream": "File",
}


def type_name(mime: str) -> str:
    if mime in TYPE_NAMES:
        return TYPE_NAMES[mime]
    major, _, minor = mime.partition("/")
    if major == "image":
        return f"{minor.upper()} image"
    return minor.split(".")[-1].replace("x-", "").upper() or "File"


class DocumentSerializer(PassiveSerializer):
    """One attachment: the document and the association that attaches it here."""

    id = serializers.UUIDField(help_text="The document's id")
    document_id = serializers.UUIDField()
    file_id = serializers.UUIDField(help_text="Same as document_id (AlgaPSA's mobile app reads it)")
    association_id = serializers.UUIDField()
    document_name = serializers.CharField()
    mime_type = serializers.CharField(help_text="Detected from the content")
    type_name = serializers.CharField()
    file_size = serializers.IntegerField(help_text="Bytes")
    sha256 = serializers.CharField()
    is_image = serializers.BooleanField(help_text="Can be previewed inline (?inline=true)")
    created_by = serializers.UUIDField(allow_null=True)
    created_by_full_name = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    association_created_at = serializers.DateTimeField()
    download_url = serializers.CharField()


def document_data(association: DocumentAssociation, base_url: str) -> dict:
    document = association.document
    uploader = document.uploaded_by
    stamp = serializers.DateTimeField().to_representation
    return {
        "id": str(document.pk),
        "document_id": str(document.pk),
        "file_id": str(document.pk),
        "association_id": str(association.pk),
        "document_name": document.name,
        "mime_type": document.mime_type,
        "type_name": type_name(document.mime_type),
        "file_size": document.size,
        "sha256": document.sha256,
        "is_image": document.is_image,
        "created_by": str(uploader.pk) if uploader else None,
        "created_by_full_name": str(uploader) if uploader else None,
        "created_at": stamp(document.created_at),
        "updated_at": stamp(document.updated_at),
        "association_created_at": stamp(association.created_at),
        "download_url": f"{base_url}/{document.pk}",
    }


class DownloadAwareSchema(EnvelopeAutoSchema):
    """As the envelope schema, but a binary download is documented as the file, not wrapped in ``data``."""

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        if media_types and "application/json" not in media_types:
            return AutoSchema._get_response_for_code(self, serializer, status_code, media_types, direction)
        return super()._get_response_for_code(serializer, status_code, media_types, direction)


class DocumentsViewSet(PsaGenericViewSet):
    """Shared by the three holders; a subclass names the holder's model, URL part and permission prefix."""

    filterset_class = None
    schema = DownloadAwareSchema()
    holder_path: ClassVar[str]
    node: ClassVar[str]

    @classmethod
    def nodes_for(cls, action, method):
        verbs = {"documents": "read", "upload": "update", "document_detail": "read", "document_delete": "update"}
        return [f"{cls.node}.{verbs[action]}"] if action in verbs else None

    def holder(self):
        return get_object_or_404(restrict(self.queryset.model.objects.all(), self.request), pk=self.kwargs["pk"])

    def _base_url(self, holder) -> str:
        return f"/api/v1/{self.holder_path}/{holder.pk}/documents"

    def _association(self, holder, document_id) -> DocumentAssociation:
        return get_object_or_404(document_service.associations_of(holder), document_id=document_id)

    def list_documents(self, request):
        holder = self.holder()
        page = self.paginate_queryset(document_service.associations_of(holder))
        base = self._base_url(holder)
        return self.get_paginated_response([document_data(a, base) for a in page])

    def upload_document(self, request):
        document_service.check_content_length(request)
        holder = self.holder()
        unknown = sorted(set(request.data) - {"file"})
        if unknown:
            raise ValidationError({name: ["Unknown field."] for name in unknown})
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": ["Send the file as multipart/form-data in the field 'file'."]})
        association = document_service.attach(request, holder, upload)
        association = document_service.associations_of(holder).get(pk=association.pk)
        return Response(document_data(association, self._base_url(holder)), status=status.HTTP_201_CREATED)

    def download_document(self, request, document_id):
        association = self._association(self.holder(), document_id)
        inline = request.query_params.get("inline", "false").strip().lower()
        if inline not in ("true", "false"):
            raise ValidationError({"inline": ["Use true or false."]})
        return document_service.file_response(association.document, inline=inline == "true")

    def delete_document(self, request, document_id):
        document_service.detach(request, self._association(self.holder(), document_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


def list_schema(label: str):
    return extend_schema(
        summary=f"Documents attached to the {label}, newest first", responses=DocumentSerializer(many=True)
    )


def upload_schema(label: str):
    return extend_schema(
        summary=f"Attach a file to the {label} (multipart field 'file'; 413 above PSA_MAX_UPLOAD_BYTES)",
        request=UPLOAD_BODY,
        responses={201: DocumentSerializer},
    )


def download_schema(label: str):
    return extend_schema(
        summary=f"Download a document of the {label} (an attachment; images inline with ?inline=true)",
        parameters=[DOCUMENT_ID, INLINE],
        # The file's own type (text/plain, image/png...); application/octet-stream when it has none.
        responses={(200, "*/*"): OpenApiTypes.BINARY},
    )


def delete_schema(label: str):
    return extend_schema(
        summary=f"Remove a document from the {label} (the file goes with its last attachment)",
        parameters=[DOCUMENT_ID],
        responses={204: None},
    )


DETAIL_PATH = rf"documents/(?P<document_id>{UUID_REGEX})"


class TicketDocumentViewSet(DocumentsViewSet):
    queryset = Ticket.objects.all()
    holder_path, node = "tickets", "ticket"

    @list_schema("ticket")
    @action(detail=True, methods=["get"], url_path="documents", url_name="list", parser_classes=[MultiPartParser])
    def documents(self, request, pk=None):
        return self.list_documents(request)

    @upload_schema("ticket")
    @documents.mapping.post
    def upload(self, request, pk=None):
        return self.upload_document(request)

    @download_schema("ticket")
    @action(detail=True, methods=["get"], url_path=DETAIL_PATH, url_name="detail")
    def document_detail(self, request, pk=None, document_id=None):
        return self.download_document(request, document_id)

    @delete_schema("ticket")
    @document_detail.mapping.delete
    def document_delete(self, request, pk=None, document_id=None):
        return self.delete_document(request, document_id)


class ClientDocumentViewSet(DocumentsViewSet):
    queryset = Client.objects.all()
    holder_path, node = "clients", "client"

    @list_schema("client")
    @action(detail=True, methods=["get"], url_path="documents", url_name="list", parser_classes=[MultiPartParser])
    def documents(self, request, pk=None):
        return self.list_documents(request)

    @upload_schema("client")
    @documents.mapping.post
    def upload(self, request, pk=None):
        return self.upload_document(request)

    @download_schema("client")
    @action(detail=True, methods=["get"], url_path=DETAIL_PATH, url_name="detail")
    def document_detail(self, request, pk=None, document_id=None):
        return self.download_document(request, document_id)

    @delete_schema("client")
    @document_detail.mapping.delete
    def document_delete(self, request, pk=None, document_id=None):
        return self.delete_document(request, document_id)


class AssetDocumentViewSet(DocumentsViewSet):
    queryset = Asset.objects.all()
    holder_path, node = "assets", "asset"

    @list_schema("asset")
    @action(detail=True, methods=["get"], url_path="documents", url_name="list", parser_classes=[MultiPartParser])
    def documents(self, request, pk=None):
        return self.list_documents(request)

    @upload_schema("asset")
    @documents.mapping.post
    def upload(self, request, pk=None):
        return self.upload_document(request)

    @download_schema("asset")
    @action(detail=True, methods=["get"], url_path=DETAIL_PATH, url_name="detail")
    def document_detail(self, request, pk=None, document_id=None):
        return self.download_document(request, document_id)

    @delete_schema("asset")
    @document_detail.mapping.delete
    def document_delete(self, request, pk=None, document_id=None):
        return self.delete_document(request, document_id)
