"""Read-only API for the audit log and job runs."""

import django_filters
from django.db.models import Q
from rest_framework import serializers

from psa import gating
from psa.api.serializers import GatedModelSerializer
from psa.api.viewsets import PsaReadOnlyViewSet
from psa.filtersets import BaseFilterSet
from psa.models import AuditEvent, JobRun


class AuditEventSerializer(GatedModelSerializer):
    actor_id = serializers.UUIDField(read_only=True)
    api_key_id = serializers.UUIDField(read_only=True)
    client_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "created_at",
            "actor_id",
            "actor_name",
            "api_key_id",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "client_id",
            "changes",
            "ip_address",
            "outcome",
        ]

    def to_representation(self, instance: AuditEvent) -> dict:
        data = super().to_representation(instance)
        gated = gating.gate_event(self._request(), instance)
        for key in ("changes", "object_repr"):
            if key in data:
                data[key] = gated[key]
        return data


class AuditEventFilterSet(BaseFilterSet):
    search_fields = ("object_repr", "actor_name", "object_type")
    actor_id = django_filters.UUIDFilter()
    api_key_id = django_filters.UUIDFilter()
    client_id = django_filters.UUIDFilter()
    since = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = ["action", "object_type", "object_id", "outcome"]

    def search_condition(self, field: str, value: str) -> Q:
        """An object's name is searched only among the object types whose names the caller may see."""
        condition = super().search_condition(field, value)
        if field != "object_repr":
            return condition
        hidden = [m._meta.label_lower for m in gating.gated_models() if not gating.repr_visible(self.request, m)]
        return condition & ~Q(object_type__in=hidden) if hidden else condition


class AuditEventViewSet(PsaReadOnlyViewSet):
    queryset = AuditEvent.objects.all()
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilterSet
    action_nodes = {"list": ["audit.read"], "retrieve": ["audit.read"]}
    sort_fields = {"created_at": "created_at", "action": "action", "object_type": "object_type"}
    default_sort = "-created_at"


class JobRunSerializer(GatedModelSerializer):
    class Meta:
        model = JobRun
        fields = [
            "id",
            "task_id",
            "task_name",
            "status",
            "queued_at",
            "started_at",
            "finished_at",
            "duration_ms",
            "result",
            "error",
            "hostname",
        ]


class JobRunFilterSet(django_filters.FilterSet):
    class Meta:
        model = JobRun
        fields = ["task_name", "status"]


class JobRunViewSet(PsaReadOnlyViewSet):
    queryset = JobRun.objects.all()
    serializer_class = JobRunSerializer
    filterset_class = JobRunFilterSet
    action_nodes = {"list": ["job.read"], "retrieve": ["job.read"]}
    sort_fields = {"queued_at": "queued_at", "task_name": "task_name", "status": "status"}
    default_sort = "-queued_at"
