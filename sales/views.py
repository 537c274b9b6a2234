"""The sales UI: the opportunity list and an opportunity's page (company, contacts, activities, products, notes).

Reads and writes go through the same code as the API (``sales.hydration``, ``sales.live``), so the page shows what
``/api/v1/sales`` does; a ConnectWise failure shows as a notice on the part it affects, never as an error page.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from rest_framework.exceptions import APIException

from psa.access import restrict
from psa.views import deny_unless, paginate, query_without_page, require_nodes
from sales import live
from sales.api.serializers import gated_company
from sales.filtersets import OpportunityFilterSet
from sales.hydration import hydrate
from sales.models import Opportunity

READ = "sales.opportunity.read"


def _opportunity(request, pk) -> Opportunity:
    return get_object_or_404(restrict(Opportunity.objects.select_related("client", "source", "sales_rep"), request),
                             pk=pk)  # fmt: skip


@require_nodes(READ)
def opportunity_list(request):
    filterset = OpportunityFilterSet(request.GET, queryset=restrict(Opportunity.objects.select_related("client"),
                                                                    request), request=request)  # fmt: skip
    items = filterset.qs if filterset.is_valid() else Opportunity.objects.none()
    context = {
        "section": "sales",
        "filter": filterset,
        "page": paginate(request, items.order_by("expected_close_date", "name", "id")),
        "query": query_without_page(request),
    }
    return render(request, "sales/opportunity_list.html", context)


def _live_part(call, *args):
    try:
        return call(*args)[0], ""
    except APIException as exc:
        return None, str(exc.detail)


@require_nodes(READ)
def opportunity_detail(request, pk):
    opportunity = _opportunity(request, pk)
    hydration = hydrate([opportunity], detail=True)
    # An archived opportunity's live parts are gone in ConnectWise: the page says so once, asking nothing.
    archived = opportunity.archived_at is not None
    products, products_error = (None, "") if archived else _live_part(live.products, opportunity)
    notes, notes_error = (None, "") if archived else _live_part(live.notes, opportunity)
    contacts, contacts_error = (None, "") if archived else _live_part(live.contacts, opportunity)
    context = {
        "section": "sales",
        "opportunity": opportunity,
        "company": gated_company(request, hydration.company(opportunity)),
        "site": hydration.site(opportunity),
        "activities": hydration.activities_of(opportunity),
        "connectwise": hydration.meta.get("connectwise", {}),
        "products": products, "products_error": products_error,
        "notes": notes, "notes_error": notes_error,
        "contacts": contacts, "contacts_error": contacts_error,
        "sequence_url": f"/api/v1/sales/opportunities/{opportunity.pk}/products/sequence",
    }  # fmt: skip
    return render(request, "sales/opportunity_detail.html", context)


def _report(request, exc: APIException) -> None:
    detail = exc.detail
    if isinstance(detail, dict):
        detail = " ".join(f"{field}: {' '.join(map(str, msgs))}" for field, msgs in detail.items())
    messages.error(request, str(detail))


@require_POST
@require_nodes(READ, "sales.opportunity.product.update")
def product_move(request, pk):
    """The no-JavaScript reorder: move one line up or down, then send the whole order as the API does."""
    opportunity = _opportunity(request, pk)
    try:
        lines = [line["id"] for line in live.products(opportunity)[0]]
        line, step = int(request.POST.get("line", "0")), -1 if request.POST.get("direction") == "up" else 1
        if line in lines and 0 <= lines.index(line) + step < len(lines):
            index = lines.index(line)
            lines[index], lines[index + step] = lines[index + step], lines[index]
            live.resequence(request, opportunity, lines)
            messages.success(request, "Products reordered.")
    except ValueError:
        messages.error(request, "Choose a product line to move.")
    except live.ReorderFailed as failure:
        failed = ", ".join(str(f["id"]) for f in failure.details["failed_lines"])
        messages.error(request, f"ConnectWise refused line {failed}; the order was put back.")
    except APIException as exc:
        _report(request, exc)
    return redirect(reverse("sales:opportunity_detail", args=[opportunity.pk]) + "#products")


def _note_values(request, *, partial: bool) -> dict:
    values = {"flagged": request.POST.get("flagged") == "on"}
    text = request.POST.get("text", "").strip()
    if text or not partial:
        values["text"] = text
    return values


@require_POST
@require_nodes(READ)
def note_save(request, pk, note_id=None):
    from sales.api.serializers import NoteCreateSerializer, NoteUpdateSerializer

    deny_unless(request, "sales.opportunity.note.update" if note_id else "sales.opportunity.note.create")
    opportunity = _opportunity(request, pk)
    serializer_class = NoteUpdateSerializer if note_id else NoteCreateSerializer
    body = serializer_class(data=_note_values(request, partial=bool(note_id)))
    try:
        body.is_valid(raise_exception=True)
        if note_id:
            live.update_note(request, opportunity, note_id, body.validated_data)
        else:
            live.create_note(request, opportunity, body.validated_data)
        messages.success(request, "Note saved in ConnectWise.")
    except APIException as exc:
        _report(request, exc)
    return redirect(reverse("sales:opportunity_detail", args=[opportunity.pk]) + "#notes")


@require_POST
@require_nodes(READ, "sales.opportunity.note.delete")
def note_delete(request, pk, note_id):
    opportunity = _opportunity(request, pk)
    try:
        live.delete_note(request, opportunity, note_id)
        messages.success(request, "Note deleted in ConnectWise.")
    except APIException as exc:
        _report(request, exc)
    return redirect(reverse("sales:opportunity_detail", args=[opportunity.pk]) + "#notes")
