"""The catalog's UI: one page listing services or products, filtered by the API's filtersets.

Items are created and changed in the Django admin (``/admin/catalog/``) or the API; a later sync fills them from a
procurement catalog.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.exceptions import APIException, ValidationError

from catalog import procurement
from catalog.api.procurement import cascade_values, find_item, linked_items
from catalog.filtersets import ProductFilterSet, ServiceFilterSet
from catalog.forms import ProductForm
from catalog.models import CatalogItem, Ecosystem, Product, ProductLink, Service
from catalog.procurement_filtersets import ProcurementFilterSet
from psa.access import has_node, is_scoped, restrict
from psa.views import deny_unless, paginate, query_without_page, require_nodes

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


# --- the procurement catalog browser -------------------------------------------------------------------------------


def _cascade(request, params) -> dict:
    """The dropdown values as ``/procurement/filters`` gives them, and the ecosystems."""
    try:
        values = cascade_values(request, params)
    except (APIException, PermissionDenied):
        values = {"categories": [], "subcategories": [], "manufacturers": []}
    return {**values, "ecosystems": list(Ecosystem.objects.values_list("name", flat=True))}


def _picker_ticket(request):
    """The ticket whose materials the browser is picking for (``?ticket=``), if the caller may add materials."""
    from tickets.models import Ticket

    ticket_id = request.GET.get("ticket", "")
    if not ticket_id or not has_node(request, "material.create"):
        return None
    try:
        return restrict(Ticket.objects.all(), request).filter(pk=uuid.UUID(ticket_id)).first()
    except ValueError:
        return None


@require_nodes("procurement.catalog.read")
def procurement_list(request):
    params = request.GET.copy()
    filterset = ProcurementFilterSet(
        {k: v for k, v in params.items() if k not in ("page", "ticket")}, queryset=CatalogItem.objects.all(),
        request=request,
    )  # fmt: skip
    try:
        valid = filterset.is_valid()
        items = filterset.qs if valid else CatalogItem.objects.none()
        errors = filterset.errors if not valid else {}
    except ValidationError as exc:  # an unknown group or ecosystem
        items, errors = CatalogItem.objects.none(), exc.detail
    context = {
        "section": "catalog",
        "values": _cascade(request, params),
        "params": params,
        "errors": errors,
        "page": paginate(request, items.order_by("name", "id")),
        "query": query_without_page(request),
        "ticket": _picker_ticket(request),
    }
    return render(request, "catalog/procurement_list.html", context)


@require_nodes("procurement.catalog.read")
def procurement_item(request, pk):
    item = get_object_or_404(CatalogItem, pk=pk)
    context = {
        "section": "catalog",
        "item": item,
        "linked": linked_items(item),
        "can_refresh": has_node(request, "procurement.catalog.inventory.refresh") and not is_scoped(request),
        "can_link": has_node(request, "procurement.catalog.link") and not is_scoped(request),
        "can_edit": has_node(request, "catalog.product.update") and not is_scoped(request),
        "kinds": ProductLink.Kind.choices,
    }
    return render(request, "catalog/procurement_item.html", context)


def _guard_write(request, node: str) -> None:
    deny_unless(request, node)
    if is_scoped(request):
        raise PermissionDenied("Client-scoped callers cannot change the MSP-wide catalog.")


@require_POST
@require_nodes("procurement.catalog.read")
def procurement_refresh(request, pk):
    _guard_write(request, "procurement.catalog.inventory.refresh")
    item = get_object_or_404(CatalogItem, pk=pk)
    try:
        item = procurement.refresh_on_hand(request, item)
    except APIException as exc:
        messages.error(request, str(exc.detail))
    else:
        messages.success(request, f"ConnectWise says {item.on_hand} on hand.")
    return redirect("catalog:procurement_item", pk=pk)


@require_POST
@require_nodes("procurement.catalog.read")
def procurement_link(request, pk):
    _guard_write(request, "procurement.catalog.link")
    item = get_object_or_404(CatalogItem, pk=pk)
    try:
        target = find_item(CatalogItem.objects.all(), request.POST.get("target", "").strip())
    except Http404:
        target = None
    if target is None or target.pk == item.pk:
        messages.error(request, "No other catalog item has this id, ConnectWise id or SKU.")
    elif request.POST.get("action") == "unlink":
        procurement.unlink(request, item, target)
        messages.success(request, f"Unlinked {target.name}.")
    else:
        kind = request.POST.get("kind") if request.POST.get("kind") in ProductLink.Kind.values else "related"
        procurement.link(request, item, target, kind)
        messages.success(request, f"Linked {target.name}.")
    return redirect("catalog:procurement_item", pk=pk)


@require_http_methods(["GET", "POST"])
@require_nodes("catalog.product.update")
def product_edit(request, pk):
    """``PATCH /products/{id}`` as a form; on a synced item the fields ConnectWise masters are shown disabled."""
    _guard_write(request, "catalog.product.update")
    product = get_object_or_404(Product, pk=pk)
    form = ProductForm(request.POST if request.method == "POST" else None, request=request, instance=product)
    item_url = reverse("catalog:procurement_item", args=[pk])
    if form.is_bound and form.is_valid():
        form.save()
        messages.success(request, "Saved the product." if form.changes else "Nothing changed.")
        return redirect(item_url)
    context = {
        "section": "catalog",
        "form": form,
        "title": "Edit the product",
        "crumbs": [("Catalog", reverse("catalog:procurement_list")), ("Item", item_url)],
        "submit_label": "Save product",
        "cancel_url": item_url,
    }
    return render(request, "clients/form_page.html", context, status=400 if form.is_bound else 200)
