"""Request middleware: the error envelope on API paths, the Permissions-Policy header, and idle sign-out."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger("psa.api")


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "details": None}}, status=status)


class ApiErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/api/v1") or "json" in response.get("Content-Type", ""):
            return response
        if response.status_code == 404:
            return _error(404, "NOT_FOUND", "The requested resource was not found.")
        if response.status_code == 400:
            return _error(400, "VALIDATION_ERROR", "The request could not be read.")
        if response.status_code >= 500:
            return _error(500, "INTERNAL_ERROR", "An internal error occurred.")
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith("/api/v1"):
            return None
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return _error(500, "INTERNAL_ERROR", "An internal error occurred.")


class PermissionsPolicyMiddleware:
    """Adds ``Permissions-Policy`` (``settings.PERMISSIONS_POLICY``) to every response that has none."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "PERMISSIONS_POLICY", "")
        if policy and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = policy
        return response


class SessionIdleMiddleware:
    """Signs a browser out after ``PSA_SESSION_IDLE_MINUTES`` without a request.

    A session's expiry is ``SESSION_COOKIE_AGE`` after its last save; this renews it while the user is active, at
    most once per ``SESSION_RENEW_INTERVAL`` seconds, so a busy user does not write the session on every request.
    """

    SEEN_KEY = "_psa_seen"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and SESSION_KEY in session:
            now = int(time.time())
            seen = session.get(self.SEEN_KEY)
            if not isinstance(seen, int) or now - seen >= settings.SESSION_RENEW_INTERVAL:
                self.mark_seen(session)  # marks the session modified: saved with a fresh expiry
        return self.get_response(request)

    @classmethod
    def mark_seen(cls, session) -> None:
        session[cls.SEEN_KEY] = int(time.time())
