"""The HTTP client every integration builds on: httpx with timeouts, retries, typed errors and redacted logs.

Retries: 429, 502, 503 and 504, connection errors and timeouts are retried with exponential back-off and jitter,
honouring ``Retry-After`` (delta-seconds or an HTTP date); every other 4xx is raised at once as a typed error.
The clock, the sleep and the random source are injectable so tests never wait.
"""

from __future__ import annotations

import email.utils
import functools
import logging
import queue
import random
import re
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import certifi
import httpx
from django.conf import settings

from psa.utils import loads_json

logger = logging.getLogger("integrations.http")

RETRY_STATUSES = frozenset({429, 502, 503, 504})
SENSITIVE_HEADERS = frozenset(
    {"authorization", "x-api-key", "cookie", "set-cookie", "x-csrf-token", "proxy-authorization", "clientid"}
)
SENSITIVE_PARAMS = re.compile(r"(?i)(key|token|secret|password|passphrase|otp|auth)")
REDACTED = "[REDACTED]"


class IntegrationError(Exception):
    """Base of every error a client raises; ``str()`` never contains a secret."""

    def __init__(self, message: str, *, status: int | None = None, url: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.url = url


class AuthenticationError(IntegrationError):
    """The system refused the credentials (401, 403, or an expired session)."""


class NotFoundError(IntegrationError):
    """404: the object does not exist, or (on some systems) the tenant or codebase is wrong."""


class RateLimitedError(IntegrationError):
    """429 after every retry, or a ``Retry-After`` longer than we are willing to wait."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class UpstreamError(IntegrationError):
    """The system failed (5xx), could not be reached, timed out, or rejected the request (other 4xx)."""


class MalformedResponseError(IntegrationError):
    """The answer is not what the API promises (not JSON, wrong shape)."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6  # in all, the first try included
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_retry_after: float = 120.0  # a longer Retry-After is raised as RateLimitedError rather than slept

    @classmethod
    def from_settings(cls) -> RetryPolicy:
        return cls(
            attempts=settings.INTEGRATIONS_HTTP_ATTEMPTS,
            max_delay=settings.INTEGRATIONS_HTTP_MAX_BACKOFF,
            max_retry_after=settings.INTEGRATIONS_HTTP_MAX_RETRY_AFTER,
        )

    def backoff(self, attempt: int, rng: Callable[[], float]) -> float:
        """Delay before retry number ``attempt`` (1-based): exponential, capped, with jitter in [50 %, 100 %]."""
        delay = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return delay * (0.5 + rng() / 2)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date; ``None`` if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: (REDACTED if k.lower() in SENSITIVE_HEADERS else v) for k, v in headers.items()}


def redact_url(url: str) -> str:
    """The URL without user info and with secret-looking query parameters blanked."""
    parts = urlsplit(str(url))
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = [(k, REDACTED if SENSITIVE_PARAMS.search(k) else v) for k, v in parse_qsl(parts.query, True)]
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query), ""))


def default_timeout() -> httpx.Timeout:
    return httpx.Timeout(settings.INTEGRATIONS_HTTP_TIMEOUT, connect=settings.INTEGRATIONS_HTTP_CONNECT_TIMEOUT)


class ApiClient:
    """One vendor API for one source. Subclasses add auth headers, paging and the vendor's calls.

    ``transport`` lets tests serve the client from a simulator in-process (``httpx.WSGITransport``).
    """

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        verify: bool | str | ssl.SSLContext = True,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.retry = retry or RetryPolicy.from_settings()
        self.clock, self.sleep, self.rng = clock, sleep, rng
        self.http = httpx.Client(
            base_url=base_url,
            headers=dict(headers or {}),
            transport=transport,
            timeout=timeout if timeout is not None else default_timeout(),
            verify=tls_context(None if verify is True else verify)
            if isinstance(verify, bool | str) and verify
            else verify,
            follow_redirects=False,
        )
        self.requests_made = 0

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- the request loop ---------------------------------------------------------------------------------------

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send with retries; returns a 2xx response or raises a typed :class:`IntegrationError`."""
        attempt = 0
        while True:
            attempt += 1
            self.before_send()
            started = time.monotonic()
            try:
                self.requests_made += 1
                response = self.http.request(method, url, **kwargs)
            except httpx.TimeoutException as exc:
                error: IntegrationError = UpstreamError(f"Timed out: {type(exc).__name__}", url=redact_url(url))
                wait = None
            except httpx.TransportError as exc:
                error = UpstreamError(f"Could not connect: {type(exc).__name__}", url=redact_url(url))
                wait = None
            else:
                self._log(method, response, started, attempt)
                if response.is_success:
                    return response
                error = self.error_for(response)
                if not self.should_retry(response):
                    raise error
                wait = parse_retry_after(response.headers.get("Retry-After"), self.clock())
                if wait is not None and wait > self.retry.max_retry_after:
                    raise RateLimitedError(
                        f"The server asks to wait {wait:.0f} s (more than {self.retry.max_retry_after:.0f} s).",
                        retry_after=wait,
                        status=response.status_code,
                        url=error.url,
                    )
            if attempt >= self.retry.attempts:
                raise error
            delay = wait if wait is not None else self.retry.backoff(attempt, self.rng)
            logger.info("retrying %s %s in %.2f s (%s)", method, error.url or redact_url(url), delay, error.message)
            self.sleep(delay)

    def before_send(self) -> None:
        """Called before every attempt, retries included: a vendor with a published rate limit paces here."""

    def _log(self, method: str, response: httpx.Response, started: float, attempt: int) -> None:
        if not logger.isEnabledFor(logging.DEBUG):
            return  # the redacted URL and headers are worked out only for a line that is written
        logger.debug(
            "%s %s -> %s in %.0f ms (attempt %s, headers %s)",
            method,
            redact_url(response.request.url),
            response.status_code,
            (time.monotonic() - started) * 1000,
            attempt,
            redact_headers(response.request.headers),
        )

    def should_retry(self, response: httpx.Response) -> bool:
        """429/502/503/504 by default; a vendor may add its own transient answers."""
        return response.status_code in RETRY_STATUSES

    def error_for(self, response: httpx.Response) -> IntegrationError:
        """Map an unsuccessful response to a typed error; vendors may override to read their error bodies."""
        status = response.status_code
        url = redact_url(response.request.url)
        detail = self.error_detail(response)
        text = f"HTTP {status}{': ' + detail if detail else ''}"
        if status in (401, 403):
            return AuthenticationError(text, status=status, url=url)
        if status == 404:
            return NotFoundError(text, status=status, url=url)
        if status == 429:
            wait = parse_retry_after(response.headers.get("Retry-After"), self.clock())
            return RateLimitedError(text, retry_after=wait, status=status, url=url)
        return UpstreamError(text, status=status, url=url)

    @staticmethod
    def error_detail(response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return ""
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            return body["message"][:300]
        return ""

    def get_json(self, url: str, **kwargs: Any) -> Any:
        return self.decode(self.request("GET", url, **kwargs))

    @staticmethod
    def decode(response: httpx.Response) -> Any:
        """The JSON body. orjson reads UTF-8 (what JSON is sent as) several times faster than the standard library,
        which still gets what orjson refuses (another declared charset, NaN) before the answer counts as malformed.
        A body with a long number is read by the standard parser, which keeps integers beyond 64 bits exact."""
        try:
            return loads_json(response.content)
        except ValueError:
            pass
        try:
            return response.json()
        except ValueError:
            raise MalformedResponseError(
                f"Not JSON (HTTP {response.status_code}, {response.headers.get('content-type', 'no type')})",
                status=response.status_code,
                url=redact_url(response.request.url),
            ) from None


def tls_context(cafile: str | None = None) -> ssl.SSLContext:
    """The verifying TLS context for a CA bundle (certifi's by default), built once per process: loading a bundle
    costs about 20 ms of CPU (more on a busy host), which every live call paid when each client built its own; a
    context is safe to share between clients and threads."""
    return _tls_context(cafile or certifi.where())


@functools.lru_cache(maxsize=16)
def _tls_context(cafile: str) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=cafile)


T = TypeVar("T")
K = TypeVar("K")
_END = object()


def read_ahead(items: Iterable[T], depth: int) -> Iterator[T]:
    """``items`` produced by a thread up to ``depth`` ahead of the consumer: the next page is on its way while this
    one is written (forward-only paging cannot be split up, but it can overlap the work). The producer must not touch
    the database (a connection belongs to its thread); its exceptions reach the consumer in order. ``depth`` 0
    produces in the caller's thread."""
    if depth <= 0:
        yield from items
        return
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(value: Any) -> bool:
        while not stop.is_set():
            try:
                ready.put(value, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        iterator = iter(items)
        try:
            for value in iterator:
                if not put((value, None)):
                    return
        except BaseException as exc:  # handed to the consumer, which raises it where the item would have been
            put((_END, exc))
            return
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()
        put((_END, None))

    thread = threading.Thread(target=produce, name="integrations-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            value, error = ready.get()
            if value is _END:
                if error is not None:
                    raise error
                return
            yield value
    finally:
        stop.set()
        thread.join(timeout=30)


def in_order(work: Callable[[K], T], keys: Iterable[K], workers: int) -> Iterator[T]:
    """``work(key)`` for each key, up to ``workers`` at once in threads, the results yielded in the keys' order (an
    exception where its result would have been; what was still queued is cancelled). For collections listed per
    parent (ConnectWise sites per company): a request each, one at a time, left the sync waiting on round trips.
    ``workers`` 1 runs them one by one in the caller's thread. ``work`` must not touch the database."""
    if workers <= 1:
        for key in keys:
            yield work(key)
        return
    pending: deque[Future] = deque()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="integrations-fetch") as pool:
        try:
            for key in keys:
                pending.append(pool.submit(work, key))
                if len(pending) >= 2 * workers:  # a bounded window: results wait in memory only this far ahead
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
