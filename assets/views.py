"""The asset pages: the asset list, an asset page with its interfaces and licence seats, and the asset forms.

Same rules as the API: the permission nodes of ``/assets`` (interfaces need ``asset.update``, seats
``software.update``), the caller's client scope (another client's asset is a 404), the serializers' validation and
the audited write path (:mod:`psa.forms`, :mod:`psa.writes`), and the licence seat limit of :mod:`assets.seats`.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied

from assets.api.serializers import AssetInterfaceSerializer, AssetSerializer, SoftwareSeatSerializer
from assets.filtersets import AssetFilterSet
from assets.forms import AssetForm, ChooseClientForm, InterfaceForm, SeatForm
from assets.models import Asset, AssetInterface, SoftwareSeat
from assets.seats import lock_free_seat
from clients.models import Client
from clients.views import (
    EMPTY,
    EXPIRING_CHOICES,
    KINDS,
    Column,
    _client_context,
    _form_page,
    detail_rows,
    show,
    table_rows,
    visible_fields,
)
from psa import writes
from psa.access import has_node, restrict
from psa.api.exceptions import Conflict, flatten_errors
from psa.ui_gate import gated
from psa.views import paginate, query_without_page, require_nodes

SECTION = "assets"
ASSET_LABELS = {
    "serial": "Serial number",
    "os": "Operating system",
    "warranty_expires": "Warranty expires",
    "location_id": "Location",
    "contact_id": "Assigned contact",
    "vendor_id": "Vendor",
    "network_id": "Network",
    "uri": "URI",
    "archived_at": "Archived",
}
INTERFACE_COLUMNS = [
    ("Name", "name"),
    ("MAC address", "mac"),
    ("IPv4", "ipv4"),
    ("IPv6", "ipv6"),
    ("Port", "port"),
    ("Network", "network_id"),
]


def _interfaces():
    return Prefetch("interfaces", queryset=AssetInterface.objects.select_related("network"))


def _asset(request, pk) -> Asset:
    """An asset of the caller's scope; another client's is a 404."""
    queryset = Asset.objects.select_related("client", "location", "contact", "vendor", "network")
    return get_object_or_404(restrict(queryset.prefetch_related(_interfaces()), request), pk=pk)


def _api_403(exc: ApiPermissionDenied) -> PermissionDenied:
    return PermissionDenied(str(exc.detail))


# --- The asset list ---------------------------------------------------------------------------------------------------

CLIENT_FILTER_LIMIT = 300


def _client_choices(request, selected) -> list[Client] | None:
    """The clients offered by the list's client filter; ``None`` when there are too many for a select box."""
    clients = list(
        restrict(Client.objects.only("id", "name").order_by("name", "id"), request)[: CLIENT_FILTER_LIMIT + 1]
    )
    return clients if len(clients) <= CLIENT_FILTER_LIMIT else None


@require_nodes("asset.read")
def asset_list(request):
    data = request.GET.copy()
    data.setdefault("is_archived", "false")  # active assets unless asked otherwise ("Any" sends an empty value)
    queryset = restrict(KINDS["assets"].queryset().select_related("client"), request)
    filterset = AssetFilterSet(data, queryset=queryset, request=request)
    valid = filterset.is_valid()
    page = paginate(request, filterset.qs if valid else Asset.objects.none())
    columns, rows = table_rows(request, KINDS["assets"], page.object_list)
    client_column = Column(
        "Client",
        None,
        lambda a: format_html('<a href="{}">{}</a>', reverse("clients:client_detail", args=[a.client_id]), a.client),
    )
    columns.insert(1, client_column)
    for row, asset in zip(rows, page.object_list, strict=True):
        row["cells"].insert(1, (client_column.render(gated(request, asset)), ""))
    context = {
        "section": SECTION,
        "filter": filterset,
        "page": page,
        "columns": columns,
        "rows": rows,
        "query": query_without_page(request),
        "clients": _client_choices(request, data.get("client_id")),
        "types": Asset.Type.choices,
        "statuses": Asset.Status.choices,
        "expiring_choices": EXPIRING_CHOICES,
        "archived": data.get("is_archived", ""),
        "can_create": has_node(request, "asset.create"),
    }
    return render(request, "assets/asset_list.html", context)


# --- Creating and editing assets ----------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@require_nodes("asset.create")
def asset_create(request):
    """Step one chooses the client (``?client=``); step two is the asset form for that client."""
    chooser = ChooseClientForm(request.GET if "client" in request.GET else None, request=request)
    if not chooser.is_bound or not chooser.is_valid():
        context = {"section": SECTION, "form": chooser}
        return render(request, "assets/asset_choose_client.html", context, status=400 if chooser.is_bound else 200)
    client = chooser.cleaned_data["client"]
    form = AssetForm(request.POST if request.method == "POST" else None, client=client, request=request)
    if form.is_bound and form.is_valid():
        asset = form.save()
        messages.success(request, f"Created the asset {asset.name}. Add its network interfaces below.")
        return redirect(reverse("assets:asset_detail", args=[asset.pk]) + "#interfaces")
    crumbs = [
        ("Clients", reverse("clients:client_list")),
        (gated(request, client).name, reverse("clients:client_detail", args=[client.pk])),
        ("Assets", KINDS["assets"].list_url(client)),
    ]
    return _form_page(
        request,
        form,
        title=f"New asset for {gated(request, client).name}",
        crumbs=crumbs,
        submit="Create asset",
        cancel=KINDS["assets"].list_url(client),
        status=400 if form.is_bound else 200,
        section=SECTION,
        action=request.get_full_path(),
    )


def _asset_crumbs(request, asset: Asset) -> list:
    shown = gated(request, asset)  # names as the caller may see them
    return [
        ("Assets", reverse("assets:asset_list")),
        (shown.client.name, KINDS["assets"].list_url(asset.client)),
        (shown.name, reverse("assets:asset_detail", args=[asset.pk])),
    ]


@require_http_methods(["GET", "POST"])
@require_nodes("asset.update")
def asset_edit(request, pk):
    asset = _asset(request, pk)
    form = AssetForm(
        request.POST if request.method == "POST" else None, client=asset.client, request=request, instance=asset
    )
    if form.is_bound and form.is_valid():
        form.save()
        messages.success(request, f"Saved the asset {asset.name}." if form.changes else "Nothing changed.")
        return redirect("assets:asset_detail", pk=asset.pk)
    return _form_page(
        request,
        form,
        title=f"Edit asset {gated(request, asset).name}",
        crumbs=_asset_crumbs(request, asset),
        submit="Save asset",
        cancel=reverse("assets:asset_detail", args=[asset.pk]),
        status=400 if form.is_bound else 200,
        section=SECTION,
    )


@require_http_methods(["GET", "POST"])
@require_nodes("asset.delete")
def asset_delete(request, pk):
    asset = _asset(request, pk)
    back = KINDS["assets"].list_url(asset.client)
    if request.method == "POST":
        name = asset.name
        writes.destroy(request, asset)
        messages.success(request, f"Deleted the asset {name}.")
        return redirect(back)
    context = _client_context(
        request,
        asset.client,
        "assets",
        section=SECTION,
        obj=asset,
        noun="asset",
        crumbs=_asset_crumbs(request, asset),
        cancel_url=reverse("assets:asset_detail", args=[asset.pk]),
        note="Its interfaces and licence seats are deleted with it. To keep its history, archive it instead.",
    )
    return render(request, "clients/confirm_delete.html", context)


# --- The asset page -----------------------------------------------------------------------------------------------------


def _interface_rows(request, asset: Asset) -> tuple[list, list]:
    serializer = AssetInterfaceSerializer(context={"request": request})
    visible = serializer.visible_fields()
    columns = [(label, name) for label, name in INTERFACE_COLUMNS if name in visible]
    rows = []
    for interface in asset.interfaces.all():
        cells = [show(interface, name, serializer.fields[name]) for _, name in columns]
        rows.append({"obj": interface, "cells": cells})
    return [label for label, _ in columns], rows


def _asset_page(request, asset: Asset, *, interface_form=None, seat_form=None, status: int = 200):
    can_update = has_node(request, "asset.update")
    can_seats = has_node(request, "software.read")
    can_assign = can_seats and has_node(request, "software.update")
    if interface_form is None and can_update:
        interface_form = InterfaceForm(asset=asset, request=request)
    interface_columns, interface_rows = _interface_rows(request, asset)
    seats = None
    if can_seats:
        seats = list(
            restrict(SoftwareSeat.objects.filter(asset=asset), request)
            .select_related("software")
            .order_by("software__name", "id")
        )
        if seat_form is None and can_assign:
            seat_form = SeatForm(asset=asset, request=request)
    context = _client_context(
        request,
        asset.client,
        "assets",
        section=SECTION,
        asset=asset,
        details=detail_rows(request, asset, AssetSerializer, ASSET_LABELS, skip=("name", "notes")),
        notes=asset.notes if "notes" in visible_fields(AssetSerializer, request) else "",
        interface_columns=interface_columns,
        interface_rows=interface_rows,
        interface_form=interface_form,
        seats=seats,
        seat_form=seat_form if can_assign else None,
        can_update=can_update,
        can_delete=has_node(request, "asset.delete"),
        can_assign=can_assign,
        software_url=KINDS["software"].list_url(asset.client),
        empty=EMPTY,
    )
    return render(request, "assets/asset_detail.html", context, status=status)


@require_nodes("asset.read")
def asset_detail(request, pk):
    return _asset_page(request, _asset(request, pk))


# --- Interfaces (the API's /assets/{id}/interfaces: asset.update) -------------------------------------------------------


@require_POST
@require_nodes("asset.update")
def interface_create(request, pk):
    asset = _asset(request, pk)
    form = InterfaceForm(request.POST, asset=asset, request=request)
    if form.is_valid():
        interface = form.save()
        messages.success(request, f"Added the interface {interface.name}.")
        return redirect(reverse("assets:asset_detail", args=[asset.pk]) + "#interfaces")
    return _asset_page(request, asset, interface_form=form, status=400)


def _interface(request, asset: Asset, interface_pk) -> AssetInterface:
    return get_object_or_404(restrict(AssetInterface.objects.filter(asset=asset), request), pk=interface_pk)


@require_http_methods(["GET", "POST"])
@require_nodes("asset.update")
def interface_edit(request, pk, interface_pk):
    asset = _asset(request, pk)
    interface = _interface(request, asset, interface_pk)
    form = InterfaceForm(
        request.POST if request.method == "POST" else None, asset=asset, request=request, instance=interface
    )
    if form.is_bound and form.is_valid():
        form.save()
        messages.success(request, f"Saved the interface {interface.name}." if form.changes else "Nothing changed.")
        return redirect(reverse("assets:asset_detail", args=[asset.pk]) + "#interfaces")
    return _form_page(
        request,
        form,
        title=f"Edit interface {gated(request, interface).name} of {gated(request, asset).name}",
        crumbs=_asset_crumbs(request, asset),
        submit="Save interface",
        cancel=reverse("assets:asset_detail", args=[asset.pk]) + "#interfaces",
        status=400 if form.is_bound else 200,
        section=SECTION,
    )


@require_POST
@require_nodes("asset.update")
def interface_delete(request, pk, interface_pk):
    asset = _asset(request, pk)
    interface = _interface(request, asset, interface_pk)
    name = interface.name
    writes.destroy(request, interface)
    messages.success(request, f"Deleted the interface {name}.")
    return redirect(reverse("assets:asset_detail", args=[asset.pk]) + "#interfaces")


# --- Licence seats (the API's /software/{id}/seats: software.update) ----------------------------------------------------


@require_POST
@require_nodes("asset.read", "software.update")
def seat_assign(request, pk):
    asset = _asset(request, pk)
    form = SeatForm(request.POST, asset=asset, request=request)
    status = 400
    if form.is_valid():
        software = form.cleaned_data["software_id"]
        serializer = SoftwareSeatSerializer(
            data={"asset_id": str(asset.pk)}, context={"request": request, "parent": software}
        )
        try:
            valid = serializer.is_valid()
        except ApiPermissionDenied as exc:
            raise _api_403(exc) from None
        if valid:
            try:
                with transaction.atomic():
                    lock_free_seat(software.pk)
                    writes.create(request, serializer, software=software)
            except Conflict as exc:
                form.add_error("software_id", str(exc.detail))
                status = 409
            else:
                messages.success(request, f"Gave {asset.name} a seat of {software}.")
                return redirect(reverse("assets:asset_detail", args=[asset.pk]) + "#seats")
        else:
            for error in flatten_errors(serializer.errors):
                form.add_error("software_id", error["message"])
    return _asset_page(request, asset, seat_form=form, status=status)


@require_POST
@require_nodes("asset.read", "software.update")
def seat_remove(request, pk, seat_pk):
    asset = _asset(request, pk)
    seat = get_object_or_404(
        restrict(SoftwareSeat.objects.filter(asset=asset).select_related("software"), request), pk=seat_pk
    )
    software = seat.software
    writes.destroy(request, seat)
    messages.success(request, f"Took the seat of {software} from {asset.name}.")
    return redirect(reverse("assets:asset_detail", args=[asset.pk]) + "#seats")
