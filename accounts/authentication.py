"""API key authentication: ``X-API-Key: <key>`` or ``Authorization: Bearer <key>``. Never a query string."""

from __future__ import annotations

from django.conf import settings
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed, Throttled

from accounts import callers
from psa import ratelimit
from psa.access import remember_caller


def _presented_key(request) -> str | None:
    header = request.META.get("HTTP_X_API_KEY")
    if header is not None:
        return header.strip()
    authorization = request.META.get("HTTP_AUTHORIZATION")
    if authorization is None:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    # Any other scheme is a credential we do not accept: refuse it rather than fall through to the session.
    return value.strip() if scheme.lower() == "bearer" else ""


def _bad_key_bucket(request) -> str:
    return f"api-bad-key:{request.META.get('REMOTE_ADDR') or 'unknown'}"


class ApiKeyAuthentication(BaseAuthentication):
    """Checks a presented key. ``settings.API_BAD_KEY_LIMIT`` bad keys from one address refuse that address's keys,
    good or bad, with 429 and ``Retry-After`` until the window ends, so keys cannot be guessed at speed."""

    def authenticate(self, request):
        raw = _presented_key(request)
        if raw is None:
            return None
        rate = ratelimit.parse_rate(settings.API_BAD_KEY_LIMIT)
        bucket = _bad_key_bucket(request)
        blocked = ratelimit.peek_rare(bucket, rate)
        if blocked.count >= rate.limit:
            raise Throttled(wait=blocked.reset)
        resolved = callers.authenticate(raw)
        if resolved is None:
            ratelimit.hit_rare(bucket, rate)
            raise AuthenticationFailed()
        resolved.key.touch(request.META.get("REMOTE_ADDR"))  # on the cached key, so the next request skips it
        key = resolved.for_request()
        remember_caller(request, resolved.nodes, resolved.scope)
        return key.owner, key

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="psa"'
