"""``GET /api/v1/integrations/hudu``: the Hudu connection's health (seed 000). Setup and company mapping are in the
UI (Integrations → the Hudu source), not in this API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.response import Response

from integrations.hudu import status
from integrations.hudu.api.serializers import HuduAssetFieldsSerializer
from integrations.hudu.models import HuduAssetFields
from psa.api.viewsets import PsaAPIView, PsaGenericViewSet


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


class HuduAssetFieldsViewSet(PsaGenericViewSet, mixins.RetrieveModelMixin):
    """``GET /assets/{asset_id}/hudu``: what the asset's Hudu layout says of it (404 when Hudu knows no such asset,
    or the asset is outside the caller's clients)."""

    queryset = HuduAssetFields.objects.all()
    serializer_class = HuduAssetFieldsSerializer
    lookup_field = "asset_id"
    lookup_url_kwarg = "asset_id"
    action_nodes = {"retrieve": ["asset.read"]}

    @extend_schema(
        summary="An asset's Hudu custom fields",
        description="The custom fields of the asset's Hudu layout, in layout order, as the last Hudu sync read them "
        "(`[{label, value, field_type}]`). Password fields are never kept: their entries say `withheld` and carry "
        "no value. Read-only: Hudu masters them.",
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)
