"""OpenAPI generation matching the envelope: single objects are documented inside ``{"data": ...}``.

The schema must tell the truth (schemathesis checks it in ``make test``, see tests/fuzz/), so the rules that hold
for every route are added here once rather than per view: the error statuses any route can answer with, strict
request bodies (unknown fields are a 400), blank values of formatted strings, and nulls that a nullable model
relation puts into a read-only field.
"""

from __future__ import annotations

import typing

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from psa import gating
from psa.api.pagination import MAX_LIMIT
from psa.api.serializers import StrictInputMixin

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"nullable": True},
            },
        }
    },
}

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
BODY_METHODS = ("POST", "PUT", "PATCH")
# String formats whose blank value ("") a field with allow_blank also accepts and returns.
BLANKABLE_FORMATS = frozenset({"email", "uri", "ipv4", "ipv6", "hostname", "date", "date-time", "uuid"})
# What Django's URLValidator accepts, narrowed so that every URL the schema lets a client generate is accepted:
# http(s) or ftp(s), one to three host labels plus a top-level domain (within the 253-character host limit).
URL_PATTERN = (
    r"^(https?|ftps?)://([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,2}[A-Za-z]{2,63}"
    r"([/?]([A-Za-z0-9._~/?&=+-]|%[0-9A-Fa-f]{2})*)?(#([A-Za-z0-9._~/?&=+-]|%[0-9A-Fa-f]{2})*)?$"
)
# DRF (and PostgreSQL) refuse NUL in text: "Null characters are not allowed."
NO_NUL_PATTERN = r"^[^\x00]*$"
# DRF trims text before checking it is not blank, so a required text needs one character that is not a blank.
NOT_BLANK_PATTERN = r"^[^\x00]*[^\x00\s][^\x00]*$"


RATE_LIMIT_HEADERS = {
    "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds until the rate-limit window resets"},
    "RateLimit-Limit": {"schema": {"type": "integer"}, "description": "Requests allowed per window"},
    "RateLimit-Remaining": {"schema": {"type": "integer"}, "description": "Requests left in this window"},
    "RateLimit-Reset": {"schema": {"type": "integer"}, "description": "Seconds until the window resets"},
}


def _is_envelope(schema: dict) -> bool:
    ref = schema.get("$ref", "")
    properties = schema.get("properties", {})
    return "/Paginated" in ref or "pagination" in properties or "data" in properties


def _error(description: str) -> dict:
    return {"content": {"application/json": {"schema": ERROR_SCHEMA}}, "description": description}


def documented_error(description: str) -> OpenApiResponse:
    """An error status a route answers beyond the common ones, for ``extend_schema(responses={404: ...})``."""
    return OpenApiResponse(ERROR_SCHEMA, description=description)


def _source_is_nullable(field: serializers.Field) -> bool:
    """Whether a read-only field's dotted source crosses a nullable model field (so the value can be null)."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    attrs = getattr(field, "source_attrs", None) or []
    if model is None or not attrs or attrs == ["*"]:
        return False
    for attr in attrs:
        try:
            model_field = model._meta.get_field(attr)
        except FieldDoesNotExist:
            if not attr.endswith("_id"):
                return False
            try:
                model_field = model._meta.get_field(attr[: -len("_id")])
            except FieldDoesNotExist:
                return False
        if getattr(model_field, "null", False):
            return True
        model = getattr(model_field, "related_model", None)
        if model is None:
            return False
    return False


def _partial_put(view) -> bool:
    from psa.api.viewsets import PsaModelViewSet

    return isinstance(view, PsaModelViewSet)


class EnvelopeAutoSchema(AutoSchema):
    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        if str(status_code) == "201":  # a created list is answered whole (e.g. POST .../ppsk), never as a page
            self._get_paginator = lambda: None
        try:
            response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        finally:
            self.__dict__.pop("_get_paginator", None)
        if not str(status_code).startswith("2"):
            return response
        for media in response.get("content", {}).values():
            schema = media.get("schema")
            if schema is not None and not _is_envelope(schema):
                if getattr(serializer, "allow_null", False):
                    schema = {"allOf": [schema], "nullable": True}  # e.g. ``{"data": null}``: no timer running
                media["schema"] = {"type": "object", "required": ["data"], "properties": {"data": schema}}
        return response

    def _get_response_bodies(self, direction="response"):
        declared = self._declared_response_serializer() if self.method == "DELETE" else None
        if declared is not None and not isinstance(declared, dict):
            # A DELETE declaring a response body answers 200 with it; drf-spectacular would document 204.
            responses = {"200": self._get_response_for_code(declared, "200", direction=direction)}
        else:
            responses = super()._get_response_bodies(direction)
        auth = getattr(self.view, "permission_classes", None)
        if not auth or any(getattr(p, "__name__", "") != "AllowAny" for p in auth):
            responses.setdefault("401", _error("Missing or invalid credentials"))
            responses.setdefault("403", _error("A permission node is missing"))
        # Any route refuses unknown or malformed query parameters, and any body it cannot accept.
        responses.setdefault("400", _error("Validation error; details name each field"))
        if "{" in self.path:
            responses.setdefault("404", _error("Not found, or outside the caller's client scope"))
        if self.method in WRITE_METHODS:
            responses.setdefault("409", _error("Conflicts with the current state, e.g. the object is still in use"))
        if self.method in BODY_METHODS:
            responses.setdefault("413", _error("PAYLOAD_TOO_LARGE: the body is over PSA_MAX_REQUEST_BYTES"))
        # Every route is rate-limited (per key or user, per address when anonymous).
        rate_limited = _error("RATE_LIMITED: over PSA_API_RATE_LIMIT; see Retry-After")
        responses.setdefault("429", {**rate_limited, "headers": RATE_LIMIT_HEADERS})
        return responses

    def _get_request_body(self, direction="request"):
        # drf-spectacular documents no body for DELETE; ours take one where the view declares it
        # (e.g. DELETE /roles/{id}/permissions), so document it like a POST's.
        if self.method == "DELETE" and self._declared_request_serializer() is not None:
            self.method = "POST"
            try:
                return super()._get_request_body(direction)
            finally:
                self.method = "DELETE"
        body = super()._get_request_body(direction)
        # A body given as a raw schema (drf-spectacular marks none required) is required when it names required fields;
        # so is one that must change something (``min_fields``).
        media = (body or {}).get("content", {}).values()
        needed = getattr(self._declared_request_serializer(), "min_fields", 0) or any(
            m.get("schema", {}).get("required") for m in media
        )
        if body and not body.get("required") and needed:
            body["required"] = True
        return body

    def _declared_request_serializer(self):
        """The request body an @extend_schema declares, or None (the view's own serializer does not count)."""
        self._get_serializer = lambda: None  # what get_request_serializer() falls back to without a declaration
        try:
            return self.get_request_serializer()
        finally:
            del self._get_serializer

    def _declared_response_serializer(self):
        """The response an @extend_schema declares, or None (the view's own serializer does not count)."""
        self._get_serializer = lambda: None
        try:
            return self.get_response_serializers()
        finally:
            del self._get_serializer

    def _get_request_for_media_type(self, serializer, direction="request"):
        # PsaModelViewSet's PUT changes only the fields sent, like PATCH: document the same partial body.
        if self.method == "PUT" and getattr(self.view, "action", None) == "update" and _partial_put(self.view):
            self.method = "PATCH"
            try:
                return super()._get_request_for_media_type(serializer, direction)
            finally:
                self.method = "PUT"
        return super()._get_request_for_media_type(serializer, direction)

    def _get_parameters(self):
        parameters = super()._get_parameters()
        filters = getattr(getattr(self.view, "filterset_class", None), "base_filters", {})
        for parameter in parameters:
            if parameter.get("in") != "query" or "schema" not in parameter:
                continue
            schema = parameter["schema"]
            if parameter["name"] in ("page", "limit") and schema.get("type") == "integer":
                schema.setdefault("minimum", 1)  # psa.api.pagination refuses 0 and negatives
                if parameter["name"] == "limit":
                    schema.setdefault("maximum", MAX_LIMIT)
            query_filter = filters.get(parameter["name"])
            if query_filter is None:
                continue
            for bound, keyword in (("min_value", "minimum"), ("max_value", "maximum")):
                if query_filter.extra.get(bound) is not None:
                    schema.setdefault(keyword, query_filter.extra[bound])
            if schema.get("type") == "string":
                schema.setdefault("pattern", NO_NUL_PATTERN)
            # django-filter takes an empty value for "no filter" (``?client_id=`` lists everything).
            parameter["schema"] = {"anyOf": [schema, {"type": "string", "maxLength": 0}]}
        return parameters

    def _get_filter_parameters(self):
        # An extra action declared with filterset_class=None neither filters nor sorts what it returns.
        action = getattr(self.view, "action", None)
        if action not in (None, "list") and getattr(self.view, "filterset_class", None) is None:
            return []
        return super()._get_filter_parameters()

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and isinstance(serializer, StrictInputMixin):
            schema["additionalProperties"] = False  # unknown body fields are a 400
        if direction == "request" and getattr(serializer, "min_fields", 0):
            schema["minProperties"] = serializer.min_fields  # its validate() refuses a body that changes nothing
        if direction == "response" and "required" in schema:
            _drop_absent_from_required(serializer, schema)
        properties = schema.get("properties", {})
        for name, field in serializer.fields.items():
            if isinstance(properties.get(name), dict) and "$ref" not in properties[name]:
                _tell_field_truth(field, properties[name], direction)
        return schema


def _drop_absent_from_required(serializer: serializers.Serializer, schema: dict) -> None:
    """A response field that can be absent is not required: fields gated away, or not asked for with ``?fields=``."""
    if getattr(serializer, "fields_selectable", False):
        del schema["required"]
        return
    if not getattr(serializer, "gating_scope", None):
        return
    derived = getattr(serializer, "gating_derived", {})
    kept = [name for name in schema["required"] if name in gating.ALWAYS_VISIBLE and not derived.get(name)]
    if kept:
        schema["required"] = kept
    else:
        del schema["required"]


def _tell_field_truth(field: serializers.Field, schema: dict, direction: str) -> None:
    """Adjust a field's schema (after drf-spectacular added its validators) to what the field really does."""
    if direction == "request" and isinstance(field, serializers.URLField):
        schema["pattern"] = URL_PATTERN
    elif direction == "request" and isinstance(field, serializers.CharField) and schema.get("type") == "string":
        schema.setdefault("pattern", _text_pattern(field))
    if direction == "request" and isinstance(field, serializers.ListField) and isinstance(schema.get("items"), dict):
        items, child = schema["items"], field.child
        if isinstance(child, serializers.CharField) and items.get("type") == "string":
            items["pattern"] = (
                _text_pattern(child) if items.get("pattern") in (None, NO_NUL_PATTERN) else items["pattern"]
            )
    if direction == "request" and isinstance(field, serializers.DecimalField) and schema.get("type") == "string":
        # DRF takes a JSON number as well as the decimal string it answers with.
        number: dict = {"type": "number"}
        if field.max_digits is not None and field.decimal_places is not None:
            bound = 10 ** (field.max_digits - field.decimal_places)
            number.update(exclusiveMaximum=True, maximum=bound, exclusiveMinimum=True, minimum=-bound)
            number["multipleOf"] = 1 if field.decimal_places == 0 else float(f"1e-{field.decimal_places}")
        pattern = schema.pop("pattern", ".*")
        if field.min_value is not None:
            number.pop("exclusiveMinimum", None)
            number["minimum"] = float(field.min_value)
            if field.min_value >= 0:
                pattern = pattern.replace("^-?", "^", 1)  # no minus sign in the string form either
        schema["anyOf"] = [{"type": "string", "pattern": pattern}, number]
        del schema["type"]
    # DRF takes "" for null in a nullable relation (RelatedField.run_validation).
    blank_is_null = direction == "request" and isinstance(field, serializers.RelatedField) and field.allow_null
    if (getattr(field, "allow_blank", False) or blank_is_null) and schema.get("format") in BLANKABLE_FORMATS:
        # A blank value is accepted and returned as it is; a non-blank one has the format.
        alternatives = [{"format": schema.pop("format")}, {"maxLength": 0}]
        if "pattern" in schema:
            alternatives[0]["pattern"] = schema.pop("pattern")
        schema["anyOf"] = alternatives
    if isinstance(field, serializers.ListField | serializers.ManyRelatedField) and not field.allow_empty:
        schema.setdefault("minItems", 1)  # "This list may not be empty."
    if field.read_only and not schema.get("nullable") and (_source_is_nullable(field) or _method_returns_none(field)):
        schema["nullable"] = True


def _text_pattern(field: serializers.CharField) -> str:
    if field.trim_whitespace and not field.allow_blank:
        return NOT_BLANK_PATTERN
    return NO_NUL_PATTERN


def _method_returns_none(field: serializers.Field) -> bool:
    """Whether a ``SerializerMethodField``'s method is annotated as possibly returning None (``-> str | None``)."""
    if not isinstance(field, serializers.SerializerMethodField) or field.parent is None:
        return False
    method = getattr(field.parent, field.method_name, None)
    try:
        hint = typing.get_type_hints(method).get("return") if method is not None else None
    except (NameError, TypeError):  # an annotation naming something not importable here
        return False
    return hint is not None and type(None) in typing.get_args(hint)
