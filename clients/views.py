"""A minimal client list and client page, so the navigation has somewhere to go (the full client UI comes later)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render

from clients.filtersets import ClientFilterSet
from clients.models import Client, Contact
from psa.access import has_node, restrict
from psa.views import paginate, query_without_page, require_nodes


@require_nodes("client.read")
def client_list(request):
    queryset = restrict(Client.objects.all(), request)
    if has_node(request, "contact.read"):
        queryset = queryset.annotate(contact_count=Count("contacts", filter=Q(contacts__is_active=True))).order_by(
            "name", "id"
        )
    filterset = ClientFilterSet(request.GET or None, queryset=queryset, request=request)
    context = {
        "section": "clients",
        "filter": filterset,
        "page": paginate(request, filterset.qs),
        "query": query_without_page(request),
        "types": Client.Type.choices,
        "show_contacts": has_node(request, "contact.read"),
    }
    return render(request, "clients/client_list.html", context)


@require_nodes("client.read")
def client_detail(request, pk):
    # Another client's page does not exist for a user outside its scope: 404, never 403.
    client = get_object_or_404(restrict(Client.objects.all(), request), pk=pk)
    contacts = None
    if has_node(request, "contact.read"):
        contacts = restrict(Contact.objects.filter(client=client), request).order_by(
            "-is_primary", "last_name", "first_name"
        )
    return render(request, "clients/client_detail.html", {"section": "clients", "client": client, "contacts": contacts})
