"""``/api/v1/integrations/sources`` (CRUD, ``/test``, ``/sync``) and ``/api/v1/integrations/sync-runs``."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from credentials.models import SecureValue
from integrations import locks, registry
from integrations import secrets as source_secrets
from integrations.api.serializers import (
    SourceSerializer,
    SyncQueuedSerializer,
    SyncRequestSerializer,
    SyncRunSerializer,
    TestResultSerializer,
)
from integrations.filtersets import SourceFilterSet, SyncRunFilterSet
from integrations.http import IntegrationError, RetryPolicy
from integrations.models import Source, SyncRun
from integrations.sync import build_client
from psa import audit
from psa.api.exceptions import Conflict
from psa.api.viewsets import PsaModelViewSet, PsaReadOnlyViewSet


class SourceViewSet(PsaModelViewSet):
    queryset = Source.objects.select_related("credential").prefetch_related(
        Prefetch("credential__secure_values", queryset=SecureValue.objects.only("id", "credential_id", "field_id"))
    )
    serializer_class = SourceSerializer
    filterset_class = SourceFilterSet
    node_prefix = "integration.source"
    action_nodes = {"test": ["integration.source.test"], "sync": ["integration.source.sync"]}
    sort_fields = {"name": "name", "kind": "kind", "created_at": "created_at"}
    default_sort = "name"

    def perform_create(self, serializer):
        secret_values = serializer.validated_data.pop("secrets", {})
        with transaction.atomic():
            super().perform_create(serializer)
            source_secrets.store(serializer.instance, secret_values, self.request)

    def perform_update(self, serializer):
        secret_values = serializer.validated_data.pop("secrets", None)
        with transaction.atomic():
            super().perform_update(serializer)
            if secret_values:
                source_secrets.store(serializer.instance, secret_values, self.request)

    def perform_destroy(self, instance):
        with transaction.atomic():
            source_secrets.drop(instance, self.request)
            super().perform_destroy(instance)

    @extend_schema(request=None, responses=TestResultSerializer, summary="Check the connection and the credentials")
    @action(detail=True, methods=["post"], filterset_class=None)
    def test(self, request, pk=None):
        """Calls the system once (no retries) and says what failed: the connection, the keys, or reading data."""
        source = self.get_object()
        kind = registry.get(source.kind)
        try:
            client = build_client(source, retry=RetryPolicy(attempts=1))
        except IntegrationError as exc:
            checks = [registry.Check("credentials", False, exc.message)]
        else:
            with client:
                checks = kind.test(client)
        body = {"ok": all(c.ok for c in checks), "checks": [c.__dict__ for c in checks]}
        return Response(TestResultSerializer(body).data)

    @extend_schema(
        request=SyncRequestSerializer,
        responses={202: SyncQueuedSerializer},
        summary="Queue a sync of this source now (409 while one of its jobs runs)",
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def sync(self, request, pk=None):
        from integrations.tasks import sync_source

        source = self.get_object()
        body = SyncRequestSerializer(data=request.data)  # no body is {}; a JSON null is a 400
        body.is_valid(raise_exception=True)
        kind = registry.get(source.kind)
        jobs = body.validated_data.get("jobs") or [job.name for job in kind.jobs]
        unknown = [name for name in jobs if kind.job(name) is None]
        if unknown:
            raise ValidationError(
                {"jobs": [f"Unknown job {unknown[0]!r}. Jobs: {', '.join(j.name for j in kind.jobs)}."]}
            )
        running = [name for name in jobs if locks.held(source.pk, name)]
        if running:
            raise Conflict(f"A sync of {running[0]} is running for this source; try again when it has finished.")
        with transaction.atomic():
            audit.record(request, "sync", source, changes={"jobs": {"old": None, "new": jobs}})
        sent = sync_source.delay(str(source.pk), jobs, SyncRun.Trigger.MANUAL, str(request.user.pk))
        data = {"source_id": source.pk, "jobs": jobs, "task_id": sent.id}
        return Response(SyncQueuedSerializer(data).data, status=status.HTTP_202_ACCEPTED)


class SyncRunViewSet(PsaReadOnlyViewSet):
    queryset = SyncRun.objects.all()
    serializer_class = SyncRunSerializer
    filterset_class = SyncRunFilterSet
    action_nodes = {"list": ["integration.sync_run.read"], "retrieve": ["integration.sync_run.read"]}
    sort_fields = {"started_at": "started_at", "job": "job", "status": "status"}
    default_sort = "-started_at"
