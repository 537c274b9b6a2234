"""The error envelope: ``{"error": {"code", "message", "details"}}`` for every failure of the API."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from psa.db import is_contention
from psa.errors import BUSY_MESSAGE, busy_headers
from psa.middleware import RequestBodyTooLarge

logger = logging.getLogger("psa.api")

UNAUTHORIZED_MESSAGE = "Authentication required: send a valid API key in X-API-Key or Authorization: Bearer."


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


class EnvelopedResponse(Response):
    """A response whose body is already in its final shape; the renderer leaves it alone."""

    enveloped = True


def error_response(status_code: int, code: str, message: str, details: Any = None, headers=None) -> Response:
    body = {"error": {"code": code, "message": message, "details": details}}
    return EnvelopedResponse(body, status=status_code, headers=headers)


def flatten_errors(detail: Any, path: list | None = None) -> list[dict]:
    """Turn DRF's nested error detail into ``[{path: [...], message}]``."""
    path = path or []
    if isinstance(detail, dict):
        items: list[dict] = []
        for key, value in detail.items():
            sub = [] if key in ("non_field_errors", "__all__") else [key]
            items.extend(flatten_errors(value, path + sub))
        return items
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return [{"path": path, "message": str(item)} for item in detail]
        items = []
        for index, value in enumerate(detail):
            if value:
                items.extend(flatten_errors(value, [*path, index]))
        return items
    return [{"path": path, "message": str(detail)}]


def _validation_message(details: list[dict]) -> str:
    if not details:
        return "The request is invalid."
    first = details[0]
    where = ".".join(str(p) for p in first["path"])
    prefix = f"{where}: " if where else ""
    more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
    return f"{prefix}{first['message']}{more}"


def validation_error(details: list[dict]) -> Response:
    return error_response(400, "VALIDATION_ERROR", _validation_message(details), details)


def exception_handler(exc: Exception, context: dict) -> Response:
    """DRF exception handler: every exception becomes the error envelope; nothing leaks internals."""
    set_rollback()
    if isinstance(exc, exceptions.ValidationError):
        return validation_error(flatten_errors(exc.detail))
    if isinstance(exc, exceptions.ParseError):
        return validation_error([{"path": [], "message": f"Malformed request body: {exc.detail}"}])
    if isinstance(exc, RequestDataTooBig | RequestBodyTooLarge):
        return error_response(413, "PAYLOAD_TOO_LARGE", "The request body is too large.")
    if isinstance(exc, TooManyFieldsSent):
        return validation_error([{"path": [], "message": "The request has too many fields."}])
    if isinstance(exc, DjangoValidationError):
        # A model's own checks (e.g. psa.bounds' text limits) refusing a save the serializer let through.
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return validation_error(flatten_errors(detail))
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return error_response(401, "UNAUTHORIZED", UNAUTHORIZED_MESSAGE, headers={"WWW-Authenticate": "Bearer"})
    if isinstance(exc, exceptions.PermissionDenied | DjangoPermissionDenied):
        message = str(getattr(exc, "detail", "") or exc) or "You do not have permission to perform this action."
        return error_response(403, "FORBIDDEN", message)
    if isinstance(exc, Http404 | exceptions.NotFound):
        return error_response(404, "NOT_FOUND", "The requested resource was not found.")
    if isinstance(exc, exceptions.MethodNotAllowed):
        return error_response(405, "METHOD_NOT_ALLOWED", str(exc.detail))
    if isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait or 1)
        return error_response(
            429, "RATE_LIMITED", f"Too many requests; retry in {wait} seconds.", headers={"Retry-After": str(wait)}
        )
    if isinstance(exc, Conflict):
        return error_response(409, "CONFLICT", str(exc.detail))
    if isinstance(exc, ProtectedError | RestrictedError):
        return error_response(409, "CONFLICT", "The object is still referenced by other objects.")
    if isinstance(exc, IntegrityError):
        logger.warning("integrity error on %s", context.get("view").__class__.__name__)
        return error_response(409, "CONFLICT", "The change conflicts with existing data.")
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return error_response(415, "UNSUPPORTED_MEDIA_TYPE", "Send the request body as application/json.")
    if isinstance(exc, exceptions.NotAcceptable):
        return error_response(406, "NOT_ACCEPTABLE", "This API responds with application/json only.")
    if isinstance(exc, exceptions.APIException):
        return error_response(exc.status_code, str(exc.default_code).upper(), str(exc.detail))
    if is_contention(exc):
        return _busy(context)
    logger.exception("unhandled error in %s", context.get("view").__class__.__name__)
    return error_response(500, "INTERNAL_ERROR", "An internal error occurred.")


def _busy(context: dict) -> Response:
    """Another transaction held what this one needed (a deadlock, a lock timeout, SQLite's write lock past its busy
    timeout): the change was rolled back whole, so the caller may send the same request again."""
    logger.warning("database contention in %s; answered 503", context.get("view").__class__.__name__)
    return error_response(503, "BUSY", BUSY_MESSAGE, headers=busy_headers())
