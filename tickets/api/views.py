"""Ticket API: the mobile contract of seed 001 and the ticket sub-resources of seed 002, under ``/api/v1``."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django_filters.constants import EMPTY_VALUES
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from psa.access import client_scope, has_node, restrict
from psa.api import lean
from psa.api.exceptions import EnvelopedResponse
from psa.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, EnvelopePagination, _positive_int
from psa.api.query_params import filterset_parameters
from psa.api.viewsets import UUID_REGEX, PsaModelViewSet
from psa.search import lookup
from psa.utils import is_uuid
from tickets import search as ticket_search
from tickets import services
from tickets.api import comment_serializers, config_serializers, list_rows
from tickets.api import serializers as s
from tickets.filtersets import (
    BoardFilterSet,
    CategoryFilterSet,
    PriorityFilterSet,
    StatusFilterSet,
    TagFilterSet,
    TicketFilterSet,
)
from tickets.list_counts import ticket_list_count
from tickets.models import Board, Category, Comment, Priority, Status, Tag, Ticket, TicketChange, TicketWatcher
from tickets.stats import counted_ticket_stats, ticket_stats

ALL_FIELDS = tuple(f for f in s.TicketSerializer.Meta.fields if f not in s.SUPPRESS_FLAGS)  # flags are write-only
LIST_DEFAULT_FIELDS = tuple(f for f in ALL_FIELDS if f not in s.DETAIL_ONLY_FIELDS)

# Which relations each output field reads, so a sparse field set joins only what it needs.
FIELD_RELATIONS = {
    "client_name": "client",
    "contact_name": "contact",
    "contact_email": "contact",
    "contact_phone": "contact",
    "client_email": "client",
    "client_phone": "client",
    "location_name": "location",
    "board_name": "board",
    "status_name": "status",
    "status_is_closed": "status",
    "priority_name": "priority",
    "category_name": "category",
    "subcategory_name": "subcategory",
    "assigned_to_name": "assigned_to",
    "entered_by_name": "entered_by",
    "updated_by_name": "updated_by",
    "closed_by_name": "closed_by",
}
_WATCHERS = Prefetch("watchers", queryset=TicketWatcher.objects.select_related("user"))
FIELD_PREFETCHES = {
    "tags": ("tags",),
    "watchers": (_WATCHERS,),
    "attributes": (_WATCHERS,),
    "additional_agents": ("agents__user",),
}

FIELDS_PARAMETER = OpenApiParameter(
    "fields",
    OpenApiTypes.STR,
    description=(
        "Comma-separated output fields. `mobile_list` stands for exactly: " + ", ".join(s.MOBILE_LIST_FIELDS) + ". "
        "`tags` alone adds `tags: [{tag_id, tag_text, background_color, text_color}]` to the default fields. "
        "Unknown fields are a 400. Allowed: " + ", ".join(ALL_FIELDS) + "."
    ),
    # What requested_fields() accepts: known names separated by commas, blanks and empty items ignored.
    pattern=r"^(\s*,)*\s*({names})\s*(,\s*(({names})\s*)?)*$".replace(
        "{names}", "|".join(("mobile_list", *ALL_FIELDS))
    ),
)
COMMENT_ID = OpenApiParameter("comment_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
USER_ID = OpenApiParameter("agent_user_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
ORDER = OpenApiParameter("order", OpenApiTypes.STR, enum=["asc", "desc"])


def requested_fields(request, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = request.query_params.get("fields")
    if raw is None:
        return default
    names = [name.strip() for name in raw.split(",") if name.strip()]
    if not names:
        raise ValidationError({"fields": ["Give at least one field, or leave the parameter out."]})
    expanded: list[str] = []
    for name in names:
        expanded.extend(s.MOBILE_LIST_FIELDS if name == "mobile_list" else [name])
    unknown = sorted({name for name in expanded if name not in ALL_FIELDS})
    if unknown:
        raise ValidationError({"fields": [f"Unknown fields requested: {', '.join(unknown)}."]})
    if set(expanded) == {"tags"}:
        expanded = [*default, "tags"]
    return tuple(dict.fromkeys(expanded))


# Required relations are never joined: an INNER JOIN lets SQLite's planner start from the small table and sort every
# ticket, where the plain query walks the sort index and stops at the page. The client is fetched in one extra query;
# boards, statuses and priorities come from the reference cache (psa.references). Nullable relations are LEFT JOINs,
# which keep the ticket table first, so they stay joined.
PREFETCHED_RELATIONS = frozenset({"client"})
REFERENCE_RELATIONS = frozenset({"board", "status", "priority"})


def optimise(queryset, fields: tuple[str, ...]):
    relations = {FIELD_RELATIONS[f] for f in fields if f in FIELD_RELATIONS}
    joined = sorted(relations - PREFETCHED_RELATIONS - REFERENCE_RELATIONS)
    queryset = queryset.select_related(*joined) if joined else queryset
    referenced = sorted(relations & REFERENCE_RELATIONS)
    if referenced:
        queryset = queryset.with_references(*referenced)
    prefetches = {name: name for name in sorted(relations & PREFETCHED_RELATIONS)}
    for field in fields:
        for item in FIELD_PREFETCHES.get(field, ()):
            prefetches[getattr(item, "prefetch_to", item)] = item
    if prefetches:
        queryset = queryset.prefetch_related(*prefetches.values())
    deferred = [] if {"description", "description_html", "attributes"} & set(fields) else ["description"]
    if "description_html" not in fields:
        deferred.append("description_html")
    return queryset.defer(*deferred)


# The columns each output field reads (a column, a relation for its id, or ``relation__column``), for the list's
# column fetch (psa.api.lean.column_page): a page of tuples of these instead of whole rows of tickets, contacts, users
# and clients. A field missing here (method fields, watchers, agents, attributes) keeps the model fetch.
_USER_NAME = ("name", "login")  # str(user)
FIELD_COLUMNS = {
    "id": ("id",), "ticket_id": ("id",), "ticket_number": ("ticket_number",), "title": ("title",),
    "description": ("description",),
    "client_id": ("client",), "client_name": ("client__name",),
    "contact_id": ("contact",), "contact_name_id": ("contact",),
    "contact_name": ("contact__first_name", "contact__last_name"),  # str(contact)
    "location_id": ("location",), "location_name": ("location__name",),
    "board_id": ("board",), "board_name": ("board__name",),
    "status_id": ("status",), "status_name": ("status__name",), "status_is_closed": ("status__is_closed",),
    "is_closed": ("is_closed",),
    "priority_id": ("priority",), "priority_name": ("priority__name",),
    "category_id": ("category",), "category_name": ("category__name",),
    "subcategory_id": ("subcategory",), "subcategory_name": ("subcategory__name",),
    "assigned_to": ("assigned_to",), "assigned_to_name": tuple(f"assigned_to__{c}" for c in _USER_NAME),
    "tags": ("tags__text", "tags__background_color", "tags__text_color"),
    "due_date": ("due_date",), "is_overdue": ("is_closed", "due_date"), "source": ("source",),
    "entered_by": ("entered_by",), "entered_by_name": tuple(f"entered_by__{c}" for c in _USER_NAME),
    "updated_by": ("updated_by",), "updated_by_name": tuple(f"updated_by__{c}" for c in _USER_NAME),
    "closed_by": ("closed_by",), "closed_by_name": tuple(f"closed_by__{c}" for c in _USER_NAME),
    "entered_at": ("entered_at",), "updated_at": ("updated_at",), "closed_at": ("closed_at",),
}  # fmt: skip


# The detail's columns for the lean retrieve (psa.api.lean_retrieve): the list's, and what the detail's method
# fields, watchers and agents read (their rows in one query each, with their users' columns).
_PERSON = ("email", "name", "login")  # the e-mail and str(user)
DETAIL_COLUMNS = {
    **FIELD_COLUMNS,
    "description_html": ("description", "description_html"),
    "attributes": ("attributes", "description", "due_date", "watchers__user"),
    "client_email": ("client__email",), "client_phone": ("client__phone",), "client_logo_url": (),
    "contact_email": ("contact", "contact__email"), "contact_phone": ("contact", "contact__phone", "contact__mobile"),
    "contact_avatar_url": (),
    "watchers": ("watchers__user", "watchers__email", "watchers__name", "watchers__created_at",
                 *(f"watchers__user__{c}" for c in _PERSON)),
    "additional_agents": ("agents__user", "agents__role", "agents__created_at",
                          *(f"agents__user__{c}" for c in _PERSON)),
}  # fmt: skip


def valid_filters(request, queryset) -> TicketFilterSet:
    """The list filters bound to ``queryset`` and validated; a bad value is a 400 naming the parameter."""
    filterset = TicketFilterSet(request.query_params, queryset=queryset, request=request)
    if not filterset.is_valid():
        raise translate_validation(filterset.errors)
    return filterset


def check_filters(request, queryset):
    """The list filters applied to ``queryset``."""
    return valid_filters(request, queryset).qs


class CommentPagination(EnvelopePagination):
    """Without ``page`` and ``limit``, the whole thread (up to ``PSA_MAX_THREAD_COMMENTS``), as the mobile app pages
    comments on the device; with either, ordinary pages of at most 100."""

    def paginate_queryset(self, queryset, request, view=None):
        whole = "page" not in request.query_params and "limit" not in request.query_params
        self.page = _positive_int(request, "page", 1)
        self.limit = (
            settings.MAX_THREAD_COMMENTS if whole else _positive_int(request, "limit", DEFAULT_LIMIT, MAX_LIMIT)
        )
        self.total = queryset.count()
        self.meta = {}
        offset = (self.page - 1) * self.limit
        return [] if offset >= self.total else list(queryset[offset : offset + self.limit])

    def get_paginated_response_schema(self, schema):
        envelope = super().get_paginated_response_schema(schema)
        envelope["properties"]["pagination"]["properties"]["limit"].pop("maximum")  # a whole thread is one page
        return envelope


def _order(request, default: str) -> str:
    order = request.query_params.get("order", default)
    if order not in ("asc", "desc"):
        raise ValidationError({"order": ["Must be 'asc' or 'desc'."]})
    return order


def _source_of(request) -> str:
    key = getattr(request, "auth", None)
    if key is None:
        return Ticket.Source.WEB
    if getattr(key, "purpose", None) == "mobile_session":
        return Ticket.Source.MOBILE
    return Ticket.Source.API


@extend_schema_view(
    list=extend_schema(summary="List tickets", parameters=[FIELDS_PARAMETER]),
    retrieve=extend_schema(summary="Get a ticket", parameters=[FIELDS_PARAMETER]),
    create=extend_schema(summary="Create a ticket", responses={201: s.TicketSerializer}),
    update=extend_schema(summary="Update a ticket (only the fields sent change)"),
    partial_update=extend_schema(summary="Update a ticket (only the fields sent change)"),
    destroy=extend_schema(summary="Delete a ticket"),
)
class TicketViewSet(PsaModelViewSet):
    queryset = Ticket.objects.all()
    serializer_class = s.TicketSerializer
    filterset_class = TicketFilterSet
    list_count_source = ticket_list_count  # the total from the group counts when the filters allow (COUNT(*) else)
    node_prefix = "ticket"
    action_nodes = {
        "stats": ["ticket.read"],
        "search": ["ticket.read"],
        "statuses": ["ticket.read"],
        "priorities": ["ticket.read"],
        "set_status": ["ticket.update"],
        "set_assignment": ["ticket.update"],
        "agents": ["ticket.read"],
        "add_agent": ["ticket.update"],
        "remove_agent": ["ticket.update"],
        "agent_detail": ["ticket.update"],
        "watchers": ["ticket.read"],
        "add_watcher": ["ticket.update"],
        "remove_watcher": ["ticket.update"],
        "comments": ["ticket.read"],
        "add_comment": ["ticket.comment.create"],
        "comment_detail": ["ticket.comment.update"],
        "comment_reactions": ["ticket.comment.react"],
        "history": ["ticket.read"],
    }
    sort_fields = {
        "entered_at": "entered_at",
        "updated_at": "updated_at",
        "priority_name": "priority__order",
        "status_name": "status__name",
        "client_name": "client__name",
        "ticket_number": "number_sequence",
        "due_date": "due_date",
    }
    default_sort = "-entered_at"
    retrieve_columns = DETAIL_COLUMNS
    list_columns = FIELD_COLUMNS
    list_values = list_rows.LIST_VALUES  # the fields psa.api.lean_rows cannot derive from the serializer

    # ---- helpers -----------------------------------------------------------------------------------------

    def output_fields(self) -> tuple[str, ...]:
        cached = getattr(self, "_output_fields", None)
        if cached is None:
            default = LIST_DEFAULT_FIELDS if self.action == "list" else ALL_FIELDS
            cached = self._output_fields = requested_fields(self.request, default)
        return cached

    def retrieve_fields(self) -> tuple[str, ...]:
        return self.output_fields()

    def list_fields(self) -> tuple[str, ...]:
        return self.output_fields()

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve" or (self.action == "list" and lean.declared_columns(self) is None):
            queryset = optimise(queryset, self.output_fields())  # a column fetch joins and reads on its own
        return queryset

    def get_serializer(self, *args, **kwargs):
        if self.action in ("list", "retrieve"):
            kwargs.setdefault("fields", self.output_fields())
        return super().get_serializer(*args, **kwargs)

    def get_list_meta(self, queryset):
        if self.action != "list":
            return {}
        params = self.request.query_params
        filters = {name: params.get(name) for name in TicketFilterSet.base_filters if name in params}
        return {
            "sort": params.get("sort", "entered_at"),
            "order": params.get("order", "desc"),
            "filters": filters,
            "fields": list(self.output_fields()),
        }

    def _ticket(self, *, lock: bool = False) -> Ticket:
        """The ticket of the URL within the caller's scope (404 otherwise), without applying list filters."""
        queryset = restrict(Ticket.objects.all(), self.request)
        if lock:
            queryset = queryset.select_for_update(of=("self",))
        return get_object_or_404(queryset, pk=self.kwargs["pk"])

    def _detail(self, ticket_id) -> dict:
        ticket = optimise(Ticket.objects.filter(pk=ticket_id), ALL_FIELDS).get()
        return s.TicketSerializer(ticket, context=self.get_serializer_context()).data

    def _comments(self, ticket: Ticket):
        comments = Comment.objects.filter(ticket=ticket).select_related("author_user", "author_contact")
        if not has_node(self.request, "ticket.comment.internal"):
            comments = comments.filter(is_internal=False)
        return comments

    # ---- CRUD --------------------------------------------------------------------------------------------

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        quiet = s.suppressed(serializer.validated_data)
        ticket = services.create_ticket(request, serializer.validated_data, source=_source_of(request), suppress=quiet)
        return Response(self._detail(ticket.pk), status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        with transaction.atomic():
            ticket = self._ticket(lock=True)
            serializer = self.get_serializer(ticket, data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            quiet = s.suppressed(serializer.validated_data)
            services.update_ticket(request, ticket, serializer.validated_data, suppress=quiet)
        return Response(self._detail(ticket.pk))

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        services.delete_ticket(request, self._ticket())
        return Response(status=status.HTTP_204_NO_CONTENT)

    # ---- aggregates and lookups ----------------------------------------------------------------------------

    @extend_schema(
        summary="Ticket counts for a dashboard",
        description="Counts over the tickets the caller may see, narrowed by the same filter parameters as "
        "GET /tickets (is_open, assigned_to, board_id, tags, updated_from, ...). Without a filter they come from "
        "counts kept up to date on every write; with one, from SQL aggregates over the matching tickets.",
        parameters=filterset_parameters(TicketFilterSet),
        responses=config_serializers.TicketStatsSerializer,
    )
    @action(detail=False, methods=["get"], filterset_class=None)
    def stats(self, request):
        filterset = valid_filters(request, restrict(Ticket.objects.all(), request))
        if any(value not in EMPTY_VALUES for value in filterset.form.cleaned_data.values()):
            return Response(ticket_stats(filterset.qs))
        # No filter: the caller's whole scope, which the maintained group counts answer (the same figures).
        return Response(counted_ticket_stats(client_scope(request)))

    @extend_schema(
        summary="Search tickets",
        description=ticket_search.__doc__,
        parameters=[
            OpenApiParameter(
                "query",
                # At least one word or number (psa.search.text), at most 200 characters.
                {"type": "string", "pattern": r"\w", "maxLength": 200},
                description="Words to find, all of them; without it the newest tickets",
            ),
            OpenApiParameter("include_closed", OpenApiTypes.BOOL, description="Also closed tickets (default false)"),
            OpenApiParameter("limit", OpenApiTypes.INT, description="1 to 100, default 25"),
            *[p for p in filterset_parameters(TicketFilterSet) if p.name != "search"],
        ],
        responses=s.TicketSerializer(many=True),
    )
    # One ranked page, no sort or paging: those parameters are neither documented nor accepted here.
    @action(detail=False, methods=["get"], filterset_class=None, filter_backends=[], pagination_class=None)
    def search(self, request):
        query = request.query_params.get("query")
        parsed = None
        if query is not None:
            query = query.strip()
            if len(query) > 200:
                raise ValidationError({"query": ["At most 200 characters."]})
            parsed = ticket_search.parse(query)
            if parsed is None:
                raise ValidationError({"query": ["Give at least one word or number to search for."]})
        include_closed = request.query_params.get("include_closed", "false").strip().lower()
        if include_closed not in ("true", "false"):
            raise ValidationError({"include_closed": ["Use true or false."]})
        limit = _positive_int(request, "limit", DEFAULT_LIMIT, MAX_LIMIT)
        tickets = check_filters(request, restrict(Ticket.objects.all(), request))
        if parsed is None:  # no words: the newest tickets, as a starting point for a search box
            if include_closed == "false":
                tickets = tickets.filter(is_closed=False)
            rows = list(optimise(tickets.order_by("-entered_at", "-pk"), LIST_DEFAULT_FIELDS)[:limit])
            ranks = [0.0] * len(rows)
        else:
            filtered = any(name in request.query_params for name in TicketFilterSet.base_filters)
            found = ticket_search.find(
                request, parsed, limit, open_only=include_closed == "false", within=tickets if filtered else None
            )
            page = optimise(Ticket.objects.filter(pk__in=[i for i, _ in found]), LIST_DEFAULT_FIELDS)
            # A page of found ids: the client joined by key (the list prefetches it to keep its scan's plan).
            page = page.prefetch_related(None).select_related("client")
            by_id = {row.pk: row for row in lookup.fetch_found(page)}
            rows = [by_id[i] for i, _ in found if i in by_id]
            ranks = [rank for i, rank in found if i in by_id]
        options = {"fields": LIST_DEFAULT_FIELDS, "context": self.get_serializer_context()}
        data = lean.lean_data(self, rows, options)  # the list's own plan (psa.api.lean): the same dicts, faster
        if data is None:
            data = s.TicketSerializer(rows, many=True, **options).data
        for item, rank in zip(data, ranks, strict=True):
            item["rank"] = rank
        meta = {
            "query": query,
            "include_closed": include_closed == "true",
            "limit": limit,
            "count": len(rows),
            "mode": "full_text",
        }
        return EnvelopedResponse({"data": data, "meta": meta})

    @extend_schema(
        summary="Ticket statuses (all boards, or one)",
        parameters=[OpenApiParameter("board_id", OpenApiTypes.UUID)],
        responses=config_serializers.StatusSerializer(many=True),
    )
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)  # a plain list
    def statuses(self, request):
        statuses = Status.objects.select_related("board").filter(board__is_active=True)
        board_id = request.query_params.get("board_id")
        if board_id is not None:
            if not is_uuid(board_id):
                raise ValidationError({"board_id": ["Give a board id."]})
            statuses = Status.objects.select_related("board").filter(board_id=board_id)
        data = config_serializers.StatusSerializer(statuses, many=True, context=self.get_serializer_context()).data
        return Response(data)

    @extend_schema(summary="Ticket priorities", responses=config_serializers.PrioritySerializer(many=True))
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)  # a plain list
    def priorities(self, request):
        data = config_serializers.PrioritySerializer(
            Priority.objects.all(), many=True, context=self.get_serializer_context()
        ).data
        return Response(data)

    # ---- status and assignment -------------------------------------------------------------------------------

    @extend_schema(
        summary="Change a ticket's status (closing stamps closed_at/closed_by; reopening clears them)",
        request=s.StatusChangeSerializer,
        responses=s.TicketSerializer,
    )
    @action(detail=True, methods=["put"], url_path="status", filterset_class=None)
    def set_status(self, request, pk=None):
        with transaction.atomic():
            ticket = self._ticket(lock=True)
            body = s.StatusChangeSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            quiet = s.suppressed(body.validated_data)
            services.change_status(request, ticket, body.validated_data["status_id"], suppress=quiet)
        return Response(self._detail(ticket.pk))

    @extend_schema(
        summary="Assign a ticket to a user, or unassign it with null",
        request=s.AssignmentSerializer,
        responses=s.TicketSerializer,
    )
    @action(detail=True, methods=["put"], url_path="assignment", filterset_class=None)
    def set_assignment(self, request, pk=None):
        with transaction.atomic():
            ticket = self._ticket(lock=True)
            body = s.AssignmentSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            quiet = s.suppressed(body.validated_data)
            services.assign(request, ticket, body.validated_data["assigned_to"], suppress=quiet)
        return Response(self._detail(ticket.pk))

    # ---- agents and watchers ------------------------------------------------------------------------------

    def _agents_data(self, ticket: Ticket) -> dict:
        ticket = Ticket.objects.select_related("assigned_to").prefetch_related("agents__user").get(pk=ticket.pk)
        return {
            "ticket_id": str(ticket.pk),
            "primary_agent": s.user_ref(ticket.assigned_to),
            "additional_agents": [s.agent_data(agent) for agent in ticket.agents.all()],
        }

    @extend_schema(summary="The ticket's primary and additional agents", responses=s.AgentsSerializer)
    @action(detail=True, methods=["get"], filterset_class=None)
    def agents(self, request, pk=None):
        return Response(self._agents_data(self._ticket()))

    @extend_schema(
        summary="Add an additional agent (on an unassigned ticket the user becomes the primary agent)",
        request=s.AgentAddSerializer,
        responses={201: s.AgentsSerializer},
    )
    @agents.mapping.post
    def add_agent(self, request, pk=None):
        with transaction.atomic():
            ticket = self._ticket(lock=True)
            body = s.AgentAddSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            services.add_agent(request, ticket, body.validated_data["user_id"], body.validated_data["role"])
        return Response(self._agents_data(ticket), status=status.HTTP_201_CREATED)

    @extend_schema(summary="Remove an additional agent", request=s.AgentRemoveSerializer, responses={204: None})
    @agents.mapping.delete
    def remove_agent(self, request, pk=None):
        ticket = self._ticket()
        body = s.AgentRemoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.remove_agent(request, ticket, body.validated_data["user_id"])
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Remove an additional agent",
        parameters=[USER_ID],
        responses={204: None},
        operation_id="tickets_agent_remove",
    )
    @action(detail=True, methods=["delete"], url_path=rf"agents/(?P<agent_user_id>{UUID_REGEX})", filterset_class=None)
    def agent_detail(self, request, pk=None, agent_user_id=None):
        services.remove_agent(request, self._ticket(), agent_user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="The ticket's watchers", responses=s.WatcherOutSerializer(many=True))
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)  # a plain list
    def watchers(self, request, pk=None):
        ticket = self._ticket()
        return Response([s.watcher_data(w) for w in ticket.watchers.select_related("user")])

    @extend_schema(
        summary="Add a watcher: a user ({user_id}) or an e-mail address ({email, name?})",
        request=s.WatcherSerializer,
        responses={201: s.WatcherOutSerializer},
    )
    @watchers.mapping.post
    def add_watcher(self, request, pk=None):
        ticket = self._ticket()
        body = s.WatcherSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        watcher = services.add_watcher(request, ticket, data["user"], data["email"], data["name"])
        return Response(s.watcher_data(watcher), status=status.HTTP_201_CREATED)

    @extend_schema(summary="Remove a watcher", request=s.WatcherRemoveSerializer, responses={204: None})
    @watchers.mapping.delete
    def remove_watcher(self, request, pk=None):
        ticket = self._ticket()
        body = s.WatcherRemoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        services.remove_watcher(request, ticket, data.get("user_id"), data.get("email") or "")
        return Response(status=status.HTTP_204_NO_CONTENT)

    # ---- comments --------------------------------------------------------------------------------------------

    @extend_schema(
        summary="A ticket's comments, oldest first (order=desc for newest first); internal notes need "
        "ticket.comment.internal",
        parameters=[
            ORDER,
            OpenApiParameter("page", OpenApiTypes.INT),
            OpenApiParameter(
                "limit",
                OpenApiTypes.INT,
                description="1 to 100, default 25; without page and limit the whole thread (PSA_MAX_THREAD_COMMENTS)",
            ),
        ],
        responses=comment_serializers.CommentSerializer(many=True),
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=CommentPagination)
    def comments(self, request, pk=None):
        ticket = self._ticket()
        order = _order(request, "asc")
        comments = self._comments(ticket).prefetch_related("reactions")
        comments = comments.order_by("created_at", "id") if order == "asc" else comments.order_by("-created_at", "-id")
        page = self.paginate_queryset(comments)
        data = comment_serializers.CommentSerializer(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)

    @extend_schema(
        summary="Add a comment; a reply (parent_comment_id) takes the visibility of its thread's root",
        request=comment_serializers.CommentCreateSerializer,
        responses={201: comment_serializers.CommentSerializer},
    )
    @comments.mapping.post
    def add_comment(self, request, pk=None):
        ticket = self._ticket()
        body = comment_serializers.CommentCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        parent = None
        if data.get("parent_comment_id"):
            parent = self._comments(ticket).filter(pk=data["parent_comment_id"]).select_related("thread_root").first()
            if parent is None:
                raise ValidationError({"parent_comment_id": ["No such comment on this ticket."]})
        internal = (parent.thread_root or parent).is_internal if parent else data["is_internal"]
        if internal and not has_node(request, "ticket.comment.internal"):
            raise PermissionDenied("Missing permission: ticket.comment.internal (internal notes).")
        comment = services.add_comment(
            request, ticket, data["comment_text"], is_internal=data["is_internal"],
            is_resolution=data["is_resolution"], parent=parent,
        )  # fmt: skip
        comment = Comment.objects.select_related("author_user", "author_contact").get(pk=comment.pk)
        return Response(
            comment_serializers.CommentSerializer(comment, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    def _comment(self, ticket: Ticket, comment_id) -> Comment:
        return get_object_or_404(self._comments(ticket).prefetch_related("reactions"), pk=comment_id)

    @extend_schema(
        summary="Edit a comment (its author only; system comments cannot be edited)",
        parameters=[COMMENT_ID],
        request=comment_serializers.CommentUpdateSerializer,
        responses=comment_serializers.CommentSerializer,
    )
    @action(
        detail=True,
        methods=["put"],
        url_path=rf"comments/(?P<comment_id>{UUID_REGEX})",
        filterset_class=None,
    )
    def comment_detail(self, request, pk=None, comment_id=None):
        comment = self._comment(self._ticket(), comment_id)
        body = comment_serializers.CommentUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if comment.is_system:
            raise PermissionDenied("System comments cannot be edited.")
        if comment.author_user_id != request.user.pk:
            raise PermissionDenied("You can only edit your own comments.")
        services.edit_comment(
            request, comment, body.validated_data["comment_text"], body.validated_data.get("is_resolution")
        )
        comment = self._comment(comment.ticket, comment.pk)
        return Response(comment_serializers.CommentSerializer(comment, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Toggle the caller's reaction on a comment",
        parameters=[COMMENT_ID],
        request=comment_serializers.ReactionSerializer,
        responses=comment_serializers.ReactionResultSerializer,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=rf"comments/(?P<comment_id>{UUID_REGEX})/reactions",
        filterset_class=None,
    )
    def comment_reactions(self, request, pk=None, comment_id=None):
        comment = self._comment(self._ticket(), comment_id)
        body = comment_serializers.ReactionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        added = services.toggle_reaction(request, comment, body.validated_data["emoji"])
        return Response({"added": added})

    # ---- history ---------------------------------------------------------------------------------------------

    @extend_schema(
        summary="Every change to the ticket: who, when, which field, old and new values",
        parameters=[ORDER, OpenApiParameter("field", OpenApiTypes.STR, description="Only changes of this field")],
        responses=comment_serializers.TicketChangeSerializer(many=True),
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def history(self, request, pk=None):
        ticket = self._ticket()
        order = _order(request, "desc")
        changes = TicketChange.objects.filter(ticket=ticket)
        field = request.query_params.get("field")
        if field:
            changes = changes.filter(field=field[:50])
        changes = changes.order_by("created_at", "id") if order == "asc" else changes.order_by("-created_at", "-id")
        page = self.paginate_queryset(changes)
        return self.get_paginated_response(
            comment_serializers.TicketChangeSerializer(page, many=True, context=self.get_serializer_context()).data
        )


# ---- configuration -------------------------------------------------------------------------------------------

SETTINGS_NODES = {
    "list": ["ticket.read"],
    "retrieve": ["ticket.read"],
    "create": ["ticket_settings.create"],
    "update": ["ticket_settings.update"],
    "partial_update": ["ticket_settings.update"],
    "destroy": ["ticket_settings.delete"],
}


class DefaultFlagMixin:
    """Setting ``is_default`` on one row clears it on the others in its group (per board for statuses)."""

    default_group: str | None = None

    def _clear_other_defaults(self, serializer):
        if not serializer.validated_data.get("is_default"):
            return
        model = serializer.Meta.model
        others = model.objects.filter(is_default=True)
        if self.default_group:
            group = serializer.validated_data.get(self.default_group) or getattr(
                serializer.instance, self.default_group
            )
            others = others.filter(**{self.default_group: group})
        if serializer.instance is not None:
            others = others.exclude(pk=serializer.instance.pk)
        others.update(is_default=False)

    def perform_create(self, serializer):
        with transaction.atomic():
            self._clear_other_defaults(serializer)
            super().perform_create(serializer)

    def perform_update(self, serializer):
        with transaction.atomic():
            self._clear_other_defaults(serializer)
            super().perform_update(serializer)


class BoardViewSet(DefaultFlagMixin, PsaModelViewSet):
    queryset = Board.objects.all()
    serializer_class = config_serializers.BoardSerializer
    filterset_class = BoardFilterSet
    action_nodes = SETTINGS_NODES
    sort_fields = {
        "board_name": "name",
        "name": "name",  # as the mobile app sends it
        "display_order": "display_order",
        "created_at": "created_at",
    }
    default_sort = "display_order"


class StatusViewSet(DefaultFlagMixin, PsaModelViewSet):
    queryset = Status.objects.select_related("board")
    serializer_class = config_serializers.StatusSerializer
    filterset_class = StatusFilterSet
    action_nodes = SETTINGS_NODES
    sort_fields = {"name": "name", "order_number": "order", "created_at": "created_at"}
    default_sort = "order"
    default_group = "board"

    def perform_update(self, serializer):
        with transaction.atomic():
            was_closed = serializer.instance.is_closed
            super().perform_update(serializer)
            if serializer.instance.is_closed != was_closed:
                services.sync_status_closed(serializer.instance)


class PriorityViewSet(DefaultFlagMixin, PsaModelViewSet):
    queryset = Priority.objects.all()
    serializer_class = config_serializers.PrioritySerializer
    filterset_class = PriorityFilterSet
    action_nodes = SETTINGS_NODES
    sort_fields = {"priority_name": "name", "order_number": "order", "created_at": "created_at"}
    default_sort = "order"


class CategoryViewSet(PsaModelViewSet):
    queryset = Category.objects.all()
    serializer_class = config_serializers.CategorySerializer
    filterset_class = CategoryFilterSet
    action_nodes = {**SETTINGS_NODES, "ticket_categories": ["ticket.read"]}
    sort_fields = {"category_name": "name", "display_order": "display_order", "created_at": "created_at"}
    default_sort = "display_order"

    @extend_schema(
        summary="Ticket categories (AlgaPSA's path; the same list as GET /categories)",
        responses=config_serializers.CategorySerializer(many=True),
    )
    @action(detail=False, methods=["get"], url_path="ticket")
    def ticket_categories(self, request):
        return self.list(request)


class TagViewSet(PsaModelViewSet):
    queryset = Tag.objects.all()
    serializer_class = config_serializers.TagSerializer
    filterset_class = TagFilterSet
    action_nodes = SETTINGS_NODES
    sort_fields = {"tag_text": "text", "created_at": "created_at"}
    default_sort = "text"
