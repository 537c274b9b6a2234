"""A thin typed client for the UniFi Network application's legacy API (shared/reference/integrations.md §4).

The deployment type is detected once (``GET /`` without redirects: 302 is a classic controller, 200 a UniFi OS
console; an API key means UniFi OS) and kept with the session. One session per source, in a :class:`SessionStore`
(the Django cache for sources), reused by every call and every process: the login is itself rate-limited, so the
client never logs in per request. A 401 logs in again once and replays the call. ``meta.rc`` is checked on every
answer (errors come with HTTP 200 too) and mapped to typed errors carrying UniFi's message code.
"""

from __future__ import annotations

from typing import Any, Protocol

import httpx

from integrations.http import (
    ApiClient,
    AuthenticationError,
    IntegrationError,
    MalformedResponseError,
    NotFoundError,
    RateLimitedError,
    UpstreamError,
    redact_url,
)

CLASSIC, UNIFI_OS = "classic", "unifi_os"
LOGIN_PATHS = {CLASSIC: "/api/login", UNIFI_OS: "/api/auth/login"}
SESSION_COOKIES = {CLASSIC: "unifises", UNIFI_OS: "TOKEN"}
PREFIXES = {CLASSIC: "", UNIFI_OS: "/proxy/network"}
NOT_FOUND_CODES = {"api.err.IdInvalid", "api.err.NoSiteContext", "api.err.NotFound", "api.err.ObjectNotFound"}
AUTH_CODES = {"api.err.LoginRequired", "api.err.Invalid", "api.err.NoPermission", "api.err.Ubic2faTokenRequired"}


class UnifiApiError(IntegrationError):
    """The controller answered ``meta.rc: "error"``; ``code`` is its ``meta.msg`` (``api.err.…``)."""

    def __init__(self, message: str, *, code: str = "", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.code = code


class UnifiRejectedError(UnifiApiError):
    """The controller refused a write (``api.err.Invalid…``, a limit): the request was wrong, not the controller."""


class UnifiNotFoundError(NotFoundError):
    """An unknown site (``api.err.NoSiteContext``) or object id (``api.err.IdInvalid``)."""

    def __init__(self, message: str, *, code: str = "", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.code = code


class SessionStore(Protocol):
    def load(self) -> dict | None: ...

    def save(self, session: dict) -> None: ...

    def clear(self) -> None: ...


class MemorySessionStore:
    """A session kept by this client only (tests, the benchmark)."""

    def __init__(self) -> None:
        self.session: dict | None = None

    def load(self) -> dict | None:
        return self.session

    def save(self, session: dict) -> None:
        self.session = dict(session)

    def clear(self) -> None:
        self.session = None


def _envelope_code(response: httpx.Response) -> tuple[str, str]:
    """``(code, message)`` from a legacy envelope or a UniFi OS ``{code, message}`` body; blanks if neither."""
    try:
        body = response.json()
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    meta = body.get("meta")
    if isinstance(meta, dict) and isinstance(meta.get("msg"), str):
        return meta["msg"][:100], meta["msg"][:300]
    code, message = body.get("code"), body.get("message")
    return (code[:100] if isinstance(code, str) else ""), (message[:300] if isinstance(message, str) else "")


class UnifiClient(ApiClient):
    def __init__(
        self,
        base_url: str,
        *,
        username: str = "",
        password: str = "",
        api_key: str = "",
        deployment: str = "auto",
        session_store: SessionStore | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(base_url.rstrip("/"), headers={"Accept": "application/json"}, **kwargs)
        self.username, self._password, self._api_key = username, password, api_key
        self.store = session_store or MemorySessionStore()
        self.forced_deployment = None if deployment == "auto" else deployment
        self.deployment: str | None = None
        self.csrf = ""
        self.logins = 0
        self._restored = False
        if api_key:
            self.http.headers["X-API-KEY"] = api_key

    # --- deployment and session -----------------------------------------------------------------------------------

    def detect(self) -> str:
        """``classic`` or ``unifi_os``: ``GET /`` with redirects off (an API key implies UniFi OS, no probe)."""
        if self.forced_deployment:
            return self.forced_deployment
        if self._api_key:
            return UNIFI_OS
        try:
            self.requests_made += 1
            response = self.http.get("/")
        except httpx.TimeoutException as exc:
            raise UpstreamError(f"Timed out: {type(exc).__name__}", url=redact_url(self.http.base_url)) from None
        except httpx.TransportError as exc:
            raise UpstreamError(
                f"Could not connect: {type(exc).__name__}", url=redact_url(self.http.base_url)
            ) from None
        if response.status_code in (301, 302, 303, 307, 308):
            return CLASSIC
        if response.is_success:
            return UNIFI_OS
        raise UpstreamError(f"HTTP {response.status_code} on GET / (neither a controller nor a console)")

    def _restore(self) -> None:
        if self._restored:
            return
        self._restored = True
        saved = self.store.load()
        if not saved or saved.get("deployment") not in PREFIXES:
            return
        self.deployment = saved["deployment"]
        self.csrf = saved.get("csrf", "")
        if saved.get("token"):
            self.http.cookies.set(SESSION_COOKIES[self.deployment], saved["token"])

    def ensure_session(self) -> None:
        self._restore()
        if self.deployment is None:
            self.deployment = self.detect()
        if self._api_key:
            return
        if not self.http.cookies.get(SESSION_COOKIES[self.deployment]):
            self.login()

    def login(self) -> None:
        """Sign in once; a 429 (or a 2xx without a session, which throttled consoles send) is a RateLimitedError."""
        if self.deployment is None:
            self.deployment = self.detect()
        if not (self.username and self._password):
            raise AuthenticationError("The source has no username or no password in the vault.")
        self.http.cookies.clear()
        self.csrf = ""
        self.logins += 1
        body = {"username": self.username, "password": self._password}
        if self.deployment == UNIFI_OS:
            body["rememberMe"] = True
        try:
            response = self.request("POST", LOGIN_PATHS[self.deployment], json=body)
        except IntegrationError:
            self.store.clear()
            raise
        if self.deployment == CLASSIC:
            self._check_rc(response, self.decode(response))
        token = self.http.cookies.get(SESSION_COOKIES[self.deployment])
        csrf = response.headers.get("X-CSRF-Token") or self.http.cookies.get("csrf_token") or ""
        if not token or (self.deployment == UNIFI_OS and not csrf):
            self.store.clear()
            raise RateLimitedError("The controller answered the login without a session (it is throttling logins).")
        self.csrf = csrf
        self.store.save({"deployment": self.deployment, "token": token, "csrf": csrf})

    def should_retry(self, response: httpx.Response) -> bool:
        """Never retry a login: the login is rate-limited, and hammering it locks the account out for longer."""
        if self.deployment and response.request.url.path == LOGIN_PATHS[self.deployment]:
            return False
        return super().should_retry(response)

    def error_for(self, response: httpx.Response) -> IntegrationError:
        code, message = _envelope_code(response)
        status, url = response.status_code, redact_url(response.request.url)
        text = f"UniFi {message or f'HTTP {status}'}" + (f" (HTTP {status})" if message else "")
        if status == 429:
            return RateLimitedError(text, status=status, url=url)
        if status in (401, 403) or code in AUTH_CODES:
            return AuthenticationError(text, status=status, url=url)
        if code in NOT_FOUND_CODES or status == 404:
            return UnifiNotFoundError(text, code=code, status=status, url=url)
        if 400 <= status < 500 and code:
            return UnifiRejectedError(text, code=code, status=status, url=url)
        return UpstreamError(text, status=status, url=url)

    # --- calls ----------------------------------------------------------------------------------------------------

    def _send(self, method: str, path: str, body: Any) -> httpx.Response:
        headers = {"X-CSRF-Token": self.csrf} if self.csrf else {}
        response = self.request(method, PREFIXES[self.deployment] + path, json=body, headers=headers)
        updated = response.headers.get("X-Updated-CSRF-Token")
        if updated and updated != self.csrf:
            self.csrf = updated
            token = self.http.cookies.get(SESSION_COOKIES[self.deployment]) or ""
            self.store.save({"deployment": self.deployment, "token": token, "csrf": updated})
        return response

    def call(self, method: str, path: str, body: Any = None) -> Any:
        """One Network API call (``path`` after the prefix); re-logs in once on a 401. Returns the decoded body."""
        self.ensure_session()
        try:
            response = self._send(method, path, body)
        except AuthenticationError as exc:
            if exc.status != 401 or self._api_key:
                raise
            self.store.clear()
            self.login()
            response = self._send(method, path, body)
        return self.decode(response), response

    def data(self, method: str, path: str, body: Any = None) -> list[dict]:
        """A legacy-envelope call: checks ``meta.rc`` and returns ``data`` (always a list)."""
        decoded, response = self.call(method, path, body)
        self._check_rc(response, decoded)
        rows = decoded.get("data")
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise MalformedResponseError("'data' is not a list of objects.", url=redact_url(response.request.url))
        return rows

    def _check_rc(self, response: httpx.Response, decoded: Any) -> None:
        url = redact_url(response.request.url)
        if not isinstance(decoded, dict) or not isinstance(decoded.get("meta"), dict):
            raise MalformedResponseError("The answer has no 'meta' envelope.", url=url)
        meta = decoded["meta"]
        if meta.get("rc") == "ok":
            return
        code = str(meta.get("msg") or "unknown error")[:100]
        if code in AUTH_CODES:
            raise AuthenticationError(f"UniFi {code}", status=response.status_code, url=url)
        if code in NOT_FOUND_CODES:
            raise UnifiNotFoundError(f"UniFi {code}", code=code, status=response.status_code, url=url)
        raise UnifiApiError(f"UniFi {code}", code=code, status=response.status_code, url=url)

    def one(self, method: str, path: str, body: Any = None) -> dict | None:
        rows = self.data(method, path, body)
        return rows[0] if rows else None

    # --- the Network application's resources ---------------------------------------------------------------------

    def sites(self) -> list[dict]:
        return self.data("GET", "/api/self/sites")

    def create_site(self, description: str) -> dict:
        site = self.one("POST", "/api/s/default/cmd/sitemgr", {"cmd": "add-site", "desc": description})
        if site is None or not isinstance(site.get("name"), str):
            raise MalformedResponseError("add-site returned no site.")
        return site

    def health(self, site: str) -> list[dict]:
        return self.data("GET", f"/api/s/{site}/stat/health")

    def sysinfo(self, site: str) -> dict:
        return self.one("GET", f"/api/s/{site}/stat/sysinfo") or {}

    def devices(self, site: str) -> list[dict]:
        return self.data("GET", f"/api/s/{site}/stat/device")

    def wlans(self, site: str) -> list[dict]:
        return self.data("GET", f"/api/s/{site}/rest/wlanconf")

    def wlan(self, site: str, wlan_id: str) -> dict:
        found = self.one("GET", f"/api/s/{site}/rest/wlanconf/{wlan_id}")
        if found is None:
            raise UnifiNotFoundError("UniFi api.err.IdInvalid", code="api.err.IdInvalid", status=400)
        return found

    def update_wlan(self, site: str, wlan_id: str, changes: dict) -> dict:
        """PUT a partial WLAN; a UDM SE answers ``data: []``, so read it back then."""
        updated = self.one("PUT", f"/api/s/{site}/rest/wlanconf/{wlan_id}", changes)
        return updated if updated is not None else self.wlan(site, wlan_id)

    def networks(self, site: str) -> list[dict]:
        return self.data("GET", f"/api/s/{site}/rest/networkconf")

    def usergroups(self, site: str) -> list[dict]:
        return self.data("GET", f"/api/s/{site}/rest/usergroup")

    def create_usergroup(self, site: str, body: dict) -> dict:
        return self.one("POST", f"/api/s/{site}/rest/usergroup", body) or {}

    def wlangroups(self, site: str) -> list[dict]:
        return self.data("GET", f"/api/s/{site}/rest/wlangroup")

    def create_wlangroup(self, site: str, name: str) -> dict:
        return self.one("POST", f"/api/s/{site}/rest/wlangroup", {"name": name}) or {}

    def apgroups(self, site: str) -> list[dict]:
        """The v2 AP groups: a bare array, no envelope."""
        decoded, response = self.call("GET", f"/v2/api/site/{site}/apgroups")
        if not isinstance(decoded, list) or not all(isinstance(row, dict) for row in decoded):
            raise MalformedResponseError("apgroups is not an array of objects.", url=redact_url(response.request.url))
        return decoded
