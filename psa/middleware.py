"""Request-level guards: the API's error envelope outside DRF, the rate limit, the request-size limit, the
Permissions-Policy and Content-Security-Policy headers, idle sign-out, and message storage made on first use."""

from __future__ import annotations

import hashlib
import logging
import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import csp.middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject, empty

from psa import generations, ratelimit

logger = logging.getLogger("psa.api")

API_PREFIX = "/api/v1"


def json_error(status: int, code: str, message: str, headers: dict | None = None) -> JsonResponse:
    body = {"error": {"code": code, "message": message, "details": None}}
    return JsonResponse(body, status=status, headers=headers)


class RequestScopeMiddleware:
    """Each published cache generation (psa.generations) is read once per request, not once per cache lookup."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with generations.request_scope():
            return self.get_response(request)


class ApiErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX) or "json" in response.get("Content-Type", ""):
            return response
        if response.status_code == 404:
            return json_error(404, "NOT_FOUND", "The requested resource was not found.")
        if response.status_code == 400:
            return json_error(400, "VALIDATION_ERROR", "The request could not be read.")
        if response.status_code >= 500:
            return json_error(500, "INTERNAL_ERROR", "An internal error occurred.")
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith(API_PREFIX):
            return None
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return json_error(500, "INTERNAL_ERROR", "An internal error occurred.")


def rate_limit_bucket(request: HttpRequest) -> str:
    """Who a request counts against: the credential it presents, else its signed-in user, else its address.

    A presented key counts under a digest of the whole header value, so nobody can spend another key's budget
    without holding that key; bad keys are throttled per address in ``accounts.authentication``.
    """
    presented = request.META.get("HTTP_X_API_KEY") or request.META.get("HTTP_AUTHORIZATION")
    if presented:
        return "api:credential:" + hashlib.sha256(presented.encode("utf-8", "replace")).hexdigest()[:40]
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"api:user:{user.pk}"
    return f"api:address:{request.META.get('REMOTE_ADDR') or 'unknown'}"


class ApiRateLimitMiddleware:
    """``settings.API_RATE_LIMIT`` for every ``/api/v1`` request, counted before any view runs.

    Every API response carries ``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset``; a refused
    request is a 429 ``RATE_LIMITED`` with ``Retry-After``. Being middleware, no route can opt out.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        usage = ratelimit.hit(rate_limit_bucket(request), ratelimit.parse_rate(settings.API_RATE_LIMIT))
        if not usage.allowed:
            message = f"Too many requests; retry in {usage.reset} seconds."
            return json_error(429, "RATE_LIMITED", message, headers=usage.headers())
        response = self.get_response(request)
        for name, value in usage.headers().items():
            response[name] = value
        return response


class RequestBodyTooLarge(Exception):
    """A request body longer than its limit; raised while reading a body sent without a Content-Length."""


class _CappedStream:
    """Wraps a request's input stream and refuses to read past ``limit`` bytes (chunked or lying bodies)."""

    def __init__(self, stream, limit: int) -> None:
        self._stream = stream
        self._left = limit

    def _take(self, data: bytes) -> bytes:
        self._left -= len(data)
        if self._left < 0:
            raise RequestBodyTooLarge()
        return data

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return self._take(self._stream.read(self._left + 1))
        return self._take(self._stream.read(min(size, self._left + 1)))

    def readline(self, size: int = -1) -> bytes:
        limit = self._left + 1 if size is None or size < 0 else min(size, self._left + 1)
        return self._take(self._stream.readline(limit))

    def __getattr__(self, name: str):
        # Everything else (close() when the request ends, and what servers add) is the wrapped stream's.
        return getattr(self._stream, name)


def body_limit(request: HttpRequest) -> int:
    """``MAX_UPLOAD_BYTES`` (plus room for the framing) for multipart uploads, ``MAX_REQUEST_BYTES`` for other bodies."""
    if request.META.get("CONTENT_TYPE", "").lower().startswith("multipart/form-data"):
        # The file may use its whole limit; the multipart framing and other fields get a normal body's room.
        return settings.MAX_UPLOAD_BYTES + settings.MAX_REQUEST_BYTES
    return settings.MAX_REQUEST_BYTES


def query_problem(request: HttpRequest) -> str | None:
    """Why an API request's path or query cannot be used: NUL characters (PostgreSQL cannot even compare one), or a
    query value longer than ``settings.MAX_QUERY_VALUE_LENGTH``."""
    if "\x00" in request.path:
        return "NUL characters are not allowed in the path."
    limit = settings.MAX_QUERY_VALUE_LENGTH
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            return f"{key[:100]}: NUL characters are not allowed."
        if any(len(value) > limit for value in values):
            return f"{key[:100]}: at most {limit} characters."
    return None


class RequestBoundsMiddleware:
    """Refuses a body over its limit with 413 before anything parses it (the API's answer is the error envelope),
    and an unusable API path or query (:func:`query_problem`) with 400."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = query_problem(request) if request.path.startswith(API_PREFIX) else None
        if problem is not None:
            return json_error(400, "VALIDATION_ERROR", problem)
        limit = body_limit(request)
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            return self.too_large(request, limit)
        if hasattr(request, "_stream"):
            request._stream = _CappedStream(request._stream, limit)
        try:
            return self.get_response(request)
        except RequestBodyTooLarge:
            return self.too_large(request, limit)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RequestBodyTooLarge):
            return self.too_large(request, body_limit(request))
        return None

    @staticmethod
    def too_large(request: HttpRequest, limit: int) -> HttpResponse:
        message = f"The request body is larger than {limit} bytes."
        if request.path.startswith(API_PREFIX):
            return json_error(413, "PAYLOAD_TOO_LARGE", message)
        return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")


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


class UserTimeZoneMiddleware:
    """Shows the UI's times in the signed-in user's time zone (their profile setting), the server's otherwise.

    API responses stay in UTC (design.md), so API paths are left alone and never load the session's user for this.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            return self.get_response(request)
        user = getattr(request, "user", None)
        zone = getattr(user, "time_zone", "") if user is not None and user.is_authenticated else ""
        try:
            if zone:
                timezone.activate(ZoneInfo(zone))
            return self.get_response(request)
        except ZoneInfoNotFoundError:
            return self.get_response(request)  # a zone removed from the system's tz data: show server time
        finally:
            timezone.deactivate()


# The policy headers built from settings alone, once per process (``None``: not built yet; "" builds no header).
_settings_policies: dict[bool, str] = {}
_PER_RESPONSE_PARTS = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)


@receiver(setting_changed)
def _forget_policies(*, setting: str, **_ignored) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _settings_policies.clear()


def settings_policy(report_only: bool) -> str:
    """django-csp's header for a response without its own policy parts or a nonce, built once."""
    policy = _settings_policies.get(report_only)
    if policy is None:
        policy = _settings_policies[report_only] = build_policy(report_only=report_only)
    return policy


class ContentSecurityPolicyMiddleware(csp.middleware.CSPMiddleware):
    """django-csp's middleware, with the policy that depends on settings only built once instead of per response.

    A response with its own policy (django-csp's decorators) or a request that used its nonce goes through
    django-csp unchanged; every other response gets the same headers, under the same conditions, from the cache.
    """

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, part, None) is not None for part in _PER_RESPONSE_PARTS
        ):
            return super().process_response(request, response)
        if response.status_code in (500, 404) and settings.DEBUG:
            return response  # django-csp leaves the debug pages alone
        for report_only, header, exempt in (
            (False, HEADER, "_csp_exempt"),
            (True, HEADER_REPORT_ONLY, "_csp_exempt_ro"),
        ):
            policy = settings_policy(report_only)
            if policy and header not in response and getattr(response, exempt, False) is False:
                setting = "CONTENT_SECURITY_POLICY_REPORT_ONLY" if report_only else "CONTENT_SECURITY_POLICY"
                prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES", None) or ()
                if not request.path_info.startswith(tuple(prefixes)):
                    response[header] = policy
        # As django-csp: a nonce asked for after the header was written raises instead of going unnoticed.
        request.csp_nonce = csp.middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response


class LazyMessageMiddleware(MessageMiddleware):
    """Django's ``MessageMiddleware``, whose storage (three objects and a cookie signer) is made when first used.

    A request that never adds or reads a message (every API request) has nothing to store, so its response is left
    alone, exactly as Django's storage leaves it when unused.
    """

    def process_request(self, request: HttpRequest) -> None:
        request._messages = SimpleLazyObject(lambda: default_storage(request))

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        storage = getattr(request, "_messages", None)
        if isinstance(storage, SimpleLazyObject) and storage._wrapped is empty:
            return response
        return super().process_response(request, response)
