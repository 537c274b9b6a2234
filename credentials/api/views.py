"""The vault API: credential types, credentials, sub-credentials, audited reveals and one-time codes.

Reveals (``secure-values``, ``secure-values/{field_id}``, ``totp``) need ``credential.read`` and
``credential.secure_values.read`` (403, audited when the credential is in scope), then go through
:meth:`CredentialViewSet._authorize_reveal` — scope (404, not audited) → rate limit (429) → the type's
``<permission_scope>.read`` (403) — then the field (404), and :meth:`CredentialViewSet._decrypt_audited` decrypts and
writes the audit row in one transaction before the value is returned with ``Cache-Control: no-store``. Refusals and
vault failures are audited too (outcomes ``denied``, ``rate_limited``, ``failed``); no audit row, no value.

Vault failures: a missing or malformed master key is 503 ``VAULT_UNAVAILABLE`` (reveals and secure writes only; every
other route keeps working); a ciphertext that fails authentication is 500 ``VAULT_INTEGRITY_ERROR``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, PermissionDenied, Throttled, ValidationError
from rest_framework.response import Response

from assets.models import Asset, Software
from clients.models import Client, Contact, Vendor
from credentials import ratelimit, services, vault
from credentials.api import serializers as s
from credentials.filtersets import CredentialFilterSet, CredentialTypeFilterSet
from credentials.models import Credential, CredentialType, SecureValue
from credentials.value_types import VALUE_TYPE_ORDER, join_path, value_types_payload
from psa import audit
from psa.access import client_scope, has_node, restrict
from psa.api.exceptions import Conflict, EnvelopedResponse
from psa.api.schema import ERROR_SCHEMA
from psa.api.viewsets import PsaGenericViewSet, PsaModelViewSet
from psa.models import AuditEvent
from psa.utils import is_uuid

logger = logging.getLogger(__name__)

# A reveal needs everything reading the fields needs (GET /credentials/{id}/fields), plus its own node.
REVEAL_NODES = ["credential.read", "credential.fields.read", "credential.secure_values.read"]
REVEAL_ACTIONS = frozenset({"secure_values", "secure_value", "totp"})
NO_STORE = {"Cache-Control": "no-store, max-age=0", "Pragma": "no-cache"}
PURPOSE_PARAMETER = OpenApiParameter(
    "purpose",
    str,
    required=False,
    enum=["reveal", "copy"],
    description="copy: the value goes to the clipboard unseen; the audit log records a copy, not a reveal",
)


class VaultUnavailableError(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The vault is unavailable: a master key is missing."
    default_code = "vault_unavailable"


class VaultIntegrityFailure(APIException):
    status_code = status.HTTP_500_INTERNAL_SERVER_ERROR
    default_detail = "A stored secret failed its integrity check."
    default_code = "vault_integrity_error"


@contextmanager
def vault_guard(on_failure: Callable[[str], None] | None = None) -> Iterator[None]:
    """Turn vault failures into API errors (503 VAULT_UNAVAILABLE, 500 VAULT_INTEGRITY_ERROR).

    Use it outside ``transaction.atomic()`` so the failed transaction is rolled back first.
    """
    try:
        yield
    except vault.VaultUnavailable as exc:
        if on_failure is not None:
            on_failure("vault unavailable")
        raise VaultUnavailableError(f"{exc} Secure values cannot be read or written until then.") from None
    except vault.VaultIntegrityError as exc:
        logger.error("vault integrity failure: %s", exc)
        if on_failure is not None:
            on_failure("integrity check failed")
        suffix = " The event was recorded in the audit log." if on_failure is not None else ""
        raise VaultIntegrityFailure(f"{exc}{suffix}") from None


def credential_queryset():
    """Credentials with everything the output serializer reads, in a fixed number of queries (no ciphertext)."""
    return Credential.objects.select_related("type", "client").prefetch_related(
        Prefetch("secure_values", queryset=SecureValue.objects.only("id", "credential_id", "field_id")),
        Prefetch(
            "children",
            queryset=Credential.objects.filter(deleted_at__isnull=True)
            .only("id", "name", "parent", "parent_field")
            .order_by("name", "id"),
            to_attr="live_children",
        ),
        Prefetch("contacts", queryset=Contact.objects.only("id")),
        Prefetch("vendors", queryset=Vendor.objects.only("id")),
        Prefetch("assets", queryset=Asset.objects.only("id")),
        Prefetch("software", queryset=Software.objects.only("id")),
    )


SECURE_VALUES_RESPONSE = OpenApiResponse(
    response={
        "type": "object",
        "required": ["data", "meta"],
        "properties": {
            "data": {"type": "object", "additionalProperties": {"type": "string", "nullable": True}},
            "meta": {
                "type": "object",
                "required": ["errors"],
                "properties": {
                    "errors": {
                        "type": "object",
                        "description": "Fields whose stored value failed its integrity check (their value is null).",
                        "additionalProperties": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {"type": "string", "enum": ["VAULT_INTEGRITY_ERROR"]},
                                "message": {"type": "string"},
                            },
                        },
                    }
                },
            },
        },
    },
    description=(
        "``data``: ``{field_id: plaintext or null}`` for every secure field of the credential; audited. A field "
        "whose ciphertext fails its integrity check is null here and named in ``meta.errors``."
    ),
)
VAULT_ERROR_RESPONSES = {
    500: OpenApiResponse(
        response=ERROR_SCHEMA,
        description="VAULT_INTEGRITY_ERROR: a stored secret (or the credential's data key) failed its integrity "
        "check; a server-side fault, recorded in the audit log.",
    ),
    503: OpenApiResponse(response=ERROR_SCHEMA, description="VAULT_UNAVAILABLE: a needed master key is missing."),
}


class CredentialViewSet(PsaModelViewSet):
    queryset = credential_queryset()
    serializer_class = s.CredentialSerializer
    filterset_class = CredentialFilterSet
    action_nodes = {
        "list": ["credential.read"],
        "retrieve": ["credential.read"],
        "create": ["credential.create"],
        "update": ["credential.update"],
        "partial_update": ["credential.update"],
        "destroy": ["credential.delete"],
        "value_types": ["credential.read"],
        "deleted": ["credential.read", "credential.restore"],
        "restore": ["credential.read", "credential.restore"],
        "fields": ["credential.read", "credential.fields.read"],
        "update_fields": ["credential.update", "credential.fields.update"],
        "secure_values": REVEAL_NODES,
        "secure_value": REVEAL_NODES,
        "totp": REVEAL_NODES,
        "sub_credentials": ["credential.read", "credential.sub_credentials.read"],
        "add_sub_credential": ["credential.read", "credential.sub_credentials.create"],
        "remove_sub_credential": ["credential.read", "credential.sub_credentials.delete"],
    }
    sort_fields = {
        "name": "name",
        "type": "type__name",
        "client": "client__name",
        "created_at": "created_at",
        "updated_at": "updated_at",
    }
    default_sort = "name"

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "restore":
            return queryset
        if self.action == "deleted":
            # What was deleted on its own: a credential, or a sub-credential whose parent is still live.
            return queryset.filter(deleted_at__isnull=False).filter(
                Q(parent__isnull=True) | Q(parent__deleted_at__isnull=True)
            )
        queryset = queryset.filter(deleted_at__isnull=True)
        if self.action == "list":
            queryset = queryset.filter(parent__isnull=True)
        return queryset

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return s.CredentialWriteSerializer
        return s.CredentialSerializer

    def _output(self, credential: Credential, status_code: int = 200) -> Response:
        fresh = credential_queryset().get(pk=credential.pk)
        return Response(s.CredentialSerializer(fresh, context=self.get_serializer_context()).data, status=status_code)

    def _require_visible(self, *names: str) -> None:
        """Field gating for bodies and routes outside the model serializers."""
        visible = s.CredentialSerializer(context=self.get_serializer_context()).visible_fields()
        hidden = sorted(set(names) - visible)
        if hidden:
            raise PermissionDenied(f"You may not see or write these fields: {', '.join(hidden)}.")

    # --- CRUD ----------------------------------------------------------------------------------------------------

    @extend_schema(request=s.CredentialWriteSerializer, responses={201: s.CredentialSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with vault_guard(), transaction.atomic():
            credential = serializer.save()
            services.audit_created(request, serializer.created)
        return self._output(credential, status.HTTP_201_CREATED)

    @extend_schema(request=s.CredentialWriteSerializer, responses=s.CredentialSerializer)
    def update(self, request, *args, **kwargs):
        instance = self.get_object()
        serializer = s.CredentialWriteSerializer(
            instance, data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        with vault_guard(), transaction.atomic():
            before = audit.snapshot(instance)
            instance = serializer.save()
            changes = audit.diff(before, audit.snapshot(instance))
            if serializer.secure_changed:
                changes["secure_values"] = {"old": None, "new": serializer.secure_changed}
            if changes:
                audit.record(request, "update", instance, changes=changes)
        return self._output(instance)

    @extend_schema(request=s.CredentialWriteSerializer, responses=s.CredentialSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)

    def perform_destroy(self, instance: Credential) -> None:
        with transaction.atomic():
            services.soft_delete(instance, self.request.user)
            audit.record(
                self.request,
                "delete",
                instance,
                changes={"deleted_at": {"old": None, "new": instance.deleted_at.isoformat()}},
            )

    @extend_schema(
        responses={
            200: OpenApiResponse(
                response={"type": "array", "items": {"type": "string", "enum": list(VALUE_TYPE_ORDER)}},
                description="The value type names (seed 004); ``meta.value_types`` describes each one.",
            )
        },
        summary="The value types a credential type field may use",
    )
    @action(detail=False, methods=["get"], url_path="value-types", filterset_class=None)
    def value_types(self, request):
        return EnvelopedResponse({"data": list(VALUE_TYPE_ORDER), "meta": {"value_types": value_types_payload()}})

    @extend_schema(responses=s.CredentialSerializer(many=True), summary="Deleted credentials that can be restored")
    @action(detail=False, methods=["get"])
    def deleted(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(s.CredentialSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(request=None, responses=s.CredentialSerializer, summary="Restore a deleted credential")
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        credential = self.get_object()
        if credential.deleted_at is not None:
            with transaction.atomic():
                deleted_at = credential.deleted_at.isoformat()
                services.restore(credential)
                audit.record(request, "restore", credential, changes={"deleted_at": {"old": deleted_at, "new": None}})
        return self._output(credential)

    # --- fields --------------------------------------------------------------------------------------------------

    @extend_schema(responses=s.CredentialFieldSerializer(many=True), summary="A credential's fields (secure: null)")
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)  # a plain list, not a page
    def fields(self, request, pk=None):
        self._require_visible("fields")
        return Response(s.field_values(self.get_object()))

    @extend_schema(
        request=s.FieldsUpdateSerializer,
        responses=s.CredentialFieldSerializer(many=True),
        summary="Change field values (those not sent stay)",
    )
    @fields.mapping.put
    def update_fields(self, request, pk=None):
        self._require_visible("fields")
        credential = self.get_object()
        body = s.FieldsUpdateSerializer(credential, data=request.data)
        body.is_valid(raise_exception=True)
        try:
            values = services.plan_values(credential.definition, body.validated_data["fields"], creating=False)
        except ValidationError as exc:
            raise ValidationError({"fields": exc.detail}) from None
        with vault_guard(), transaction.atomic():
            before = audit.snapshot(credential)
            changed = services.apply_values(credential, values)
            changes = audit.diff(before, audit.snapshot(credential))
            if changed:
                changes["secure_values"] = {"old": None, "new": changed}
            if changes:
                audit.record(request, "update", credential, changes=changes)
        return Response(s.field_values(credential_queryset().get(pk=credential.pk)))

    # --- reveals -------------------------------------------------------------------------------------------------

    def permission_denied(self, request, message=None, code=None):
        """A reveal refused for a missing node is audited too (when the credential is in the caller's scope)."""
        if self.action in REVEAL_ACTIONS and getattr(request.user, "is_authenticated", False):
            pk = self.kwargs.get("pk")
            credential = (
                restrict(Credential.objects.filter(deleted_at__isnull=True), request).filter(pk=pk).first()
                if is_uuid(pk)
                else None
            )
            if credential is not None:
                field = self.kwargs.get("field_id")
                self._audit_reveal(credential, [field] if field else [], "denied", reason=str(message or ""))
        super().permission_denied(request, message, code)

    def _audit_reveal(self, credential: Credential, field_ids: list[str], outcome: str, reason: str = "") -> None:
        changes: dict = {"fields": [credential.field_path(f) for f in field_ids], "kind": self._reveal_kind()}
        changes["purpose"] = self._purpose()
        if reason:
            changes["reason"] = reason[:300]
        with transaction.atomic():
            audit.record(self.request, "reveal", credential, changes=changes, outcome=outcome)

    def _purpose(self) -> str:
        """``copy`` when the UI copies the value to the clipboard without showing it, else ``reveal``."""
        return "copy" if self.request.query_params.get("purpose") == "copy" else "reveal"

    def _audit_totp_view(self, credential: Credential, field_id: str) -> None:
        """One audit event per viewing of live codes: refreshes within the window count on the same event."""
        request = self.request
        user = request.user if request.user.is_authenticated else None
        key = request.auth if hasattr(request.auth, "key_id") else None
        since = timezone.now() - timedelta(seconds=settings.VAULT_TOTP_VIEW_SECONDS)
        path, purpose = credential.field_path(field_id), self._purpose()
        with transaction.atomic():
            recent = (
                AuditEvent.objects.select_for_update()
                .filter(action="reveal", object_id=str(credential.pk), actor=user, api_key=key, outcome="success")
                .filter(object_type=credential._meta.label_lower, created_at__gte=since)
                .order_by("-created_at")
            )
            for event in recent[:5]:
                changes = event.changes or {}
                if (
                    changes.get("kind") == "totp_code"
                    and changes.get("fields") == [path]
                    and (changes.get("purpose", "reveal") == purpose)
                ):
                    changes["codes_shown"] = int(changes.get("codes_shown", 1)) + 1
                    changes["last_shown_at"] = timezone.now().isoformat()
                    AuditEvent.objects.filter(pk=event.pk).update(changes=changes)
                    return
            self._audit_reveal(credential, [field_id], "success")

    def _reveal_kind(self) -> str:
        return "totp_code" if self.action == "totp" else "secure_value"

    def _authorize_reveal(self) -> Credential:
        """Scope, rate limit and the type's node; every refusal after the scope check is audited."""
        purpose = self.request.query_params.get("purpose")
        if purpose is not None and purpose not in ("reveal", "copy"):
            raise ValidationError({"purpose": ["Use reveal or copy."]})
        credential = self.get_object()
        field = self.kwargs.get("field_id")
        requested = [field] if field else []
        wait = ratelimit.consume(self.request)
        if wait is not None:
            self._audit_reveal(credential, requested, "rate_limited", reason="reveal rate limit")
            raise Throttled(wait=wait)
        try:
            self._require_visible("fields")
        except PermissionDenied as exc:
            self._audit_reveal(credential, requested, "denied", reason=str(exc.detail))
            raise
        node = credential.type.reveal_node
        if not has_node(self.request, node):
            message = f"Revealing {credential.type.name} secrets needs the permission node {node}."
            self._audit_reveal(credential, requested, "denied", reason=message)
            raise PermissionDenied(message)
        return credential

    def _decrypt_audited(self, credential: Credential, field_ids: list[str]) -> dict[str, str | None]:
        """Decrypt and write the success audit row in one transaction: no audit row, no value."""

        def failed(reason: str) -> None:
            self._audit_reveal(credential, field_ids, "failed", reason=reason)

        with vault_guard(failed), transaction.atomic():
            values = services.decrypt_fields(credential, field_ids)
            self._audit_reveal(credential, field_ids, "success")
        return values

    @extend_schema(
        responses={200: SECURE_VALUES_RESPONSE, **VAULT_ERROR_RESPONSES},
        summary="Reveal every secure value (audited)",
        operation_id="credentials_secure_values_list",
    )
    @action(detail=True, methods=["get"], url_path="secure-values", filterset_class=None)
    def secure_values(self, request, pk=None):
        credential = self._authorize_reveal()
        field_ids = services.secure_field_ids(credential)

        def failed(reason: str) -> None:
            self._audit_reveal(credential, field_ids, "failed", reason=reason)

        with vault_guard(failed), transaction.atomic():
            values, broken = services.decrypt_each(credential, field_ids)
            readable = [f for f in field_ids if f not in broken]
            if readable or not broken:
                self._audit_reveal(credential, readable, "success")
            if broken:
                # A server-side fault, not the caller's: the other fields are still served, each failure recorded.
                logger.error("vault integrity failure in %d field(s) of a credential", len(broken))
                self._audit_reveal(credential, sorted(broken), "failed", reason="integrity check failed")
        errors = {
            field_id: {"code": "VAULT_INTEGRITY_ERROR", "message": message} for field_id, message in broken.items()
        }
        return EnvelopedResponse({"data": values, "meta": {"errors": errors}}, headers=NO_STORE)

    @extend_schema(
        parameters=[PURPOSE_PARAMETER],
        responses={200: s.SecureValueSerializer, **VAULT_ERROR_RESPONSES},
        summary="Reveal one secure value (audited)",
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"secure-values/(?P<field_id>[A-Za-z][A-Za-z0-9_-]{0,63})",
        url_name="secure-value",
        filterset_class=None,
    )
    def secure_value(self, request, pk=None, field_id=None):
        credential = self._authorize_reveal()
        if field_id not in services.secure_field_ids(credential):
            raise NotFound(f"Secure field not found: {field_id}")
        values = self._decrypt_audited(credential, [field_id])
        return Response({"field_id": field_id, "value": values[field_id]}, headers=NO_STORE)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "field_id", str, required=False, description="A totp_secret field (default: the first set)"
            ),
            PURPOSE_PARAMETER,
        ],
        responses={200: s.TotpSerializer, **VAULT_ERROR_RESPONSES},
        summary="The current one-time code of a totp_secret field (audited)",
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def totp(self, request, pk=None):
        credential = self._authorize_reveal()
        totp_fields = [f["id"] for f in credential.definition if f["value_type"] == "totp_secret"]
        wanted = request.query_params.get("field_id")
        if wanted is not None:
            if wanted not in totp_fields:
                raise NotFound(f"TOTP field not found: {wanted[:64]}")
            candidates = [wanted]
        else:
            stored = set(credential.secure_values.values_list("field_id", flat=True))
            candidates = [f for f in totp_fields if f in stored][:1]
        if not candidates:
            raise NotFound("This credential has no TOTP secret.")
        field_id = candidates[0]

        def failed(reason: str) -> None:
            self._audit_reveal(credential, [field_id], "failed", reason=reason)

        with vault_guard(failed), transaction.atomic():
            code = services.totp_code(credential, field_id)
            if code is not None:
                self._audit_totp_view(credential, field_id)
        if code is None:
            raise NotFound("This TOTP field has no secret.")
        body = {
            "field_id": field_id,
            "code": code.code,
            "seconds_remaining": code.seconds_remaining,
            "period": code.period,
            "digits": code.digits,
        }
        return Response(body, headers=NO_STORE)

    # --- sub-credentials -----------------------------------------------------------------------------------------

    @extend_schema(responses=s.CredentialSerializer(many=True), summary="Sub-credentials of a credential")
    @action(detail=True, methods=["get"], url_path="sub-credentials", filterset_class=None)
    def sub_credentials(self, request, pk=None):
        parent = self.get_object()
        children = self.get_queryset().filter(parent=parent).order_by("parent_field", "name", "id")
        page = self.paginate_queryset(children)
        return self.get_paginated_response(s.CredentialSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        request=s.SubCredentialCreateSerializer,
        responses={201: s.CredentialSerializer},
        summary="Add a sub-credential to a multi_credential field",
    )
    @sub_credentials.mapping.post
    def add_sub_credential(self, request, pk=None):
        parent = self.get_object()
        body = s.SubCredentialCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        self._require_visible(*(key for key in body.validated_data if key != "field_id"))
        field_id = body.validated_data["field_id"]
        spec = next((f for f in parent.definition if f["id"] == field_id), None)
        if spec is None or spec["value_type"] != "multi_credential":
            choices = ", ".join(f["id"] for f in parent.definition if f["value_type"] == "multi_credential") or "none"
            raise ValidationError(
                {"field_id": [f"Not a multi_credential field of this credential (those are: {choices})."]}
            )
        path = join_path(parent.parent_field, field_id)
        plan = services.plan_credential(
            spec["sub_fields"], path, body.validated_data, budget=[services.MAX_SUB_CREDENTIALS]
        )
        created: list = []
        with vault_guard(), transaction.atomic():
            child = services.create_from_plan(
                plan, client=parent.client, type=parent.type, parent=parent, parent_field=path, created=created
            )
            services.audit_created(request, created)
        return self._output(child, status.HTTP_201_CREATED)

    @extend_schema(responses={204: None}, summary="Delete a sub-credential (restorable until purged)")
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"sub-credentials/(?P<sub_id>[0-9a-fA-F-]{32,36})",
        url_name="remove-sub-credential",
        filterset_class=None,
    )
    def remove_sub_credential(self, request, pk=None, sub_id=None):
        parent = self.get_object()
        child = self.get_queryset().filter(parent=parent, pk=sub_id).first() if is_uuid(sub_id) else None
        if child is None:
            raise NotFound("Sub-credential not found.")
        field_id = child.parent_field.rpartition(".")[2]
        spec = next((f for f in parent.definition if f["id"] == field_id), None)
        if spec is not None and spec["required"]:
            siblings = parent.children.filter(parent_field=child.parent_field, deleted_at__isnull=True).count()
            if siblings <= 1:
                raise Conflict(f"'{field_id}' is required: a credential keeps at least one of these sub-credentials.")
        with transaction.atomic():
            services.soft_delete(child, request.user)
            audit.record(
                request, "delete", child, changes={"deleted_at": {"old": None, "new": child.deleted_at.isoformat()}}
            )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ClientCredentialViewSet(PsaGenericViewSet, mixins.ListModelMixin):
    """``/clients/{client_id}/credentials``: the same list as ``/credentials?client_id=``."""

    queryset = credential_queryset()
    serializer_class = s.CredentialSerializer
    filterset_class = CredentialFilterSet
    action_nodes = {"list": ["credential.read"]}
    sort_fields = CredentialViewSet.sort_fields
    default_sort = "name"

    def get_queryset(self):
        queryset = super().get_queryset()
        if getattr(self, "swagger_fake_view", False):
            return queryset.none()
        client = restrict(Client.objects.all(), self.request).filter(pk=self.kwargs["client_id"]).first()
        if client is None:
            raise NotFound()
        return queryset.filter(client=client, deleted_at__isnull=True, parent__isnull=True)

    @extend_schema(
        parameters=[OpenApiParameter("client_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        summary="A client's credentials",
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


@extend_schema_view(
    retrieve=extend_schema(parameters=[OpenApiParameter("id_or_name", str, OpenApiParameter.PATH)]),
    update=extend_schema(parameters=[OpenApiParameter("id_or_name", str, OpenApiParameter.PATH)]),
    partial_update=extend_schema(parameters=[OpenApiParameter("id_or_name", str, OpenApiParameter.PATH)]),
    destroy=extend_schema(parameters=[OpenApiParameter("id_or_name", str, OpenApiParameter.PATH)]),
)
class CredentialTypeViewSet(PsaModelViewSet):
    queryset = CredentialType.objects.all()
    serializer_class = s.CredentialTypeSerializer
    filterset_class = CredentialTypeFilterSet
    lookup_field = "name"
    lookup_url_kwarg = "id_or_name"
    # Names may contain '/' ("Windows / local admin"); only a trailing "/credentials" is the sub-route.
    lookup_value_regex = r"(?:[^/]|/(?!credentials$))+"
    node_prefix = "credential_type"
    action_nodes = {"credentials": ["credential_type.read", "credential.read"]}
    sort_fields = {"name": "name", "permission_scope": "permission_scope", "created_at": "created_at"}
    default_sort = "name"

    def get_queryset(self):
        queryset = super().get_queryset()
        counted = Q(credentials__deleted_at__isnull=True, credentials__parent__isnull=True)
        scope = client_scope(self.request)
        if scope is not None:
            counted &= Q(credentials__client_id__in=scope)
        return queryset.annotate(credential_count=Count("credentials", filter=counted))

    def get_object(self):
        value = self.kwargs[self.lookup_url_kwarg]
        lookup = Q(pk=value) | Q(name__iexact=value) if is_uuid(value) else Q(name__iexact=value)
        return get_object_or_404(self.get_queryset(), lookup)

    def perform_update(self, serializer):
        if "fields" in serializer.validated_data:
            in_use = services.fields_in_use(
                serializer.instance, serializer.instance.fields, serializer.validated_data["fields"]
            )
            if in_use:
                raise Conflict(
                    f"These fields hold values and cannot be removed or change value type or secure flag: "
                    f"{', '.join(in_use)}. Add a new field instead, or clear the values first."
                )
        super().perform_update(serializer)

    def perform_destroy(self, instance):
        count = Credential.objects.filter(type=instance).count()
        if count:
            raise Conflict(
                f"This type still has {count} credential(s), deleted ones awaiting purge included; remove them first."
            )
        super().perform_destroy(instance)

    @extend_schema(
        parameters=[OpenApiParameter("id_or_name", str, OpenApiParameter.PATH)],
        responses=s.CredentialSerializer(many=True),
        summary="Credentials of a type",
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def credentials(self, request, id_or_name=None):
        credential_type = self.get_object()
        queryset = restrict(credential_queryset(), request).filter(
            type=credential_type, deleted_at__isnull=True, parent__isnull=True
        )
        page = self.paginate_queryset(queryset.order_by("name", "id"))
        return self.get_paginated_response(s.CredentialSerializer(page, many=True, context={"request": request}).data)
