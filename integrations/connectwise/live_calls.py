"""Live ConnectWise calls made while a request waits (seed 004's procurement and sales routes).

Each call is bounded: one try (no retry back-off), ``PSA_INTEGRATIONS_LIVE_TIMEOUT`` seconds, and reads are cached
for ``PSA_INTEGRATIONS_LIVE_CACHE_SECONDS``. A route that has nothing but the live answer turns a failure into
``UPSTREAM_UNAVAILABLE`` (503 when ConnectWise cannot be reached or is failing, 502 when it answered in a way we
cannot use); a route with local data serves that data and says so in ``meta`` (:func:`unavailable_meta`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import httpx
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound

from integrations.http import (
    AuthenticationError,
    IntegrationError,
    MalformedResponseError,
    NotFoundError,
    RetryPolicy,
)

T = TypeVar("T")


class UpstreamUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "upstream_unavailable"
    default_detail = "ConnectWise is unavailable; try again later."

    def __init__(self, detail: str, status_code: int = status.HTTP_503_SERVICE_UNAVAILABLE) -> None:
        super().__init__(detail)
        self.status_code = status_code


def as_api_error(exc: IntegrationError, what: str = "The record") -> APIException:
    """The API error for a failed live call: 404 for a missing record, 502 for an unusable answer, else 503."""
    if isinstance(exc, NotFoundError):
        return NotFound(f"{what} was not found in ConnectWise.")
    name = type(exc).__name__
    if isinstance(exc, MalformedResponseError | AuthenticationError) or (exc.status and 400 <= exc.status < 500
                                                                          and exc.status != 429):  # fmt: skip
        return UpstreamUnavailable(f"ConnectWise gave an answer we cannot use ({name}).", status.HTTP_502_BAD_GATEWAY)
    return UpstreamUnavailable(f"ConnectWise did not answer in time or is failing ({name}); try again later.")


def _timeout() -> httpx.Timeout:
    seconds = settings.INTEGRATIONS_LIVE_TIMEOUT
    return httpx.Timeout(seconds, connect=min(seconds, settings.INTEGRATIONS_HTTP_CONNECT_TIMEOUT))


@contextmanager
def connectwise(source, what: str = "The record") -> Iterator[Any]:
    """A bounded ConnectWise client for ``source``; an :class:`IntegrationError` inside becomes an API error."""
    from integrations.sync import build_client

    if source is None or not source.enabled:
        raise UpstreamUnavailable("No enabled ConnectWise source holds this record.")
    try:
        with build_client(source, retry=RetryPolicy(attempts=1), timeout=_timeout()) as api:
            yield api
    except IntegrationError as exc:
        raise as_api_error(exc, what) from None


def cache_key(source, *parts: Any) -> str:
    """A short key (memcached and Redis both like them under 250 characters), whatever the parts' length."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()[:32]
    return f"integrations:cw-live:{source.pk}:{parts[0] if parts else ''}:{digest}"


def cached(source, parts: tuple, fetch: Callable[[], T]) -> tuple[T, bool]:
    """``(value, from_cache)``: the cached answer, or ``fetch()`` stored for the live cache's lifetime."""
    key = cache_key(source, *parts)
    hit = cache.get(key)
    if hit is not None:
        return hit["value"], True
    value = fetch()
    cache.set(key, {"value": value}, settings.INTEGRATIONS_LIVE_CACHE_SECONDS)
    return value, False


def forget(source, *parts: Any) -> None:
    """Drop a cached read after a write changed it."""
    cache.delete(cache_key(source, *parts))


def live_meta(from_cache: bool) -> dict:
    return {"connectwise": {"status": "live", "cached": from_cache, "at": timezone.now().isoformat()}}


def unavailable_meta(error: APIException) -> dict:
    return {
        "connectwise": {
            "status": "unavailable",
            "code": "UPSTREAM_UNAVAILABLE",
            "message": f"{error.detail} Showing the local copy.",
        }
    }
