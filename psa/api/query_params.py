"""Unknown query parameters are refused, as unknown body fields are (design.md; Stripe answers the same way).

The parameters a route accepts are exactly those its OpenAPI operation documents: the filterset's filters,
pagination (``page``, ``limit``), ``sort``/``order``, and every ``OpenApiParameter`` a view declares with
``extend_schema``. Reading them from the generated schema keeps what is accepted and what is documented one list:
a parameter cannot work without being documented, nor be documented without working.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from rest_framework.exceptions import ValidationError

_lock = threading.Lock()
_accepted: dict[tuple[Callable, str], frozenset[str]] | None = None


def _build() -> dict[tuple[Callable, str], frozenset[str]]:
    from drf_spectacular.generators import SchemaGenerator

    generator = SchemaGenerator()
    schema = generator.get_schema(request=None, public=True)
    accepted: dict[tuple[Callable, str], frozenset[str]] = {}
    for path, _regex, method, callback in generator.endpoints:
        view = generator.create_view(callback, method)
        operation = schema["paths"].get(generator.coerce_path(path, method, view), {}).get(method.lower())
        if operation is None:
            continue  # not in the schema (the schema route itself, the docs page)
        names = frozenset(p["name"] for p in operation.get("parameters", []) if p.get("in") == "query")
        accepted[(callback, method)] = names
    return accepted


def accepted_params(callback: Callable, method: str) -> frozenset[str] | None:
    """The query parameters the operation served by ``callback`` documents; ``None`` if it is not documented."""
    global _accepted
    if _accepted is None:
        with _lock:
            if _accepted is None:
                _accepted = _build()
    return _accepted.get((callback, method.upper()))


def refuse_unknown(sent: list[str], accepted: frozenset[str]) -> None:
    """A 400 naming each parameter of ``sent`` that is not in ``accepted``, with the accepted ones listed."""
    unknown = sorted({name for name in sent if name not in accepted})
    if not unknown:
        return
    listed = ", ".join(sorted(accepted)) or "none"
    raise ValidationError({name: [f"Unknown query parameter '{name}'. Accepted: {listed}."] for name in unknown})


class QueryParamGuard:
    """Checked after authentication and permissions, so a caller learns a route's parameters only once allowed."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        match = getattr(request, "resolver_match", None)
        if match is None or not request.query_params:
            return
        accepted = accepted_params(match.func, request.method)
        if accepted is not None:
            refuse_unknown(list(request.query_params), accepted)


def filterset_parameters(filterset_class) -> list:
    """``OpenApiParameter``s for a filterset's filters, for views that apply one outside a plain list."""
    import django_filters
    from drf_spectacular.types import OpenApiTypes
    from drf_spectacular.utils import OpenApiParameter

    types = (
        (django_filters.BooleanFilter, OpenApiTypes.BOOL),
        (django_filters.UUIDFilter, OpenApiTypes.UUID),
        (django_filters.IsoDateTimeFilter, OpenApiTypes.DATETIME),
        (django_filters.DateFilter, OpenApiTypes.DATE),
        (django_filters.NumberFilter, OpenApiTypes.NUMBER),
    )
    parameters = []
    for name, field in filterset_class.base_filters.items():
        kind = next((t for cls, t in types if isinstance(field, cls)), OpenApiTypes.STR)
        parameters.append(OpenApiParameter(name, kind, description=str(field.label or "")))
    return parameters
