"""The catalog's UI: one page listing services or products, filtered by the API's filtersets.

Items are created and changed in the Django admin (``/admin/catalog/``) or the API; a later sync fills them from a
procurement catalog.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from catalog.filtersets import ProductFilterSet, ServiceFilterSet
from catalog.models import Product, Service
from psa.access import has_node
from psa.views import paginate, query_without_page, require_nodes

KINDS = {
    "services": (Service, ServiceFilterSet, "catalog.service.read"),
    "products": (Product, ProductFilterSet, "catalog.product.read"),
}


@require_nodes()
def catalog_list(request):
    readable = [kind for kind, (_, _, node) in KINDS.items() if has_node(request, node)]
    if not readable:
        raise PermissionDenied("This needs the permission catalog.service.read or catalog.product.read.")
    kind = request.GET.get("kind") if request.GET.get("kind") in readable else readable[0]
    model, filterset_class, _node = KINDS[kind]
    params = request.GET.copy()
    params.setdefault("is_active", "true")
    filterset = filterset_class(params, queryset=model.objects.all(), request=request)
    items = filterset.qs if filterset.is_valid() else model.objects.none()
    context = {
        "section": "catalog",
        "kind": kind,
        "kinds": readable,
        "filter": filterset,
        "active": params.get("is_active", ""),
        "page": paginate(request, items.order_by("name", "id")),
        "query": query_without_page(request),
        "can_admin": request.user.is_staff,
    }
    return render(request, "catalog/catalog_list.html", context)
