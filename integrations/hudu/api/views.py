"""``GET /api/v1/integrations/hudu``: the Hudu connection's health (seed 000). Setup and company mapping are in the
UI (Integrations → the Hudu source), not in this API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from integrations.hudu import status
from psa.api.viewsets import PsaAPIView


class HuduStatusSerializer(serializers.Serializer):
    """The seed's field names, as Hudu integrators read them."""

    status = serializers.ChoiceField(choices=[status.CONNECTED, status.NOT_CONNECTED, status.ERROR])
    baseUrl = serializers.CharField(allow_null=True, source="base_url")
    connectedAt = serializers.DateTimeField(allow_null=True, source="connected_at")
    lastSyncedAt = serializers.DateTimeField(allow_null=True, source="last_synced_at")
    passwordAccess = serializers.BooleanField(
        source="password_access", help_text="Whether the Hudu API key can reach the password endpoints."
    )


class HuduStatusView(PsaAPIView):
    action_nodes = {"GET": ["system_settings.read"]}

    @extend_schema(responses=HuduStatusSerializer, summary="The Hudu integration's connection health")
    def get(self, request):
        """``connected`` once the key was accepted and no newest run failed; ``error`` when one did;
        ``not_connected`` without an enabled source with a key. Never shows the key."""
        return Response(HuduStatusSerializer(status.current()).data)
