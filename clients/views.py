"""The client pages: the client list, a client page with tabs, and create/edit/delete for what a client owns.

Every page checks the same permission nodes as the matching API route, lists through the same filtersets, keeps to
the caller's client scope (another client's page, or an object of another client, is a 404) and validates and audits
writes exactly like the API (:mod:`psa.forms`, :mod:`psa.writes`).

The client page's tabs come from the registry of :mod:`psa.tabs`, which each app fills from its ``client_tabs.py``.
The documentation tabs (contacts and locations here; assets, networks, domains, certificates and software from the
assets app) are described by ``KINDS`` and share one set of views.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join, linebreaks
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied

from assets.models import Asset, Software
from clients.addresses import format_address, tel_link
from clients.api.serializers import ClientSerializer, ContactSerializer, LocationSerializer
from clients.filtersets import ClientFilterSet, ContactFilterSet, LocationFilterSet
from clients.forms import ClientForm, ContactForm, LocationForm
from clients.models import Client, Contact, Location
from psa import tabs, writes
from psa.access import has_node, has_nodes, restrict
from psa.forms import field_label
from psa.ui_gate import gated
from psa.views import deny_unless, paginate, query_without_page, require_nodes

SECTION = "clients"
EXPIRY_WARNING_DAYS = 30
EXPIRING_CHOICES = [(30, "30 days"), (60, "60 days"), (90, "90 days"), (365, "a year")]
HIDDEN_DETAIL_FIELDS = frozenset({"id", "client_id", "created_at", "updated_at"})
EMPTY = mark_safe('<span class="muted">\u2014</span>')


# --- Showing values -------------------------------------------------------------------------------------------------


def visible_fields(serializer_class, request) -> frozenset[str]:
    """The fields of a serializer the caller may see (field gating, as in the API)."""
    return serializer_class(context={"request": request}).visible_fields()


def expiry(value: datetime.date | None) -> SafeString | str:
    """A date with a badge when it is near or past."""
    if value is None:
        return EMPTY
    days = (value - timezone.localdate()).days
    text = value.isoformat()
    if days < 0:
        return format_html('{} <span class="badge badge-danger">Expired</span>', text)
    if days <= EXPIRY_WARNING_DAYS:
        left = "today" if days == 0 else f"{days} day{'s' if days != 1 else ''} left"
        return format_html('{} <span class="badge badge-warning">{}</span>', text, left)
    return text


def show(instance: Any, name: str, ser_field: serializers.Field) -> SafeString | str:
    """One field of an object as the detail pages show it."""
    source = ser_field.source
    value = getattr(instance, source, None)
    if value in (None, "", []):
        return EMPTY
    display = getattr(instance, f"get_{source}_display", None)
    if display is not None:
        return display()
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return expiry(value) if name in ("expires_on", "warranty_expires") else value.isoformat()
    if isinstance(ser_field, serializers.URLField):
        return format_html('<a href="{}" rel="noopener noreferrer">{}</a>', value, value)
    if isinstance(ser_field, serializers.EmailField):
        return format_html('<a href="mailto:{}">{}</a>', value, value)
    if name in ("phone", "mobile"):
        return tel_link(value)
    if name == "public_key":
        return format_html('<pre class="pem">{}</pre>', value)
    if name in ("mac", "serial", "cidr", "gateway", "ip", "ipv4", "ipv6", "identifier", "dhcp_range"):
        return format_html("<code>{}</code>", value)
    if ser_field.style.get("base_template") == "textarea.html":
        return mark_safe(linebreaks(value, autoescape=True))
    return str(value)


def detail_rows(request, instance, serializer_class, labels: dict | None = None, skip=()) -> list[tuple[str, Any]]:
    """``(label, value)`` for every field of ``instance`` the caller may see."""
    labels = labels or {}
    serializer = serializer_class(context={"request": request})
    visible = serializer.visible_fields()
    rows = []
    for name, ser_field in serializer.fields.items():
        if name in HIDDEN_DETAIL_FIELDS or name in skip or name not in visible or ser_field.write_only:
            continue
        if isinstance(ser_field, serializers.BaseSerializer | serializers.ListSerializer):
            continue
        value = show(instance, name, ser_field)
        if ser_field.read_only and value is EMPTY:
            continue  # e.g. integration ids nobody filled in
        rows.append((labels.get(name) or field_label(name, ser_field), value))
    return rows


def primary_badge(obj) -> SafeString:
    return mark_safe(' <span class="badge badge-info">Primary</span>') if getattr(obj, "is_primary", False) else ""


# --- What a client owns: one description per tab -------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    label: str
    # the serializer field(s) that gate the column, or full obj. nodes of other objects it shows (None: always shown)
    field: str | tuple[str, ...] | None
    render: Callable[[Any], Any]
    css: str = ""


@dataclass(frozen=True)
class Kind:
    """Something a client owns, listed on a tab of the client page, with forms backed by its API serializer."""

    key: str  # the tab and the URL part, e.g. "contacts"
    label: str  # "Contacts"
    noun: str  # "contact"
    model: type
    node: str  # permission prefix: contact.read / .create / .update / .delete
    serializer: type
    filterset: type
    columns: tuple[Column, ...]
    queryset: Callable[[], QuerySet]
    form: type | None = None
    search_hint: str = ""
    expiring: bool = False  # offers "expiring within" (expiring_within_days)
    # Its own pages instead of the generic ones: a URL name prefix ("assets:asset" -> assets:asset_create,
    # assets:asset_detail, assets:asset_edit, assets:asset_delete).
    own_pages: str | None = None
    labels: dict = field(default_factory=dict)

    def nodes(self, verb: str) -> tuple[str, ...]:
        return (f"{self.node}.{verb}",)

    def list_url(self, client) -> str:
        return reverse("clients:doc_list", kwargs={"pk": client.pk, "kind": self.key})

    def create_url(self, client) -> str:
        if self.own_pages:
            return reverse(f"{self.own_pages}_create") + f"?client={client.pk}"
        return reverse("clients:doc_create", kwargs={"pk": client.pk, "kind": self.key})

    def object_url(self, obj, action: str = "detail") -> str:
        if self.own_pages:
            return reverse(f"{self.own_pages}_{action}", kwargs={"pk": obj.pk})
        return reverse(f"clients:doc_{action}", kwargs={"pk": obj.client_id, "kind": self.key, "obj_pk": obj.pk})


def _link(kind_key: str):
    def render(obj):
        kind = KINDS[kind_key]
        extra = primary_badge(obj)
        if getattr(obj, "archived_at", None) is not None or getattr(obj, "is_active", True) is False:
            extra += mark_safe(' <span class="badge">Archived</span>')
        return format_html('<a href="{}">{}</a>{}', kind.object_url(obj), obj.name, extra)

    return render


def _address(location: Location) -> str:
    loc = location
    return format_address(loc.address1, loc.address2, loc.city, loc.state, loc.zip, loc.country) or EMPTY


def _primary_interface(asset: Asset):
    interfaces = list(asset.interfaces.all())
    primary = next((i for i in interfaces if i.is_primary), interfaces[0] if interfaces else None)
    if primary is None:
        return EMPTY
    return format_html_join(" ", "<code>{}</code>", [(v,) for v in (primary.mac, primary.ipv4) if v]) or EMPTY


def _seats(software: Software) -> str:
    return f"{software.seats_used} of {software.seats}" if software.seats is not None else f"{software.seats_used}"


def _text(attr: str):
    return lambda obj: getattr(obj, attr) or EMPTY


def _code(attr: str):
    return lambda obj: format_html("<code>{}</code>", getattr(obj, attr)) if getattr(obj, attr) else EMPTY


def _related(attr: str):
    return lambda obj: str(getattr(obj, attr)) if getattr(obj, attr) is not None else EMPTY


def _display(attr: str):
    return lambda obj: getattr(obj, f"get_{attr}_display")()


KINDS: dict[str, Kind] = {
    kind.key: kind
    for kind in [
        Kind(
            key="contacts",
            label="Contacts",
            noun="contact",
            model=Contact,
            node="contact",
            serializer=ContactSerializer,
            filterset=ContactFilterSet,
            form=ContactForm,
            search_hint="Name, email, phone, title or department",
            queryset=lambda: Contact.objects.select_related("location").order_by(
                "-is_active", "-is_primary", "last_name", "first_name", "id"
            ),
            columns=(
                Column("Name", ("first_name", "last_name"), _link("contacts")),
                Column("Title", "title", _text("title")),
                Column(
                    "Email",
                    "email",
                    lambda c: format_html('<a href="mailto:{}">{}</a>', c.email, c.email) if c.email else EMPTY,
                ),
                Column(
                    "Phone",
                    "phone",
                    lambda c: tel_link(c.phone) if c.phone else EMPTY,
                ),
                Column(
                    "Roles",
                    "is_billing",
                    lambda c: format_html_join(
                        " ",
                        '<span class="badge">{}</span>',
                        [(r,) for r, on in (("Billing", c.is_billing), ("Technical", c.is_technical)) if on],
                    )
                    or EMPTY,
                ),
            ),
            labels={
                "first_name": "First name",
                "location_id": "Location",
                "is_primary": "Primary contact",
                "is_billing": "Billing contact",
                "is_technical": "Technical contact",
                "is_active": "Active",
            },
        ),
        Kind(
            key="locations",
            label="Locations",
            noun="location",
            model=Location,
            node="location",
            serializer=LocationSerializer,
            filterset=LocationFilterSet,
            form=LocationForm,
            search_hint="Name, address or phone",
            queryset=lambda: Location.objects.order_by("-is_primary", "name", "id"),
            columns=(
                Column("Name", "name", _link("locations")),
                Column("Address", ("address1", "address2", "city", "state", "zip", "country"), _address),
                Column("Phone", "phone", _text("phone")),
            ),
            labels={"address1": "Address line 1", "address2": "Address line 2", "zip": "Postal code"},
        ),
    ]
}


# --- The client page's tabs (psa.tabs; this app's are declared in clients/client_tabs.py) -------------------------


def register_kind(kind: Kind) -> Kind:
    """Add a documentation tab described by ``kind`` (the assets app adds its own from assets/client_tabs.py)."""
    KINDS[kind.key] = kind
    return kind


def client_tabs(request, client, current: str) -> list[dict]:
    """The tabs of ``client`` the caller may open, for ``clients/_tabs.html`` (other apps' client pages too)."""
    return tabs.client_tabs(request, client, current)


def scoped_client(request, pk) -> Client:
    """A client of the caller's scope; any other is a 404, never a 403."""
    return get_object_or_404(restrict(Client.objects.all(), request), pk=pk)


def _client_context(request, client, current: str, **extra) -> dict:
    return {"section": SECTION, "client": client, "tabs": client_tabs(request, client, current), **extra}


# --- Clients ----------------------------------------------------------------------------------------------------------


@require_nodes("client.read")
def client_list(request):
    queryset = restrict(Client.objects.all(), request)
    if has_node(request, "contact.read"):
        queryset = queryset.annotate(contact_count=Count("contacts", filter=Q(contacts__is_active=True))).order_by(
            "name", "id"
        )
    filterset = ClientFilterSet(request.GET or None, queryset=queryset, request=request)
    context = {
        "section": SECTION,
        "filter": filterset,
        "page": paginate(request, filterset.qs),
        "query": query_without_page(request),
        "types": Client.Type.choices,
        "show_contacts": has_node(request, "contact.read"),
        "can_create": has_node(request, "client.create"),
    }
    return render(request, "clients/client_list.html", context)


@require_nodes("client.read")
def client_detail(request, pk):
    """The overview tab: the client's details, primary contact and location, and how much is documented."""
    client = scoped_client(request, pk)
    can_contacts, can_locations = has_node(request, "contact.read"), has_node(request, "location.read")
    primary_contact = primary_location = None
    if can_contacts:
        primary_contact = Contact.objects.filter(client=client, is_primary=True).first()
    if can_locations:
        primary_location = Location.objects.filter(client=client, is_primary=True).first()
    context = _client_context(
        request,
        client,
        "overview",
        details=detail_rows(
            request, client, ClientSerializer, {"is_lead": "Lead", "is_active": "Active"}, skip=("name", "notes")
        ),
        show_notes=client.notes and "notes" in visible_fields(ClientSerializer, request),
        can_contacts=can_contacts,
        can_locations=can_locations,
        primary_contact=primary_contact,
        primary_location=primary_location,
        counts=tabs.overview_counts(request, client),
        can_update=has_node(request, "client.update"),
        can_create_ticket=has_node(request, "ticket.create"),
    )
    return render(request, "clients/client_detail.html", context)


def _form_page(request, form, *, title: str, crumbs: list, submit: str, cancel: str, status: int = 200, **extra):
    context = {
        "section": extra.pop("section", SECTION),
        "form": form,
        "title": title,
        "crumbs": crumbs,
        "submit_label": submit,
        "cancel_url": cancel,
        **extra,
    }
    return render(request, "clients/form_page.html", context, status=status)


@require_http_methods(["GET", "POST"])
@require_nodes("client.create")
def client_create(request):
    form = ClientForm(request.POST if request.method == "POST" else None, request=request)
    if form.is_bound and form.is_valid():
        client = form.save()
        messages.success(request, f"Created the client {client.name}.")
        return redirect("clients:client_detail", pk=client.pk)
    crumbs = [("Clients", reverse("clients:client_list"))]
    return _form_page(
        request,
        form,
        title="New client",
        crumbs=crumbs,
        submit="Create client",
        cancel=reverse("clients:client_list"),
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
@require_nodes("client.update")
def client_edit(request, pk):
    client = scoped_client(request, pk)
    shown = gated(request, client)  # its name as the caller may see it
    form = ClientForm(request.POST if request.method == "POST" else None, request=request, instance=client)
    if form.is_bound and form.is_valid():
        form.save()
        messages.success(request, f"Saved the client {shown.name}." if form.changes else "Nothing changed.")
        return redirect("clients:client_detail", pk=client.pk)
    crumbs = [("Clients", reverse("clients:client_list")), (shown.name, reverse("clients:client_detail", args=[pk]))]
    return _form_page(
        request,
        form,
        title=f"Edit {shown.name}",
        crumbs=crumbs,
        submit="Save client",
        cancel=reverse("clients:client_detail", args=[pk]),
        status=400 if form.is_bound else 200,
    )


@require_POST
@require_nodes("client.update")
def client_archive(request, pk):
    """Archive (or restore) a client: the API's ``PATCH /clients/{id}`` with ``is_active``, audited the same way."""
    client = scoped_client(request, pk)
    restore = request.POST.get("action") == "restore"
    serializer = ClientSerializer(client, data={"is_active": restore}, partial=True, context={"request": request})
    try:
        serializer.is_valid(raise_exception=True)
    except ApiPermissionDenied as exc:
        raise PermissionDenied(str(exc.detail)) from None
    writes.update(request, serializer)
    messages.success(request, f"{'Restored' if restore else 'Archived'} the client {client.name}.")
    return redirect("clients:client_detail", pk=client.pk)


# --- The documentation tabs -------------------------------------------------------------------------------------------


def _kind(key: str) -> Kind:
    kind = KINDS.get(key)
    if kind is None:
        raise Http404("No such tab.")
    return kind


def _scoped_object(request, kind: Kind, client: Client, obj_pk):
    queryset = restrict(kind.queryset().filter(client=client), request)
    return get_object_or_404(queryset, pk=obj_pk)


def column_visible(request, column: Column, visible: frozenset[str]) -> bool:
    """A column shows when the caller may see every field it renders (others' fields by full ``obj.`` node)."""
    fields = (column.field,) if isinstance(column.field, str) else column.field or ()
    return all(has_node(request, f) if "." in f else f in visible for f in fields)


def table_rows(request, kind: Kind, objects) -> tuple[list[Column], list[dict]]:
    """The columns the caller may see and one row per object, with its edit and delete links."""
    visible = visible_fields(kind.serializer, request)
    columns = [column for column in kind.columns if column_visible(request, column, visible)]
    can_update, can_delete = has_nodes(request, kind.nodes("update")), has_nodes(request, kind.nodes("delete"))
    rows = []
    for obj in objects:
        shown = gated(request, obj)  # what a cell renders goes through the field gate, as a template would
        rows.append(
            {
                "id": f"{kind.noun}-{obj.pk}",
                "name": str(shown),
                "cells": [(column.render(shown), column.css) for column in columns],
                "edit_url": kind.object_url(obj, "edit") if can_update else None,
                "delete_url": kind.object_url(obj, "delete") if can_delete else None,
            }
        )
    return columns, rows


@require_nodes("client.read")
def doc_list(request, pk, kind):
    kind = _kind(kind)
    deny_unless(request, *kind.nodes("read"))
    client = scoped_client(request, pk)
    data = request.GET.copy()
    data["client_id"] = str(client.pk)
    filterset = kind.filterset(data, queryset=restrict(kind.queryset(), request), request=request)
    queryset = filterset.qs if filterset.is_valid() else kind.model.objects.none()
    page = paginate(request, queryset)
    columns, rows = table_rows(request, kind, page.object_list)
    context = _client_context(
        request,
        client,
        kind.key,
        kind=kind,
        filter=filterset,
        page=page,
        columns=columns,
        rows=rows,
        query=query_without_page(request),
        searched=bool(request.GET.get("search") or request.GET.get("expiring_within_days")),
        expiring_choices=EXPIRING_CHOICES,
        create_url=kind.create_url(client) if has_nodes(request, kind.nodes("create")) else None,
        all_assets_url=reverse("assets:asset_list") + f"?client_id={client.pk}" if kind.key == "assets" else None,
    )
    return render(request, "clients/doc_list.html", context)


@require_nodes("client.read")
def doc_detail(request, pk, kind, obj_pk):
    kind = _kind(kind)
    if kind.own_pages:
        return redirect(kind.object_url(get_object_or_404(restrict(kind.model.objects.all(), request), pk=obj_pk)))
    deny_unless(request, *kind.nodes("read"))
    client = scoped_client(request, pk)
    obj = _scoped_object(request, kind, client, obj_pk)
    extra_rows = []
    if kind.key == "software" and "seats" in visible_fields(kind.serializer, request):
        extra_rows.append(("Seats used", _seats(obj)))
    context = _client_context(
        request,
        client,
        kind.key,
        kind=kind,
        obj=obj,
        rows=detail_rows(request, obj, kind.serializer, kind.labels) + extra_rows,
        edit_url=kind.object_url(obj, "edit") if has_nodes(request, kind.nodes("update")) else None,
        delete_url=kind.object_url(obj, "delete") if has_nodes(request, kind.nodes("delete")) else None,
        seats=_seat_holders(obj) if kind.key == "software" else None,
    )
    return render(request, "clients/doc_detail.html", context)


def _seat_holders(software: Software) -> list:
    return list(software.seat_assignments.select_related("asset", "contact").order_by("created_at", "id"))


def _kind_crumbs(request, client, kind: Kind, obj=None) -> list:
    crumbs = [
        ("Clients", reverse("clients:client_list")),
        (gated(request, client).name, reverse("clients:client_detail", args=[client.pk])),
        (kind.label, kind.list_url(client)),
    ]
    if obj is not None:
        crumbs.append((str(gated(request, obj)), kind.object_url(obj)))
    return crumbs


@require_http_methods(["GET", "POST"])
@require_nodes("client.read")
def doc_create(request, pk, kind):
    kind = _kind(kind)
    if kind.form is None:
        raise Http404("This tab has its own pages.")
    deny_unless(request, *kind.nodes("create"))
    client = scoped_client(request, pk)
    form = kind.form(request.POST if request.method == "POST" else None, client=client, request=request)
    if form.is_bound and form.is_valid():
        obj = form.save()
        messages.success(request, f"Added the {kind.noun} {obj}.")
        return redirect(kind.list_url(client) + f"#{kind.noun}-{obj.pk}")
    return _form_page(
        request,
        form,
        title=f"New {kind.noun} for {gated(request, client).name}",
        crumbs=_kind_crumbs(request, client, kind),
        submit=f"Add {kind.noun}",
        cancel=kind.list_url(client),
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
@require_nodes("client.read")
def doc_edit(request, pk, kind, obj_pk):
    kind = _kind(kind)
    if kind.form is None:
        raise Http404("This tab has its own pages.")
    deny_unless(request, *kind.nodes("update"))
    client = scoped_client(request, pk)
    obj = _scoped_object(request, kind, client, obj_pk)
    form = kind.form(request.POST if request.method == "POST" else None, client=client, request=request, instance=obj)
    if form.is_bound and form.is_valid():
        obj = form.save()
        messages.success(request, f"Saved the {kind.noun} {obj}." if form.changes else "Nothing changed.")
        return redirect(kind.object_url(obj))
    return _form_page(
        request,
        form,
        title=f"Edit {kind.noun} {gated(request, obj)}",
        crumbs=_kind_crumbs(request, client, kind, obj),
        submit=f"Save {kind.noun}",
        cancel=kind.object_url(obj),
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
@require_nodes("client.read")
def doc_delete(request, pk, kind, obj_pk):
    kind = _kind(kind)
    if kind.own_pages:
        raise Http404("This tab has its own pages.")
    deny_unless(request, *kind.nodes("delete"))
    client = scoped_client(request, pk)
    obj = _scoped_object(request, kind, client, obj_pk)
    if request.method == "POST":
        name = str(obj)
        writes.destroy(request, obj)
        messages.success(request, f"Deleted the {kind.noun} {name}.")
        return redirect(kind.list_url(client))
    context = _client_context(
        request,
        client,
        kind.key,
        obj=obj,
        noun=kind.noun,
        crumbs=_kind_crumbs(request, client, kind, obj),
        cancel_url=kind.object_url(obj),
    )
    return render(request, "clients/confirm_delete.html", context)
