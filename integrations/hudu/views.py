"""The Hudu company mapping page: each synced Hudu company and the client it maps to, correctable by an admin."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from clients.models import Client
from integrations.hudu import mapping
from integrations.models import Source
from psa.access import has_node, is_scoped, restrict
from psa.views import deny_unless, require_nodes


@require_http_methods(["GET", "POST"])
@require_nodes("integration.source.read")
def company_mapping(request, pk):
    source = get_object_or_404(Source, pk=pk)
    if source.kind != "hudu":
        raise Http404("Not a Hudu source.")
    status = 200
    if request.method == "POST":
        deny_unless(request, "integration.source.update")
        if is_scoped(request):  # the mapping is the MSP's, not a client's: scope is a ceiling on writes
            raise PermissionDenied("A client-scoped user cannot change the Hudu company mapping.")
        error = _apply(request, source)
        if error is None:
            return redirect("integrations:hudu_companies", pk=source.pk)
        messages.error(request, error)
        status = 400
    clients = restrict(Client.objects.filter(archived_at__isnull=True).exclude(type=Client.Type.INTERNAL), request)
    clients = list(clients.only("id", "name").order_by("name", "id"))
    companies = mapping.companies(source)
    mapped = restrict(Client.objects.filter(pk__in=[row["client"].pk for row in companies if row["client"]]), request)
    context = {
        "section": "integrations",
        "source": source,
        "companies": companies,
        "clients": clients,
        "visible": set(mapped.values_list("pk", flat=True)),
        "can_edit": has_node(request, "integration.source.update") and not is_scoped(request),
    }
    return render(request, "integrations/hudu_companies.html", context, status=status)


def _apply(request, source: Source) -> str | None:
    """Remap one company from the form; the message of what went wrong, or ``None``."""
    raw_company, raw_client = request.POST.get("hudu_id", ""), request.POST.get("client_id", "")
    if not raw_company.isdigit():
        return "hudu_id: choose a Hudu company."
    client = None
    if raw_client:
        candidates = restrict(Client.objects.all(), request)
        client = candidates.filter(pk=raw_client).first() if _is_uuid(raw_client) else None
        if client is None:
            return "client_id: no such client."
    try:
        moved = mapping.remap(source, int(raw_company), client, request)
    except mapping.MappingError as exc:
        return str(exc)
    target = client.name if client else "no client"
    messages.success(request, f"Hudu company {raw_company} now maps to {target}; {moved} synced rows moved with it.")
    return None


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
