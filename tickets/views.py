"""The technician UI for tickets: list (filters in the URL, sorting, paging, bulk actions), ticket page, new ticket.

The pages use the same filterset, permission nodes, client scope, validation (the API serializers) and write path
(:mod:`tickets.services`) as the API. Inline edits on the ticket page call the API with the session and CSRF token;
every edit also works as a plain form post without JavaScript.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError as ApiValidationError

from accounts.models import User
from clients.models import Client
from psa import gating
from psa.access import client_scope, has_node, restrict
from psa.views import paginate, query_without_page, require_nodes
from tickets import services
from tickets.api.serializers import TicketSerializer, can_see_client
from tickets.filtersets import TicketFilterSet
from tickets.forms import CommentForm, TicketCreateForm
from tickets.list_counts import ticket_list_count
from tickets.models import Board, Category, Comment, Priority, Status, Tag, Ticket
from tickets.stats import counted_ticket_stats

DEFAULT_LIST_QUERY = "assigned_to=me&is_open=true"
SORTS = {
    "entered_at": "entered_at",
    "updated_at": "updated_at",
    "ticket_number": "number_sequence",
    "priority_name": "priority__order",
    "status_name": "status__name",
    "client_name": "client__name",
    "due_date": "due_date",
}
PER_PAGE = 50


def _ordered(queryset, request):
    from django.db.models import F

    sort = request.GET.get("sort", "entered_at")
    sort = sort if sort in SORTS else "entered_at"
    descending = request.GET.get("order", "desc") != "asc"
    expression = F(SORTS[sort]).desc(nulls_last=True) if descending else F(SORTS[sort]).asc(nulls_last=True)
    return queryset.order_by(expression, "-pk" if descending else "pk"), sort, "desc" if descending else "asc"


def dashboard_counts(request) -> dict | None:
    """My open, unassigned and overdue counts from the stats, for the dashboard (``None`` without ticket.read)."""
    if not has_node(request, "ticket.read"):
        return None
    tickets = restrict(Ticket.objects.all(), request)
    stats = counted_ticket_stats(client_scope(request))  # the caller's whole scope: the maintained counts
    mine = tickets.filter(assigned_to=request.user, is_closed=False).count()
    return {"my_open": mine, "unassigned": stats["unassigned_tickets"], "overdue": stats["overdue_tickets"], **stats}


@require_nodes("ticket.read")
def ticket_list(request):
    if not request.GET:
        # Opens on "my open tickets", with the filters in the URL so they can be changed, shared and bookmarked.
        return HttpResponseRedirect(f"{reverse('tickets:ticket_list')}?{DEFAULT_LIST_QUERY}")
    base = restrict(Ticket.objects.select_related("client", "status", "priority", "assigned_to", "board"), request)
    filterset = TicketFilterSet(request.GET, queryset=base, request=request)
    tickets = filterset.qs if filterset.is_valid() else base.none()
    tickets, sort, order = _ordered(tickets, request)
    # The API list's own filters, so its count source gives the total from the group counts where they decide it.
    page = paginate(request, tickets.defer("description"), per_page=PER_PAGE, count_source=ticket_list_count)
    sort_params = request.GET.copy()
    for key in ("sort", "order", "page"):
        sort_params.pop(key, None)
    context = {
        "section": "tickets",
        "filter": filterset,
        "page": page,
        "query": query_without_page(request),
        "sort": sort,
        "order": order,
        "sort_query": sort_params.urlencode(),
        "boards": Board.objects.filter(is_active=True),
        "statuses": Status.objects.select_related("board").filter(board__is_active=True),
        "priorities": Priority.objects.all(),
        "users": User.objects.filter(is_active=True).order_by("name", "login"),
        "clients": restrict(Client.objects.filter(archived_at__isnull=True), request).only("id", "name"),
        "tags": Tag.objects.all(),
        "can_update": has_node(request, "ticket.update"),
        "can_create": has_node(request, "ticket.create"),
        "counts": dashboard_counts(request),
        "columns": [
            ("ticket_number", "Number"),
            (None, "Title"),
            ("client_name", "Client"),
            ("status_name", "Status"),
            ("priority_name", "Priority"),
            (None, "Assignee"),
            ("due_date", "Due"),
            ("updated_at", "Updated"),
        ],
    }
    return render(request, "tickets/ticket_list.html", context)


def _back_to_list(request) -> HttpResponseRedirect:
    target = request.POST.get("next") or reverse("tickets:ticket_list")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("tickets:ticket_list")
    return HttpResponseRedirect(target)


@require_POST
@require_nodes("ticket.update")
def bulk_update(request):
    ids = request.POST.getlist("ticket")
    tickets = list(restrict(Ticket.objects.select_related("board", "client"), request).filter(pk__in=ids[:200]))
    action = request.POST.get("action")
    if not tickets:
        messages.warning(request, "Select at least one ticket.")
        return _back_to_list(request)
    changed, skipped = 0, 0
    if action == "status":
        status = Status.objects.filter(pk=request.POST.get("status_id") or None).first()
        if status is None:
            messages.error(request, "Choose a status.")
            return _back_to_list(request)
        for ticket in tickets:
            if ticket.board_id != status.board_id:
                skipped += 1
                continue
            try:
                with transaction.atomic():
                    services.change_status(request, ticket, status)
            except ApiValidationError:  # a bundled child follows its master
                skipped += 1
                continue
            changed += 1
        note = f" {skipped} on another board or bundled under a master kept their status." if skipped else ""
        messages.success(request, f"Status set to {status.name} on {changed} ticket(s).{note}")
    elif action == "assign":
        raw = request.POST.get("assigned_to") or ""
        user = None
        if raw:
            user = User.objects.filter(pk=raw, is_active=True).first() if _is_uuid(raw) else None
            if user is None:
                messages.error(request, "Choose a user.")
                return _back_to_list(request)
        for ticket in tickets:
            if user is not None and not can_see_client(user, ticket.client):
                skipped += 1
                continue
            try:
                with transaction.atomic():
                    services.assign(request, ticket, user)
            except ApiValidationError:  # a bundled child follows its master
                skipped += 1
                continue
            changed += 1
        who = str(user) if user else "nobody"
        note = f" {skipped} bundled, or of clients {who} cannot see, were left alone." if skipped else ""
        messages.success(request, f"Assigned {changed} ticket(s) to {who}.{note}")
    elif action == "bundle":
        return _bulk_bundle(request, tickets)
    else:
        messages.error(request, "Choose an action.")
    return _back_to_list(request)


def _bulk_bundle(request, tickets: list[Ticket]) -> HttpResponseRedirect:
    """Bundle the selection under its oldest ticket (the lowest number), which becomes the master."""
    from rest_framework.exceptions import APIException

    from tickets import bundles
    from tickets.page_views import _report

    if len(tickets) < 2:
        messages.error(request, "Select at least two tickets to bundle.")
        return _back_to_list(request)
    master, *children = sorted(tickets, key=lambda t: t.number_sequence)
    mode = request.POST.get("bundle_mode") or "sync_updates"
    try:
        if mode not in ("sync_updates", "link_only"):
            raise ApiValidationError({"bundle_mode": ["Choose sync_updates or link_only."]})
        bundles.create(request, master, [t.pk for t in children], mode)
    except APIException as exc:
        _report(request, exc)
        return _back_to_list(request)
    messages.success(request, f"Bundled {len(children)} ticket(s) under {master.ticket_number}.")
    return redirect("tickets:ticket_detail", pk=master.pk)


def _is_uuid(value: str) -> bool:
    from psa.utils import is_uuid

    return is_uuid(value)


def _api_errors_to_form(form, exc: ApiValidationError) -> None:
    detail = exc.detail if isinstance(exc.detail, dict) else {"__all__": exc.detail}
    for name, errors in detail.items():
        field = name if name in form.fields else None
        for error in errors if isinstance(errors, list) else [errors]:
            form.add_error(field, str(error) if not isinstance(error, dict) else "; ".join(map(str, error.values())))


def _asset_for_new_ticket(request):
    """The asset of "New ticket for this asset" (``?asset_id=``, or the form's hidden field), if the caller may see it."""
    from assets.models import Asset

    raw = request.POST.get("asset_id") or request.GET.get("asset_id") or ""
    if not raw or not _is_uuid(raw) or not has_node(request, "asset.read"):
        return None
    return restrict(Asset.objects.select_related("client"), request).filter(pk=raw).first()


@require_nodes("ticket.create")
def ticket_create(request):
    from tickets import asset_links

    asset = _asset_for_new_ticket(request)
    initial = {}
    for name in ("client_id", "contact_id"):
        if request.GET.get(name) and _is_uuid(request.GET[name]):
            initial[name] = request.GET[name]
    if asset is not None:
        prefill = asset_links.prefill(asset)
        initial.update({k: v for k, v in prefill.items() if v and k in ("client_id", "contact_id", "title")})
    form = TicketCreateForm(request.POST or None, request=request, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.api_data()
        if asset is not None and asset.location_id and str(asset.client_id) == data.get("client_id"):
            data.setdefault("location_id", str(asset.location_id))
        serializer = TicketSerializer(data=data, context={"request": request})
        try:
            serializer.is_valid(raise_exception=True)
            if asset is not None:
                ticket = asset_links.create_from_asset(
                    request, asset, serializer.validated_data, source=Ticket.Source.WEB, relationship_type="affected"
                )
            else:
                ticket = services.create_ticket(request, serializer.validated_data, source=Ticket.Source.WEB)
        except ApiValidationError as exc:
            _api_errors_to_form(form, exc)
        else:
            messages.success(request, f"Ticket {ticket.ticket_number} created.")
            return redirect("tickets:ticket_detail", pk=ticket.pk)
    context = {
        "section": "tickets",
        "form": form,
        "asset": asset,
        "statuses": Status.objects.select_related("board").filter(board__is_active=True),
        "categories": Category.objects.filter(board__is_active=True),
    }
    # Like every other form: a submission with errors is a 400, the page re-rendered with the problems.
    status = 400 if request.method == "POST" and form.errors else 200
    return render(request, "tickets/ticket_form.html", context, status=status)


def _ticket_for(request, pk) -> Ticket:
    queryset = Ticket.objects.select_related(
        "client", "contact", "location", "board", "status", "priority", "category", "subcategory",
        "assigned_to", "entered_by", "updated_by", "closed_by",
    )  # fmt: skip
    return get_object_or_404(restrict(queryset, request), pk=pk)


def _gated_history(request, ticket: Ticket) -> list:
    """The ticket's history; rows about a field the caller may not see say only that it changed."""
    rows = list(ticket.changes.order_by("-created_at", "-id")[:100])
    for row in rows:
        row.values_hidden = not gating.value_visible(request, Ticket, row.field)
        if row.values_hidden:
            row.old_display = row.new_display = ""
    return rows


def _latest_comments(request, comments) -> tuple[list[Comment], int]:
    """The thread's latest ``PSA_TICKET_PAGE_COMMENTS`` comments, oldest first, and how many earlier ones are left out
    (all of them with ``?comments=all``), so the page's server time does not grow with the thread."""
    if request.GET.get("comments") == "all":
        return list(comments.order_by("created_at", "id")), 0
    limit = settings.TICKET_PAGE_COMMENTS
    latest = list(comments.order_by("-created_at", "-id")[: limit + 1])
    if len(latest) <= limit:
        return latest[::-1], 0
    return latest[:limit][::-1], comments.count() - limit


@require_nodes("ticket.read")
def ticket_detail(request, pk):
    ticket = _ticket_for(request, pk)
    comments = Comment.objects.filter(ticket=ticket).select_related("author_user", "author_contact")
    can_internal = has_node(request, "ticket.comment.internal")
    if not can_internal:
        comments = comments.filter(is_internal=False)
    comments, older_comments = _latest_comments(request, comments.prefetch_related("reactions"))
    comment_form = CommentForm(initial={"is_internal": "true" if can_internal else "false"})
    if not can_internal:
        comment_form.fields["is_internal"].choices = [("false", "Public reply")]
        comment_form.initial["is_internal"] = "false"
    context = {
        "section": "tickets",
        "ticket": ticket,
        "comments": comments,
        "older_comments": older_comments,
        "comment_form": comment_form,
        "history": _gated_history(request, ticket),
        "statuses": Status.objects.filter(board=ticket.board),
        "priorities": Priority.objects.all(),
        "users": User.objects.filter(is_active=True).order_by("name", "login"),
        "tags": ticket.tags.all(),
        "agents": ticket.agents.select_related("user"),
        "watchers": ticket.watchers.select_related("user"),
        "can_update": has_node(request, "ticket.update"),
        "can_comment": has_node(request, "ticket.comment.create"),
        "can_react": has_node(request, "ticket.comment.react"),
        "can_internal": can_internal,
    }
    from tickets.page_views import ticket_page_context

    context.update(ticket_page_context(request, ticket))
    return render(request, "tickets/ticket_detail.html", context)


@require_POST
@require_nodes("ticket.update")
def ticket_update(request, pk):
    """The no-JavaScript path of the inline edits: one form per field posts here."""
    ticket = _ticket_for(request, pk)
    data = {}
    for name in ("status_id", "priority_id", "assigned_to", "due_date"):
        if name in request.POST:
            value = request.POST[name].strip()
            data[name] = value or None
    if "status_id" in data and data["status_id"] is None:
        data.pop("status_id")
    if "priority_id" in data and data["priority_id"] is None:
        data.pop("priority_id")
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        serializer = TicketSerializer(ticket, data=data, partial=True, context={"request": request})
        if serializer.is_valid():
            try:
                services.update_ticket(request, ticket, serializer.validated_data)
            except ApiValidationError as exc:  # e.g. a bundled child's locked workflow fields
                for detail in exc.detail.values() if isinstance(exc.detail, dict) else [exc.detail]:
                    messages.error(request, " ".join(str(e) for e in detail))
            else:
                messages.success(request, "Ticket updated.")
        else:
            for name, errors in serializer.errors.items():
                messages.error(request, f"{name}: {' '.join(str(e) for e in errors)}")
    return redirect("tickets:ticket_detail", pk=ticket.pk)


@require_POST
@require_nodes("ticket.comment.create")
def comment_create(request, pk):
    ticket = _ticket_for(request, pk)
    form = CommentForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("tickets:ticket_detail", pk=ticket.pk)
    internal = form.cleaned_data["is_internal"]
    if internal and not has_node(request, "ticket.comment.internal"):
        raise PermissionDenied("Internal notes need the permission ticket.comment.internal.")
    services.add_comment(request, ticket, form.cleaned_data["comment_text"], is_internal=internal)
    messages.success(request, "Internal note added." if internal else "Public reply added.")
    return HttpResponseRedirect(reverse("tickets:ticket_detail", args=[ticket.pk]) + "#comments")
