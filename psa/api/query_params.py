"""Query parameters are held to their OpenAPI entry, as bodies are to theirs (design.md; Stripe answers the same way).

The parameters a route accepts are exactly those its OpenAPI operation documents: the filterset's filters,
pagination (``page``, ``limit``), ``sort``/``order``, and every ``OpenApiParameter`` a view declares with
``extend_schema``. Reading them from the generated schema keeps what is accepted and what is documented one list:
a parameter cannot work without being documented, nor be documented without working. An unknown parameter is a
400 naming it; so is a value its documented schema refuses (``vlan=0.5`` for an integer, ``include_address=null``
for a boolean), and a parameter given twice, so no view has to be lenient or strict on its own.
"""

from __future__ import annotations

import math
import re
import threading
import uuid
from collections.abc import Callable

from django.utils.dateparse import parse_date, parse_datetime
from rest_framework.exceptions import ValidationError

_lock = threading.Lock()
# (view callback, HTTP method) -> {parameter name: its schema}
_documented: dict[tuple[Callable, str], dict[str, dict]] | None = None

INTEGER = re.compile(r"-?\d+")
NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def _build() -> dict[tuple[Callable, str], dict[str, dict]]:
    from drf_spectacular.generators import SchemaGenerator

    generator = SchemaGenerator()
    schema = generator.get_schema(request=None, public=True)
    documented: dict[tuple[Callable, str], dict[str, dict]] = {}
    for path, _regex, method, callback in generator.endpoints:
        view = generator.create_view(callback, method)
        operation = schema["paths"].get(generator.coerce_path(path, method, view), {}).get(method.lower())
        if operation is None:
            continue  # not in the schema (the schema route itself, the docs page)
        parameters = operation.get("parameters", [])
        documented[(callback, method)] = {p["name"]: p.get("schema", {}) for p in parameters if p.get("in") == "query"}
    return documented


def _documented_params(callback: Callable, method: str) -> dict[str, dict] | None:
    global _documented
    if _documented is None:
        with _lock:
            if _documented is None:
                _documented = _build()
    return _documented.get((callback, method.upper()))


def accepted_params(callback: Callable, method: str) -> frozenset[str] | None:
    """The query parameters the operation served by ``callback`` documents; ``None`` if it is not documented."""
    documented = _documented_params(callback, method)
    return None if documented is None else frozenset(documented)


def _has_type(value: str, kind: str | None) -> bool:
    if kind == "boolean":
        return value.strip().lower() in ("true", "false")  # case and blanks are forgiven, 1/yes/null are not
    if kind == "integer":
        return INTEGER.fullmatch(value) is not None
    if kind == "number":
        return NUMBER.fullmatch(value) is not None and math.isfinite(float(value))
    return kind in (None, "string")


def _has_format(value: str, fmt: str | None) -> bool:
    try:
        if fmt == "uuid":
            uuid.UUID(value)
        elif fmt == "date":
            return parse_date(value) is not None
        elif fmt == "date-time":
            return parse_datetime(value) is not None
    except ValueError:
        return False
    return True


def conforms(value: str, schema: dict) -> bool:
    """Whether the query-string ``value`` is one that ``schema`` (the subset drf-spectacular emits) allows."""
    if "anyOf" in schema or "oneOf" in schema:
        return any(conforms(value, option) for option in schema.get("anyOf") or schema["oneOf"])
    kind = schema.get("type")
    if not _has_type(value, kind) or ("enum" in schema and value not in [str(v) for v in schema["enum"]]):
        return False
    if kind in ("integer", "number"):
        number = float(value)
        return schema.get("minimum", -math.inf) <= number <= schema.get("maximum", math.inf)
    if kind not in (None, "string"):
        return True
    if not schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", math.inf):
        return False
    if "pattern" in schema and re.search(schema["pattern"], value) is None:
        return False
    return _has_format(value, schema.get("format"))


def _describe(schema: dict) -> str:
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        # The empty alternative (``?client_id=`` means no filter) is not worth naming.
        named = [_describe(option) for option in options if option.get("maxLength") != 0 or "type" not in option]
        return " or ".join(named) or "empty"
    if "enum" in schema:
        return "one of " + ", ".join(str(v) for v in schema["enum"])
    kind = {"boolean": "true or false", "integer": "an integer", "number": "a number"}.get(schema.get("type"))
    if kind is None:
        kind = {"uuid": "a UUID", "date": "a date (YYYY-MM-DD)", "date-time": "an ISO 8601 date and time"}.get(
            schema.get("format"), "text"
        )
    bounds = [
        f"{word} {schema[key]}" for key, word in (("minimum", "at least"), ("maximum", "at most")) if key in schema
    ]
    return " ".join([kind, *bounds]) if bounds else kind


def refuse_invalid(query_params, documented: dict[str, dict]) -> None:
    """A 400 naming each documented parameter whose value its schema refuses, or that is given more than once."""
    errors: dict[str, list[str]] = {}
    for name in query_params:
        schema = documented.get(name)
        if schema is None:
            continue
        values = query_params.getlist(name)
        if len(values) > 1:
            errors[name] = [f"Give '{name}' once, not {len(values)} times."]
        elif not conforms(values[0], schema):
            errors[name] = [f"Invalid value {values[0][:50]!r} for '{name}': expected {_describe(schema)}."]
    if errors:
        raise ValidationError(errors)


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
        documented = _documented_params(match.func, request.method)
        if documented is not None:
            refuse_unknown(list(request.query_params), frozenset(documented))
            refuse_invalid(request.query_params, documented)


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
        # A filter class's own @extend_schema_field wins, as it does for drf-spectacular's filterset parameters.
        kind = (getattr(type(field), "_spectacular_annotation", None) or {}).get("field")
        if kind is None:
            kind = next((t for cls, t in types if isinstance(field, cls)), OpenApiTypes.STR)
        choices = field.extra.get("choices") if isinstance(field, django_filters.ChoiceFilter) else None
        enum = [value for value, _label in choices] if choices and not callable(choices) else None
        parameters.append(OpenApiParameter(name, kind, enum=enum, description=str(field.label or "")))
    return parameters
