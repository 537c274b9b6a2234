"""The ticket page's time and materials sections, as inclusion tags so the page only includes two partials."""

from __future__ import annotations

from django import template

from catalog.models import Product, Service
from psa.access import has_node
from psa.ui_gate import unwrap
from tickets.api.materials import material_totals
from tickets.api.time_entries import own_session, ticket_time_summary
from tickets.time_models import TicketMaterial

register = template.Library()


@register.inclusion_tag("tickets/_time_section.html", takes_context=True)
def time_section(context, ticket) -> dict:
    ticket = unwrap(ticket)  # a gated proxy on the page; the queries need the object
    request = context["request"]
    if not has_node(request, "time_entry.read"):
        return {"visible": False}
    session = own_session(request)
    return {
        "visible": True,
        "ticket": ticket,
        "summary": ticket_time_summary(request, ticket),
        "services": Service.objects.filter(is_active=True),
        "session": session,
        "timer_here": session is not None and session.ticket_id == ticket.pk,
        "can_log": has_node(request, "time_entry.create"),
        "can_delete": has_node(request, "time_entry.delete"),
        "can_delete_others": has_node(request, "time_entry.update.other"),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("tickets/_materials_section.html", takes_context=True)
def materials_section(context, ticket) -> dict:
    ticket = unwrap(ticket)
    request = context["request"]
    if not has_node(request, "material.read"):
        return {"visible": False}
    can_add = has_node(request, "material.create")
    materials = TicketMaterial.objects.filter(ticket=ticket).select_related("product", "service")
    return {
        "visible": True,
        "ticket": ticket,
        "materials": materials,
        "totals": material_totals(materials),
        "products": Product.objects.filter(is_active=True) if can_add else [],
        "services": Service.objects.filter(is_active=True) if can_add else [],
        "can_add": can_add,
        "can_browse": can_add and has_node(request, "procurement.catalog.read"),
        "can_delete": has_node(request, "material.delete"),
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def minutes(value) -> str:
    """120 -> "2h 00m"; 45 -> "45m"."""
    try:
        total = int(value or 0)
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(total, 60)
    return f"{hours}h {rest:02d}m" if hours else f"{rest}m"


@register.filter
def money(value, currency: str = "") -> str:
    """Minor units as a two-decimal amount: 123456, "USD" -> "1,234.56 USD"."""
    try:
        amount = int(value or 0)
    except (TypeError, ValueError):
        return ""
    sign = "-" if amount < 0 else ""
    major, minor = divmod(abs(amount), 100)
    return f"{sign}{major:,}.{minor:02d} {currency}".strip()
