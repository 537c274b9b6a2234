"""The top bar's search: clients, contacts and assets in one box, within the caller's scope and permissions.

Each group searches through its model's filterset (the same ``search`` as the API's lists). Assets are also found by
their exact serial number, and by a MAC address in any common notation (normalized as the API stores it).
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import render
from django.urls import reverse

from assets.filtersets import AssetFilterSet
from assets.models import Asset
from assets.validators import normalize_mac
from clients.filtersets import ClientFilterSet, ContactFilterSet
from clients.models import Client, Contact
from psa.access import has_node, restrict

PER_GROUP = 10
MAX_QUERY = 200
# Part of a MAC address written with dashes or dots ("00-1A-2B"): compared in the stored colon form.
MAC_FRAGMENT = re.compile(r"^[0-9a-f]{2}(?:[-:][0-9a-f]{2})+$", re.IGNORECASE)


def looks_like_mac(query: str) -> str | None:
    """The normalized MAC address ``query`` spells, or None."""
    try:
        return normalize_mac(query)
    except ValidationError:
        return None


def _ids(filterset) -> Q:
    return Q(pk__in=filterset.qs.values("pk")) if filterset.is_valid() else Q(pk__in=[])


def find_clients(request, query: str) -> list[Client]:
    queryset = restrict(Client.objects.all(), request)
    filterset = ClientFilterSet({"search": query}, queryset=queryset, request=request)
    return list(filterset.qs.order_by("archived_at", "name", "id")[: PER_GROUP + 1]) if filterset.is_valid() else []


def find_contacts(request, query: str) -> list[Contact]:
    queryset = restrict(Contact.objects.all(), request)
    match = _ids(ContactFilterSet({"search": query}, queryset=queryset, request=request))
    first, _, last = query.partition(" ")
    if last.strip():  # "Jane Doe"
        match |= Q(first_name__icontains=first, last_name__icontains=last.strip())
    results = queryset.filter(match).select_related("client").order_by("-is_active", "last_name", "first_name", "id")
    return list(results[: PER_GROUP + 1])


def find_assets(request, query: str) -> tuple[list[Asset], str | None]:
    """Assets matching ``query``, and the MAC address it was read as (if it is one)."""
    queryset = restrict(Asset.objects.all(), request)
    match = _ids(AssetFilterSet({"search": query}, queryset=queryset, request=request))
    mac = looks_like_mac(query)
    if mac:
        match |= _ids(AssetFilterSet({"mac": mac}, queryset=queryset, request=request))
    elif MAC_FRAGMENT.match(query):
        match |= Q(interfaces__mac__contains=query.lower().replace("-", ":"))
    results = (
        queryset.filter(match)
        .distinct()
        .select_related("client")
        .prefetch_related("interfaces")
        .order_by("archived_at", "name", "id")
    )
    return list(results[: PER_GROUP + 1]), mac


def _asset_item(asset: Asset, query: str, mac: str | None) -> dict:
    details = [asset.client.name, asset.get_type_display()]
    needle = (mac or query).lower()
    if asset.serial:
        details.append(f"serial {asset.serial}")
    hits = [i for i in asset.interfaces.all() if i.mac and (i.mac == mac or needle.replace("-", ":") in i.mac)]
    if hits:
        details.append(f"MAC {hits[0].mac} ({hits[0].name})")
    if asset.archived_at is not None:
        details.append("archived")
    return {
        "title": asset.name,
        "detail": " \u00b7 ".join(details),
        "url": reverse("assets:asset_detail", args=[asset.pk]),
    }


def search_groups(request, query: str) -> list[dict]:
    """The result groups the caller may see, in a fixed order: clients, contacts, assets."""
    groups = []
    if has_node(request, "client.read"):
        clients = find_clients(request, query)
        groups.append(
            {
                "key": "clients",
                "label": "Clients",
                "items": [
                    {
                        "title": c.name,
                        "detail": " \u00b7 ".join(
                            p for p in (c.identifier, c.get_type_display(), "" if c.is_active else "archived") if p
                        ),
                        "url": reverse("clients:client_detail", args=[c.pk]),
                    }
                    for c in clients[:PER_GROUP]
                ],
                "more_url": reverse("clients:client_list") + "?" + urlencode({"search": query})
                if len(clients) > PER_GROUP
                else None,
            }
        )
    if has_node(request, "contact.read") and has_node(request, "client.read"):
        contacts = find_contacts(request, query)
        groups.append(
            {
                "key": "contacts",
                "label": "Contacts",
                "items": [
                    {
                        "title": c.name,
                        "detail": " \u00b7 ".join(
                            p for p in (c.client.name, c.title, c.email, "" if c.is_active else "archived") if p
                        ),
                        "url": reverse("clients:doc_detail", args=[c.client_id, "contacts", c.pk]),
                    }
                    for c in contacts[:PER_GROUP]
                ],
                "more_url": None,
                "more": len(contacts) > PER_GROUP,
            }
        )
    if has_node(request, "asset.read"):
        assets, mac = find_assets(request, query)
        more = reverse("assets:asset_list") + "?" + urlencode({"mac": mac} if mac else {"search": query})
        groups.append(
            {
                "key": "assets",
                "label": "Assets",
                "items": [_asset_item(a, query, mac) for a in assets[:PER_GROUP]],
                "more_url": more if len(assets) > PER_GROUP else None,
                "mac": mac,
            }
        )
    return groups


@login_required
def search(request):
    query = " ".join(request.GET.get("q", "").split())[:MAX_QUERY]
    groups = search_groups(request, query) if query else []
    context = {
        "section": "search",
        "search_query": query,
        "groups": groups,
        "total": sum(len(group["items"]) for group in groups),
        "can_search": any(has_node(request, n) for n in ("client.read", "contact.read", "asset.read")),
    }
    return render(request, "search.html", context)
