"""Linking assets and tickets (reference §1.13), and opening a ticket from an asset.

A link is one record, written from either side: the side whose links change needs ``update``, the other ``read``
(the views check the nodes). An asset and a ticket of different clients are never linked.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from rest_framework.exceptions import ValidationError

from assets.models import Asset
from psa import audit
from psa.api.exceptions import Conflict
from tickets.asset_link_models import DEFAULT_RELATIONSHIP, TicketAssetLink
from tickets.models import Ticket, TicketChange


def _history(request, ticket: Ticket, asset: Asset, *, added: bool, relationship: str) -> None:
    from tickets import services

    label = f"{asset.name} ({relationship})"
    if added:
        services._event(request, ticket, TicketChange.Action.UPDATED, "assets", None, str(asset.pk), "", label)
    else:
        services._event(request, ticket, TicketChange.Action.UPDATED, "assets", str(asset.pk), None, label, "")
    services._touch(request, ticket)


def link(
    request, ticket: Ticket, asset: Asset, *, relationship_type: str = DEFAULT_RELATIONSHIP, notes: str = "", field: str
) -> TicketAssetLink:
    """Link ``asset`` to ``ticket``; ``field`` names the body field a refusal points at (asset_id or ticket_id)."""
    if asset.client_id != ticket.client_id:
        raise ValidationError({field: ["The asset and the ticket belong to different clients."]})
    user = request.user if request.user.is_authenticated else None
    if TicketAssetLink.objects.filter(ticket=ticket, asset=asset).exists():
        raise Conflict("Asset is already linked to this ticket.")
    try:
        with transaction.atomic():
            link = TicketAssetLink.objects.create(
                ticket=ticket, asset=asset, relationship_type=relationship_type, notes=notes, created_by=user
            )
            audit.record(request, "create", link, changes=audit.diff({}, audit.snapshot(link)))
            _history(request, ticket, asset, added=True, relationship=relationship_type)
    except IntegrityError:  # a concurrent request linked them first
        raise Conflict("Asset is already linked to this ticket.") from None
    return link


def unlink(request, link: TicketAssetLink) -> None:
    with transaction.atomic():
        before = audit.snapshot(link)
        audit.record(
            request, "delete", link, changes=audit.diff(before, {}), object_type="tickets.ticketassetlink",
            object_id=link.pk,
        )  # fmt: skip
        link.delete()
        _history(request, link.ticket, link.asset, added=False, relationship=link.relationship_type)


def prefill(asset: Asset) -> dict:
    """What a ticket opened from ``asset`` starts with: its client, location and contact."""
    return {
        "client_id": str(asset.client_id),
        "location_id": str(asset.location_id) if asset.location_id else None,
        "contact_id": str(asset.contact_id) if asset.contact_id else None,
        "title": f"{asset.name}: ",
    }


def create_from_asset(request, asset: Asset, validated: dict, *, source: str, relationship_type: str) -> Ticket:
    """Create the ticket and its link to ``asset`` in one transaction."""
    from tickets import services

    with transaction.atomic():
        ticket = services.create_ticket(request, validated, source=source)
        link(request, ticket, asset, relationship_type=relationship_type, field="asset_id")
    return ticket
