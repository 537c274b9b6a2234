"""The one place that holds the API's security logic.

App views declare ``queryset``, ``serializer_class``, ``filterset_class``, ``node_prefix`` (or ``action_nodes``)
and ``sort_fields``; this module supplies permission nodes per action, client scoping, deterministic ordering,
strict pagination, partial updates, and an audit record for every write.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.db.models import F, Model
from django.http import QueryDict
from django_filters.filterset import BaseFilterSet as DjangoBaseFilterSet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import mixins, status
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend
from rest_framework.generics import GenericAPIView
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet

from psa import writes
from psa.access import restrict
from psa.api import lean, lean_retrieve
from psa.api.query_params import QueryParamGuard
from psa.filtersets import BaseFilterSet, UtcDateTimesMixin

UUID_REGEX = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"

DEFAULT_ACTION_VERBS = {
    "list": "read",
    "retrieve": "read",
    "create": "create",
    "update": "update",
    "partial_update": "update",
    "destroy": "delete",
}


class NodeGuard:
    """Declares which permission nodes a view needs; read by :class:`psa.api.permissions.NodePermission`.

    ``action_nodes`` maps a viewset action name, or an HTTP method for plain views, to the nodes it needs (all of
    them). Otherwise ``node_prefix`` gives ``<prefix>.read``/``create``/``update``/``delete`` for the standard
    actions. Anything else is denied.
    """

    node_prefix: ClassVar[str | None] = None
    action_nodes: ClassVar[dict[str, list[str]]] = {}

    @classmethod
    def nodes_for(cls, action: str | None, method: str) -> list[str] | None:
        if action and action in cls.action_nodes:
            return list(cls.action_nodes[action])
        if method in cls.action_nodes:
            return list(cls.action_nodes[method])
        if cls.node_prefix and action in DEFAULT_ACTION_VERBS:
            return [f"{cls.node_prefix}.{DEFAULT_ACTION_VERBS[action]}"]
        return None

    def required_nodes(self) -> list[str] | None:
        return self.nodes_for(getattr(self, "action", None), self.request.method)


def _nullable(model, path: str) -> bool:
    """Whether the field at ``path`` may hold NULL; unknown paths (annotations) count as nullable."""
    try:
        for part in path.split("__"):
            field = model._meta.get_field(part)
            if field.null:
                return True
            model = field.related_model or model
    except FieldDoesNotExist:
        return True
    return False


def _ordering(model, path: str, descending: bool):
    # NULLS LAST only where NULLs can occur: on NOT NULL columns it would stop PostgreSQL using an index.
    if _nullable(model, path):
        return F(path).desc(nulls_last=True) if descending else F(path).asc(nulls_last=True)
    return F(path).desc() if descending else F(path).asc()


def _plain_retrieve(view) -> bool:
    """A standard retrieve: DRF's own ``get_object`` (one row, by ``get``) serves it."""
    return getattr(view, "action", None) == "retrieve" and type(view).get_object is GenericAPIView.get_object


class SortBackend(BaseFilterBackend):
    """``sort`` (one of the view's ``sort_fields``) and ``order`` (``asc``/``desc``), always ending on the pk."""

    def filter_queryset(self, request, queryset, view):
        fields: dict[str, str] = getattr(view, "sort_fields", {})
        if _plain_retrieve(view) and "sort" not in request.query_params and "order" not in request.query_params:
            return queryset  # get_object() fetches with get(), which drops any ordering: building one is wasted
        order = request.query_params.get("order")
        if order is not None and order not in ("asc", "desc"):
            raise ValidationError({"order": ["Must be 'asc' or 'desc'."]})
        sort = request.query_params.get("sort")
        if sort is not None and sort not in fields:
            choices = ", ".join(sorted(fields)) or "none"
            raise ValidationError({"sort": [f"Unknown sort field '{sort}'. Allowed: {choices}."]})
        default = getattr(view, "default_sort", None) or "pk"
        if sort is None:
            # A default may name several fields ("last_name,first_name"); the direction follows the first.
            descending = default.startswith("-") if order is None else order == "desc"
            paths = [p.strip().lstrip("-") for p in default.split(",")]
        else:
            descending = order == "desc"
            paths = [p.strip() for p in fields[sort].split(",")]  # "last_name,first_name" sorts on both
        paths = [p for p in paths if p != "pk"]
        expressions = [_ordering(queryset.model, p, descending) for p in paths]
        return queryset.order_by(*expressions, "-pk" if descending else "pk")

    def get_schema_operation_parameters(self, view):
        fields = sorted(getattr(view, "sort_fields", {}))
        params = [
            {"name": "order", "in": "query", "required": False, "schema": {"type": "string", "enum": ["asc", "desc"]}}
        ]
        if fields:
            params.insert(
                0, {"name": "sort", "in": "query", "required": False, "schema": {"type": "string", "enum": fields}}
            )
        return params


# The filterset methods whose behaviour without any of the filterset's parameters is known: nothing is filtered.
_PLAIN_METHODS = {
    "__init__": (BaseFilterSet.__init__, DjangoBaseFilterSet.__init__),
    "filter_queryset": (
        BaseFilterSet.filter_queryset, UtcDateTimesMixin.filter_queryset, DjangoBaseFilterSet.filter_queryset,
    ),
    "qs": (DjangoBaseFilterSet.qs,),
    "form": (BaseFilterSet.form, DjangoBaseFilterSet.form),
    "errors": (DjangoBaseFilterSet.errors,),
    "is_valid": (DjangoBaseFilterSet.is_valid,),
    "get_form_class": (BaseFilterSet.get_form_class, DjangoBaseFilterSet.get_form_class),
}  # fmt: skip
_idle_filtersets: dict[type, bool] = {}


def _idle_without_parameters(filterset_class, queryset) -> bool:
    """Whether ``filterset_class`` filters nothing when a request sends none of its parameters.

    True only if it overrides none of the filterset's own steps (so no default applies when a parameter is left
    out, as procurement's "active only" does), its form is a plain form (no ``clean`` of its own), no filter is
    required, and an instance given no data returns the very queryset it was given (every filter, its own or a
    project's, passes an empty value through). Decided once per class.
    """
    idle = _idle_filtersets.get(filterset_class)
    if idle is None:
        idle = _probe_idle(filterset_class, queryset)
        _idle_filtersets[filterset_class] = idle
    return idle


def _probe_idle(filterset_class, queryset) -> bool:
    for name, allowed in _PLAIN_METHODS.items():
        if next(c.__dict__[name] for c in filterset_class.__mro__ if name in c.__dict__) not in allowed:
            return False
    if filterset_class._meta.form is not forms.Form:
        return False
    if any(f.extra.get("required") for f in filterset_class.base_filters.values()):
        return False
    probe = filterset_class(data=QueryDict(), queryset=queryset.none())
    try:
        return probe.is_valid() and probe.filter_queryset(probe.queryset) is probe.queryset
    except Exception:
        return False


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, skipping the filterset when the request sends none of its parameters and the
    filterset then filters nothing (:func:`_idle_without_parameters`).

    Building a filterset's form (a deep copy of every filter's form field) and validating it was the largest fixed
    cost of a retrieve, which no filter parameter ever reaches (the query parameter guard refuses them there), and
    of a list asked for without filters. Whenever a parameter of the filterset is sent, it runs as before.
    """

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        declared = getattr(view, "filterset_class", None) is filterset_class  # not a class made per request
        idle = declared and not _reads_any(filterset_class, request.query_params)
        if idle and _idle_without_parameters(filterset_class, queryset):
            return queryset
        return super().filter_queryset(request, queryset, view)


def _reads_any(filterset_class, sent) -> bool:
    # A filter may read more than its own name (a range's ``<name>_after``): any parameter starting with a filter's
    # name counts as sent to it.
    names = filterset_class.base_filters
    return any(param in names or any(param.startswith(f"{name}_") for name in names) for param in sent)


# Accept headers DRF's negotiation answers with a lone JSON renderer and its own media type, params and all.
_JSON_ACCEPTS = frozenset({None, "*/*", "application/json"})


class JsonNegotiationMixin:
    """DRF's content negotiation, answered without parsing the Accept header when the outcome is known.

    A view with one renderer, of ``application/json``, under DRF's default negotiation, asked with no Accept header,
    ``*/*`` or ``application/json`` and no format suffix or ``?format=``: DRF would pick that renderer and its media
    type, so that is the answer. Any other request (another Accept header, several renderers) negotiates as before,
    and refuses with 406 exactly as before.
    """

    def perform_content_negotiation(self, request, force=False):
        renderers = self.renderer_classes
        if (
            len(renderers) == 1
            and renderers[0].media_type == "application/json"
            and self.content_negotiation_class is DefaultContentNegotiation
            and request.META.get("HTTP_ACCEPT") in _JSON_ACCEPTS
            and not getattr(self, "format_kwarg", None)
            and api_settings.URL_FORMAT_OVERRIDE not in request.query_params
        ):
            renderer = renderers[0]()
            return renderer, renderer.media_type
        return super().perform_content_negotiation(request, force)


class PsaAPIView(JsonNegotiationMixin, QueryParamGuard, NodeGuard, APIView):
    """A non-model endpoint; declare ``action_nodes`` by HTTP method, and query parameters with ``extend_schema``."""


class AuditedWritesMixin:
    """Each write runs in a transaction together with its audit record.

    Viewsets list ``PsaGenericViewSet`` before DRF's mixins, so these methods win over the mixins' own.
    """

    def perform_create(self, serializer):
        writes.create(self.request, serializer, **self.get_create_kwargs())

    def get_create_kwargs(self) -> dict[str, Any]:
        return {}

    def perform_update(self, serializer):
        writes.update(self.request, serializer)

    def perform_destroy(self, instance):
        writes.destroy(self.request, instance)


class PsaGenericViewSet(JsonNegotiationMixin, QueryParamGuard, AuditedWritesMixin, NodeGuard, GenericViewSet):
    lookup_value_regex = UUID_REGEX
    filter_backends = [FilterBackend, SortBackend]
    sort_fields: ClassVar[dict[str, str]] = {}
    default_sort: ClassVar[str | None] = None
    # output field -> the columns it reads: the list's page is fetched as those columns (psa.api.lean.column_page)
    list_columns: ClassVar[Mapping[str, tuple[str, ...]] | None] = None

    def get_queryset(self):
        return restrict(super().get_queryset(), self.request)

    def paginate_queryset(self, queryset):
        page = lean.column_page(self, queryset) if getattr(self, "action", None) == "list" else None
        return super().paginate_queryset(queryset if page is None else page)

    def get_list_meta(self, queryset) -> dict[str, Any]:
        return {}

    def get_serializer(self, *args, **kwargs):
        # Reads go through the lean path (psa.api.lean) when the serializer allows: the same dicts, without building
        # every field per request and walking each row's fields generically.
        action = getattr(self, "action", None)
        if len(args) == 1 and "data" not in kwargs and action in ("list", "retrieve"):
            options = {k: v for k, v in kwargs.items() if k != "many"}
            if action == "list" and kwargs.get("many") and isinstance(args[0], list):
                data = lean.lean_data(self, args[0], options)
                if data is not None:
                    return lean.LeanList(data)
            elif action == "retrieve" and not kwargs.get("many") and isinstance(args[0], Model):
                data = lean.lean_data(self, [args[0]], options)
                if data is not None:
                    return lean.LeanList(data[0])
        return super().get_serializer(*args, **kwargs)


class LeanRetrieveMixin(mixins.RetrieveModelMixin):
    """A retrieve read by the lean retrieve (:mod:`psa.api.lean_retrieve`) where the view declares
    ``retrieve_columns`` (output field -> the columns it reads) and its queryset filters by the client scope alone;
    otherwise, or for a field left undeclared, DRF's ``get_object`` and the serializer, as before."""

    retrieve_columns: ClassVar[Mapping[str, tuple[str, ...]] | None] = None

    def retrieve_fields(self) -> tuple[str, ...] | None:
        """The sparse field selection a retrieve's serializer gets (``None``: all its fields)."""
        return None

    def retrieve(self, request, *args, **kwargs):
        found = lean_retrieve.fetch(self, fields=self.retrieve_fields())
        if found is None:
            return super().retrieve(request, *args, **kwargs)
        return Response(found[1])


class PsaReadOnlyViewSet(PsaGenericViewSet, mixins.ListModelMixin, LeanRetrieveMixin):
    pass


class PsaModelViewSet(
    PsaGenericViewSet,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    LeanRetrieveMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
):
    """CRUD with PUT and PATCH both changing only the fields sent."""

    def update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return super().update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        self.perform_destroy(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class NestedViewSetMixin:
    """For routes under a parent object, e.g. ``/assets/{asset_id}/interfaces``.

    ``parent_model`` and ``parent_kwarg`` (the URL keyword) locate the parent within the caller's client scope (404
    otherwise); ``parent_field`` is the child's foreign key to it. Lists show only the parent's children, and
    creates attach to the parent.
    """

    parent_model: ClassVar[type]
    parent_kwarg: ClassVar[str]
    parent_field: ClassVar[str]

    def get_parent(self):
        cached = getattr(self, "_parent", None)
        if cached is None:
            # DRF's get_object_or_404 answers 404 for an id that is not a valid key (a non-UUID), not a 500.
            from rest_framework.generics import get_object_or_404

            cached = get_object_or_404(
                restrict(self.parent_model.objects.all(), self.request), pk=self.kwargs[self.parent_kwarg]
            )
            self._parent = cached
        return cached

    def get_queryset(self):
        return super().get_queryset().filter(**{self.parent_field: self.get_parent()})

    def get_create_kwargs(self) -> dict[str, Any]:
        return {**super().get_create_kwargs(), self.parent_field: self.get_parent()}

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.parent_kwarg in getattr(self, "kwargs", {}):
            context["parent"] = self.get_parent()
        return context
