"""A thin typed client for the Hudu REST API v1 (see shared/reference/integrations.md §3).

Authentication is the ``x-api-key`` header. Lists are generators over ``?page=N`` (25 records a page, Hudu's fixed
size) that stop on an empty page, or on a page that repeats the previous one (endpoints that ignore ``page``).
Incremental pulls filter ``updated_at=<start>,`` (an open range). Hudu allows 300 requests a minute per instance:
:class:`Pacer` spaces our requests so the client never causes a 429 itself.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
from django.conf import settings

from integrations.http import ApiClient, AuthenticationError, IntegrationError, MalformedResponseError

PAGE_SIZE = 25  # Hudu's documented page size; we never ask for more
MAX_PAGES = 100_000  # a runaway guard: 2.5 million records of one kind

# Collections and their envelope keys (websites answer a bare array).
ENVELOPES = {
    "companies": "companies",
    "asset_layouts": "asset_layouts",
    "assets": "assets",
    "asset_passwords": "asset_passwords",
    "websites": None,
}


class PasswordAccessDenied(AuthenticationError):
    """The API key was created without access to passwords (401/403 on ``/asset_passwords``)."""


class Pacer:
    """At most ``limit`` requests in any sliding ``window`` seconds: waits (with the injected sleep) before one
    that would exceed it. The limit sits below Hudu's 300/min so clocks and other callers leave a margin."""

    def __init__(
        self,
        limit: int,
        window: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit, self.window, self.clock, self.sleep = max(1, limit), window, clock, sleep
        self.sent: deque[float] = deque()
        self.waited = 0.0

    def wait(self) -> None:
        now = self.clock()
        while self.sent and now - self.sent[0] >= self.window:
            self.sent.popleft()
        if len(self.sent) >= self.limit:
            delay = self.window - (now - self.sent[0])
            if delay > 0:
                self.waited += delay
                self.sleep(delay)
            now = self.clock()
            self.sent.popleft()
        self.sent.append(now)


def hudu_time(value: Any) -> datetime | None:
    """Hudu's ISO-8601 timestamps (``2026-01-01T10:00:00.000Z``); ``None`` if absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class HuduClient(ApiClient):
    def __init__(
        self,
        base_url: str,
        *,
        api_key: str,
        pacer: Pacer | None = None,
        requests_per_minute: int | None = None,
        **kwargs: Any,
    ) -> None:
        headers = {"x-api-key": api_key, "Accept": "application/json", "Content-Type": "application/json"}
        super().__init__(api_base(base_url), headers=headers, **kwargs)
        limit = requests_per_minute or settings.HUDU_REQUESTS_PER_MINUTE
        self.pacer = pacer or Pacer(limit, sleep=self.sleep)

    def before_send(self) -> None:
        """Every attempt, retries included, waits for its place under the rate limit."""
        self.pacer.wait()

    def should_retry(self, response: httpx.Response) -> bool:
        """A 500 on a read is worth another try too (Hudu's own client retries 5xx on GET)."""
        if response.status_code == 500 and response.request.method == "GET":
            return True
        return super().should_retry(response)

    def error_for(self, response: httpx.Response) -> IntegrationError:
        error = super().error_for(response)
        path = response.request.url.path
        if isinstance(error, AuthenticationError) and "/asset_passwords" in path:
            return PasswordAccessDenied(error.message, status=error.status, url=error.url)
        return error

    @staticmethod
    def error_detail(response: httpx.Response) -> str:
        """Hudu answers ``{"error": "…"}`` or ``{"message": "…"}``; both are read."""
        try:
            body = response.json()
        except ValueError:
            return ""
        if isinstance(body, dict):
            for key in ("message", "error"):
                if isinstance(body.get(key), str):
                    return body[key][:300]
        return ""

    # --- lists ---------------------------------------------------------------------------------------------

    def iter_pages(self, collection: str, *, updated_since: datetime | None = None, **filters: Any) -> Iterator[list]:
        """Pages of a collection until an empty page (or a page that repeats the previous one's ids)."""
        key = ENVELOPES[collection]
        params: dict[str, Any] = {k: v for k, v in filters.items() if v is not None}
        if updated_since is not None:
            params["updated_at"] = f"{format_time(updated_since)},"
        previous: list | None = None
        for page in range(1, MAX_PAGES + 1):
            response = self.request("GET", collection, params={**params, "page": page})
            body = self.decode(response)
            rows = body.get(key) if key is not None and isinstance(body, dict) else body
            if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
                raise MalformedResponseError(
                    f"A page of {collection} is not a list of objects.", url=str(response.request.url)
                )
            if not rows:
                return
            ids = [row.get("id") for row in rows]
            if ids == previous:
                return  # the endpoint ignored ``page``
            previous = ids
            yield rows
        raise MalformedResponseError(f"{collection} did not end after {MAX_PAGES} pages.")

    # --- calls ---------------------------------------------------------------------------------------------

    def api_info(self) -> dict:
        body = self.get_json("api_info")
        if not isinstance(body, dict):
            raise MalformedResponseError("api_info is not an object.")
        return body

    def first_page(self, collection: str) -> list:
        """Page 1 of a collection (connection tests and the password-access probe)."""
        return next(self.iter_pages(collection), [])


def api_base(base_url: str) -> str:
    """``https://acme.huducloud.com`` and ``…/api/v1`` both become ``…/api/v1/``."""
    base = base_url.rstrip("/")
    if not base.endswith("/api/v1"):
        base = f"{base}/api/v1"
    return f"{base}/"
