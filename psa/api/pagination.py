"""Page-number pagination with the envelope of design.md and strict parameters (a bad one is a 400).

A list's total is ``COUNT(*)`` over its filtered queryset, unless its viewset declares a count source
(``list_count_source``): a function of the request's query parameters and the caller's client scope that returns
the same total from something cheaper (e.g. counts kept by triggers), or ``None`` when it cannot prove the answer
equal, and then the list counts as before. Only the ``list`` action asks it, and the source knows only the
parameters and the scope: a subclass whose queryset narrows its parent's (a nested route) must declare its own
source, or ``None``. The ``COUNT(*)`` of a plain queryset runs a statement compiled once per shape
(:func:`psa.api.lean_sql.count`, the ORM's own SQL), unless ``PSA_LEAN_LISTS`` is off.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable

from django.conf import settings
from django.db.models import QuerySet
from django.http import QueryDict
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination

from psa.access import client_scope
from psa.api import lean_sql
from psa.api.exceptions import EnvelopedResponse

DEFAULT_LIMIT = 25
MAX_LIMIT = 100

# (query parameters, the caller's client scope: None for every client) -> the list's total, or None: count rows.
CountSource = Callable[[QueryDict, frozenset[uuid.UUID] | None], int | None]


def _positive_int(request, name: str, default: int, maximum: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: [f"'{raw}' is not a whole number."]}) from None
    if value < 1:
        raise ValidationError({name: ["Must be 1 or more."]})
    if maximum is not None and value > maximum:
        raise ValidationError({name: [f"Must be at most {maximum}."]})
    return value


def list_total(queryset, request, view=None) -> int:
    """The number of rows of the filtered ``queryset``: from the view's count source when it answers, else counted.

    The source reads the filters from the query string itself (they were validated when the queryset was
    filtered) and is read from the class, so a plain function declared in the class body is not bound to the view.
    """
    source: CountSource | None = getattr(type(view), "list_count_source", None) if view is not None else None
    if source is not None and getattr(view, "action", None) == "list":
        total = source(request.query_params, client_scope(request))
        if total is not None:
            return total
    if isinstance(queryset, list):
        return len(queryset)
    if isinstance(queryset, QuerySet) and settings.LEAN_LISTS:
        return lean_sql.count(queryset)  # by a statement compiled once per shape
    return queryset.count()


class EnvelopePagination(BasePagination):
    def paginate_queryset(self, queryset, request, view=None):
        self.page = _positive_int(request, "page", 1)
        self.limit = _positive_int(request, "limit", DEFAULT_LIMIT, MAX_LIMIT)
        self.total = list_total(queryset, request, view)
        self.meta = view.get_list_meta(queryset) if view is not None and hasattr(view, "get_list_meta") else {}
        offset = (self.page - 1) * self.limit
        if offset >= self.total:
            return []
        return list(queryset[offset : offset + self.limit])

    def get_paginated_response(self, data):
        pages = math.ceil(self.total / self.limit) if self.total else 0
        return EnvelopedResponse(
            {
                "data": data,
                "pagination": {
                    "page": self.page,
                    "limit": self.limit,
                    "total": self.total,
                    "totalPages": pages,
                    "hasNext": self.page < pages,
                    "hasPrev": self.page > 1,
                },
                "meta": self.meta,
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["data", "pagination", "meta"],
            "properties": {
                "data": schema,
                "pagination": {
                    "type": "object",
                    "required": ["page", "limit", "total", "totalPages", "hasNext", "hasPrev"],
                    "properties": {
                        "page": {"type": "integer", "minimum": 1},
                        "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                        "total": {"type": "integer"},
                        "totalPages": {"type": "integer"},
                        "hasNext": {"type": "boolean"},
                        "hasPrev": {"type": "boolean"},
                    },
                },
                "meta": {"type": "object", "additionalProperties": True},
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {"name": "page", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1}},
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
            },
        ]
