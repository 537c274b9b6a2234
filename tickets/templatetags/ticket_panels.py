"""Panels other apps' pages include: a holder's documents, an asset's tickets, a contact's tickets, assets and
credentials. Each computes its own rows with the caller's permission nodes and client scope, so the pages that show
them (asset, client, contact) need no ticket code of their own."""

from __future__ import annotations

from django import template

from psa.access import has_node, has_nodes, restrict
from psa.ui_gate import unwrap
from tickets import documents
from tickets.api.documents import document_data
from tickets.models import Ticket

register = template.Library()

PANEL_ROWS = 25
HOLDER_NODES = {"ticket": "ticket", "client": "client", "asset": "asset"}
HOLDER_PATHS = {"ticket": "tickets", "client": "clients", "asset": "assets"}


@register.inclusion_tag("tickets/_documents.html", takes_context=True)
def documents_panel(context, holder) -> dict:
    holder = unwrap(holder)  # a gated proxy on the page; the query needs the object
    request = context["request"]
    kind = holder._meta.model_name
    node = HOLDER_NODES[kind]
    visible = has_node(request, f"{node}.read")
    base = f"/api/v1/{HOLDER_PATHS[kind]}/{holder.pk}/documents"
    rows = [document_data(a, base) for a in documents.associations_of(holder)[:100]] if visible else []
    return {
        "request": request,
        "visible": visible,
        "holder_kind": kind,
        "holder": holder,
        "api_url": base,
        "documents": rows,
        "can_change": has_node(request, f"{node}.update"),
        "max_upload_bytes": documents.max_upload_bytes(),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("tickets/_asset_tickets.html", takes_context=True)
def asset_tickets_panel(context, asset) -> dict:
    from tickets.api.asset_links import ticket_links_of

    asset = unwrap(asset)
    request = context["request"]
    visible = has_nodes(request, ["ticket.read", "asset.read"])
    links = list(ticket_links_of(request, asset)[:PANEL_ROWS]) if visible else []
    return {
        "request": request,
        "visible": visible,
        "asset": asset,
        "links": links,
        "can_link": has_nodes(request, ["asset.update", "ticket.read"]),
        "can_create": has_nodes(request, ["ticket.create", "asset.read"]),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("tickets/_contact_panels.html", takes_context=True)
def contact_panels(context, contact) -> dict:
    contact = unwrap(contact)
    request = context["request"]
    tickets = assets = credentials = None
    if has_node(request, "ticket.read"):
        queryset = restrict(Ticket.objects.filter(contact=contact), request)
        tickets = list(
            queryset.select_related("status", "priority", "assigned_to").order_by("-entered_at")[:PANEL_ROWS]
        )
    if has_node(request, "asset.read"):
        assets = list(restrict(contact.assets.all(), request).order_by("name", "id")[:PANEL_ROWS])
    if has_node(request, "credential.read"):
        live = contact.credentials.filter(deleted_at__isnull=True).select_related("type")
        credentials = list(restrict(live, request).order_by("name", "id")[:PANEL_ROWS])
    return {
        "contact": contact,
        "tickets": tickets,
        "assets": assets,
        "credentials": credentials,
        "can_create_ticket": has_node(request, "ticket.create"),
    }
