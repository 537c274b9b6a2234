"""Ticket-page edits beyond the header fields, and the ticket parts of other pages (client tab, documents, bundles,
asset links). Plain form posts that validate through the API serializers and write through the same services, so a
change made here obeys the same rules (bundle locks included) and leaves the same history as one made by the API.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from rest_framework.exceptions import APIException
from rest_framework.exceptions import ValidationError as ApiValidationError

from accounts.models import User
from assets.models import Asset
from clients.models import Client
from psa.access import has_node, restrict
from psa.api.exceptions import flatten_errors
from psa.tabs import client_tabs
from psa.utils import is_uuid
from psa.views import deny_unless, paginate, query_without_page, require_nodes
from tickets import asset_links, bundles, documents, services
from tickets.api.serializers import TicketSerializer
from tickets.asset_link_models import TicketAssetLink
from tickets.models import Ticket

HOLDERS = {"ticket": (Ticket, "ticket"), "client": (Client, "client"), "asset": (Asset, "asset")}
CLIENT_TICKET_STATES = {"open": {"is_closed": False}, "closed": {"is_closed": True}, "all": {}}
EDIT_FIELDS = (
    "title", "description", "client_id", "contact_id", "location_id", "board_id", "status_id", "category_id",
    "subcategory_id",
)  # fmt: skip
NULLABLE_FIELDS = frozenset({"contact_id", "location_id", "category_id", "subcategory_id"})


def _back(request, fallback: str) -> HttpResponseRedirect:
    target = request.POST.get("next") or fallback
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = fallback
    return HttpResponseRedirect(target)


def _report(request, exc: APIException) -> None:
    """An API refusal as messages on the page (each naming its field)."""
    if isinstance(exc, ApiValidationError):
        for detail in flatten_errors(exc.detail):
            where = ".".join(str(p) for p in detail["path"])
            messages.error(request, f"{where}: {detail['message']}" if where else detail["message"])
    else:
        messages.error(request, str(exc.detail))


def _ticket(request, pk, *, lock: bool = False) -> Ticket:
    queryset = restrict(Ticket.objects.all(), request)
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    return get_object_or_404(queryset, pk=pk)


def _ticket_url(ticket: Ticket, anchor: str = "") -> str:
    return reverse("tickets:ticket_detail", args=[ticket.pk]) + anchor


# ---- the client page's Tickets tab ----------------------------------------------------------------------------------


@require_nodes("client.read", "ticket.read")
def client_tickets(request, client_id):
    client = get_object_or_404(restrict(Client.objects.all(), request), pk=client_id)
    state = request.GET.get("state", "open")
    state = state if state in CLIENT_TICKET_STATES else "open"
    tickets = restrict(Ticket.objects.filter(client=client, **CLIENT_TICKET_STATES[state]), request)
    tickets = tickets.select_related("status", "priority", "assigned_to").defer("description", "description_html")
    context = {
        "section": "clients",
        "client": client,
        "tabs": client_tabs(request, client, "tickets"),
        "page": paginate(request, tickets.order_by("-entered_at", "-id")),
        "query": query_without_page(request),
        "state": state,
        "states": [("open", "Open"), ("closed", "Closed"), ("all", "All")],
        "can_create": has_node(request, "ticket.create"),
    }
    return render(request, "tickets/client_tickets.html", context)


# ---- editing a ticket after creation ----------------------------------------------------------------------------------


def _edit_data(request) -> dict:
    data = {}
    for name in EDIT_FIELDS:
        if name not in request.POST:
            continue
        value = request.POST[name]
        value = value if name == "description" else value.strip()
        if value == "" and name in NULLABLE_FIELDS:
            data[name] = None
        elif value != "" or name in ("title", "description"):
            data[name] = value
    return data


def _drop_stale(data: dict, ticket: Ticket) -> None:
    """The form shows the current values: unchanged ones are not sent, and those a move leaves behind are dropped."""
    for name, current in (
        ("board_id", ticket.board_id),
        ("status_id", ticket.status_id),
        ("client_id", ticket.client_id),
    ):
        if data.get(name) == str(current):
            data.pop(name)
    if "client_id" in data:  # a new client: the old client's contact and location no longer fit
        for name, current in (("contact_id", ticket.contact_id), ("location_id", ticket.location_id)):
            if data.get(name) == str(current):
                data.pop(name)
    if "board_id" in data:  # a new board: the old board's categories no longer fit
        for name, current in (("category_id", ticket.category_id), ("subcategory_id", ticket.subcategory_id)):
            if data.get(name) == str(current):
                data.pop(name)


def ticket_page_context(request, ticket: Ticket) -> dict:
    """What the ticket page's edit, people, bundle and asset sections show."""
    from clients.models import Contact, Location
    from tickets.api.asset_links import asset_links_of
    from tickets.models import Board, Category, Status, Tag

    can_assets = has_node(request, "asset.read")
    links = list(asset_links_of(request, ticket)) if can_assets else []
    linked = {link.asset_id for link in links}
    client_assets = []
    if can_assets and has_node(request, "ticket.update"):
        candidates = restrict(Asset.objects.filter(client=ticket.client, archived_at__isnull=True), request)
        client_assets = [a for a in candidates.order_by("name", "id")[:200] if a.pk not in linked]
    return {
        "boards": Board.objects.filter(is_active=True),
        "all_statuses": Status.objects.select_related("board").filter(board__is_active=True),
        "categories": Category.objects.select_related("parent").filter(board=ticket.board),
        "clients": restrict(Client.objects.filter(archived_at__isnull=True), request).only("id", "name"),
        "contacts": Contact.objects.filter(client=ticket.client, is_active=True).order_by("last_name", "first_name"),
        "locations": Location.objects.filter(client=ticket.client).order_by("name"),
        "tag_suggestions": Tag.objects.exclude(tickets=ticket).order_by("text")[:200],
        "bundle": bundles.describe(request, ticket),
        "can_assets": can_assets,
        "asset_links": links,
        "client_assets": client_assets,
    }


@require_POST
@require_nodes("ticket.update")
def ticket_edit(request, pk):
    """Title, description, client, contact, location, board, status, category and subcategory, in one form."""
    with transaction.atomic():
        ticket = _ticket(request, pk, lock=True)
        data = _edit_data(request)
        _drop_stale(data, ticket)
        serializer = TicketSerializer(ticket, data=data, partial=True, context={"request": request})
        try:
            serializer.is_valid(raise_exception=True)
            services.update_ticket(request, ticket, serializer.validated_data)
        except APIException as exc:
            transaction.set_rollback(True)
            _report(request, exc)
        else:
            messages.success(request, "Ticket saved.")
    return HttpResponseRedirect(_ticket_url(ticket))


@require_POST
@require_nodes("ticket.update")
def ticket_tags(request, pk):
    """Add tags (comma-separated texts) or remove one (by id)."""
    with transaction.atomic():
        ticket = _ticket(request, pk, lock=True)
        current = [tag.text for tag in ticket.tags.all()]
        if request.POST.get("action") == "remove":
            removed = request.POST.get("tag_id", "")
            wanted = [tag.text for tag in ticket.tags.all() if str(tag.pk) != removed]
        else:
            added = [text.strip() for text in request.POST.get("tags", "").split(",") if text.strip()]
            wanted = current + added
        serializer = TicketSerializer(ticket, data={"tags": wanted}, partial=True, context={"request": request})
        try:
            serializer.is_valid(raise_exception=True)
            services.update_ticket(request, ticket, serializer.validated_data)
        except APIException as exc:
            transaction.set_rollback(True)
            _report(request, exc)
    return HttpResponseRedirect(_ticket_url(ticket, "#people"))


def _user(raw: str | None) -> User | None:
    return User.objects.filter(pk=raw, is_active=True).first() if raw and is_uuid(raw) else None


@require_POST
@require_nodes("ticket.update")
def ticket_people(request, pk):
    """Assign to me, add or remove watchers and additional agents."""
    action = request.POST.get("action")
    user = request.user if action == "assign_me" else _user(request.POST.get("user_id"))
    try:
        with transaction.atomic():
            ticket = _ticket(request, pk, lock=True)
            if action == "assign_me":
                services.assign(request, ticket, request.user)
            elif user is None and action in ("add_agent", "remove_agent", "remove_watcher"):
                raise ApiValidationError({"user_id": ["Choose a user."]})
            elif action == "add_agent":
                services.add_agent(request, ticket, user)
            elif action == "remove_agent":
                services.remove_agent(request, ticket, user.pk)
            elif action == "add_watcher":
                email = request.POST.get("email", "").strip().lower()
                if user is None and not email:
                    raise ApiValidationError({"user_id": ["Choose a user or give an e-mail address."]})
                services.add_watcher(request, ticket, user, "" if user else email, "")
            elif action == "remove_watcher":
                services.remove_watcher(request, ticket, user.pk)
            else:
                raise ApiValidationError({"action": ["Unknown action."]})
    except APIException as exc:
        _report(request, exc)
    except Http404:
        messages.error(request, "That person is not on this ticket.")
    else:
        messages.success(request, "Ticket saved.")
    return HttpResponseRedirect(reverse("tickets:ticket_detail", args=[pk]) + "#people")


# ---- documents (the no-JavaScript path; documents.js uses the API) --------------------------------------------------


def _holder(request, holder_kind: str, pk, verb: str):
    if holder_kind not in HOLDERS:
        raise Http404
    model, node = HOLDERS[holder_kind]
    deny_unless(request, f"{node}.{verb}")
    return get_object_or_404(restrict(model.objects.all(), request), pk=pk)


def _holder_url(holder) -> str:
    kind = holder._meta.model_name
    if kind == "ticket":
        return _ticket_url(holder, "#documents")
    if kind == "asset":
        return reverse("assets:asset_detail", args=[holder.pk]) + "#documents"
    return reverse("clients:client_detail", args=[holder.pk]) + "#documents"


@require_POST
@require_nodes()
def document_upload(request, holder_kind, pk):
    holder = _holder(request, holder_kind, pk, "update")
    try:
        documents.check_content_length(request)
        files = request.FILES.getlist("file")
        if not files:
            raise ApiValidationError({"file": ["Choose a file to upload."]})
        for upload in files:
            documents.attach(request, holder, upload)
    except APIException as exc:
        _report(request, exc)
    else:
        messages.success(request, f"Uploaded {len(files)} file(s).")
    return _back(request, _holder_url(holder))


@require_POST
@require_nodes()
def document_remove(request, holder_kind, pk, document_id):
    holder = _holder(request, holder_kind, pk, "update")
    association = get_object_or_404(documents.associations_of(holder), document_id=document_id)
    documents.detach(request, association)
    messages.success(request, f"Removed {association.document.name}.")
    return _back(request, _holder_url(holder))


# ---- bundles ---------------------------------------------------------------------------------------------------------


def _tickets_named(request, text: str) -> list:
    """Ticket ids from a list of ticket numbers or ids (comma or space separated), within the caller's scope."""
    ids = []
    for token in text.replace(",", " ").split():
        found = restrict(Ticket.objects.all(), request)
        found = found.filter(pk=token) if is_uuid(token) else found.filter(ticket_number__iexact=token)
        ticket = found.first()
        if ticket is None:
            raise ApiValidationError({"child_ticket_ids": [f"No ticket '{token[:40]}'."]})
        ids.append(ticket.pk)
    if not ids:
        raise ApiValidationError({"child_ticket_ids": ["Give at least one ticket number."]})
    return ids


@require_POST
@require_nodes("ticket.update")
def bundle_change(request, pk):
    """Bundle with…, add, remove, promote, settings and unbundle, from the ticket page."""
    ticket = _ticket(request, pk)
    action = request.POST.get("action")
    target = ticket
    try:
        if action == "create":
            mode = request.POST.get("mode") or "sync_updates"
            if mode not in ("sync_updates", "link_only"):
                raise ApiValidationError({"mode": ["Choose sync_updates or link_only."]})
            bundles.create(request, ticket, _tickets_named(request, request.POST.get("tickets", "")), mode)
        elif action == "add":
            bundles.add_children(request, ticket, _tickets_named(request, request.POST.get("tickets", "")))
        elif action == "join":  # bundle this ticket under another one, as a child
            (master_id,) = _tickets_named(request, request.POST.get("master", ""))[:1]
            target = _ticket(request, master_id)
            if bundles.bundle_of(target) is not None and bundles.bundle_of(target).master_id == target.pk:
                bundles.add_children(request, target, [ticket.pk])
            else:
                bundles.create(request, target, [ticket.pk], request.POST.get("mode") or "sync_updates")
        elif action == "remove":
            bundles.remove_child(request, ticket, request.POST.get("child_id"))
        elif action == "promote":
            target = bundles.promote(request, ticket, request.POST.get("child_id")).master
        elif action == "settings":
            values = {
                "mode": request.POST.get("mode") or "sync_updates",
                "reopen_on_child_reply": request.POST.get("reopen_on_child_reply") == "on",
            }
            if values["mode"] not in ("sync_updates", "link_only"):
                raise ApiValidationError({"mode": ["Choose sync_updates or link_only."]})
            bundles.update_settings(request, ticket, values)
        elif action == "dissolve":
            bundles.dissolve(request, ticket)
        else:
            raise ApiValidationError({"action": ["Unknown action."]})
    except APIException as exc:
        _report(request, exc)
    except Http404:
        messages.error(request, "That ticket is not in this bundle.")
    else:
        messages.success(request, "Bundle saved.")
    return HttpResponseRedirect(_ticket_url(target, "#bundle"))


# ---- asset links -----------------------------------------------------------------------------------------------------


@require_POST
@require_nodes("ticket.read", "asset.read")
def asset_link_change(request, pk):
    """Link or unlink an asset; from the ticket page (ticket.update) or the asset page (side=asset, asset.update)."""
    side = "asset" if request.POST.get("side") == "asset" else "ticket"
    deny_unless(request, f"{side}.update")
    ticket = _ticket(request, pk)
    raw = request.POST.get("asset_id", "")
    asset = restrict(Asset.objects.all(), request).filter(pk=raw).first() if is_uuid(raw) else None
    fallback = (
        reverse("assets:asset_detail", args=[asset.pk]) + "#tickets"
        if side == "asset" and asset
        else _ticket_url(ticket)
    )
    try:
        if asset is None:
            raise ApiValidationError({"asset_id": ["Choose an asset of this ticket's client."]})
        if request.POST.get("action") == "unlink":
            link = get_object_or_404(TicketAssetLink.objects.filter(ticket=ticket, asset=asset))
            asset_links.unlink(request, link)
            messages.success(request, f"Unlinked {asset.name}.")
        else:
            relationship = (request.POST.get("relationship_type") or "affected").strip()[:50] or "affected"
            notes = request.POST.get("notes", "")[:5000]
            asset_links.link(request, ticket, asset, relationship_type=relationship, notes=notes, field="asset_id")
            messages.success(request, f"Linked {asset.name}.")
    except APIException as exc:
        _report(request, exc)
    return _back(request, fallback + ("" if side == "asset" else "#assets"))
