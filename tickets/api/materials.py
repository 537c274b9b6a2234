"""``/tickets/{ticket_id}/materials``: products and services from the catalog used on a ticket.

Adding a product takes it from stock in the same transaction (409 when too few are on hand); deleting an unbilled
material puts it back. The list's ``meta.totals`` sums quantity x rate per currency over the whole ticket.
"""

from __future__ import annotations

from django.db.models import F, Sum
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.response import Response

from psa.api.viewsets import NestedViewSetMixin, PsaGenericViewSet
from tickets import time_services
from tickets.api import time_serializers as s
from tickets.models import Ticket
from tickets.time_models import TicketMaterial


def material_totals(queryset) -> list[dict]:
    rows = (
        queryset.order_by()
        .values("currency_code")
        .annotate(amount=Sum(F("quantity") * F("rate")), quantity=Sum("quantity"))
        .order_by("currency_code")
    )
    return [{"currency_code": r["currency_code"], "amount": r["amount"], "quantity": r["quantity"]} for r in rows]


@extend_schema_view(
    list=extend_schema(summary="A ticket's materials, newest first (meta.totals per currency, in minor units)"),
    destroy=extend_schema(summary="Remove an unbilled material (a product returns to stock)"),
)
class TicketMaterialViewSet(
    NestedViewSetMixin, PsaGenericViewSet, mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin
):
    queryset = TicketMaterial.objects.select_related("product", "service")
    serializer_class = s.MaterialSerializer
    filterset_class = None
    parent_model, parent_kwarg, parent_field = Ticket, "ticket_id", "ticket"
    action_nodes = {
        "list": ["ticket.read", "material.read"],
        "create": ["ticket.read", "material.create"],
        "destroy": ["ticket.read", "material.delete"],
    }
    sort_fields = {"created_at": "created_at", "quantity": "quantity", "rate": "rate"}
    default_sort = "-created_at"

    def get_list_meta(self, queryset):
        return {"totals": material_totals(TicketMaterial.objects.filter(ticket=self.get_parent()))}

    @extend_schema(
        summary="Add a material: a service_id or product_id from the catalog (service_id may name a product)",
        request=s.MaterialCreateSerializer,
        responses={201: s.MaterialSerializer},
    )
    def create(self, request, *args, **kwargs):
        body = s.MaterialCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        item = data.pop("item")
        material = time_services.add_material(request, self.get_parent(), item, data)
        material = self.get_queryset().get(pk=material.pk)
        return Response(s.MaterialSerializer(material).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        time_services.delete_material(request, self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
