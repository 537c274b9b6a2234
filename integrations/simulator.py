"""What every vendor simulator shares: injected faults, a redacted request log, a loopback runner, the WSGI entry.

A vendor simulator (ConnectWise, Hudu, UniFi, OpenID) subclasses :class:`Simulator` and
writes only what its vendor says: :meth:`Simulator.dispatch` (routing, authentication, data) and, where the vendor
checks something before any fault could strike (Hudu's key and rate limit), :meth:`Simulator.respond`.

- Faults (:class:`Fault`), queued by the tests with :meth:`Simulator.fail_next` / :meth:`Simulator.add_fault`, or a
  seeded random share of reads (``fault_rate`` over ``fault_statuses``; 429s carry ``Retry-After``): an error status
  with the vendor's error body, a slow answer (``delay``; status 0 or 200 and no body: the real answer, late), a
  malformed page (200 with truncated JSON), and :meth:`Simulator.expire_credentials` (the vendor's 401 until undone).
- The request log (``requests``, a :class:`RequestLog`): method, path, query, headers and status of every request,
  with ``Authorization``, keys, cookies, tokens and passwords replaced by ``[REDACTED]`` (the same rules as the HTTP
  client's log lines), so a test or a demo log never holds a secret the client sent.
- :meth:`Simulator.serve` runs the app on a loopback port in a thread (:class:`LoopbackServer`); :func:`serve_forever`
  runs it in the foreground for ``manage.py simulate <vendor>``, which builds each vendor's simulator from its
  ``add_arguments`` / ``from_options`` and says how to reach it with ``banner``.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from integrations.http import REDACTED, SENSITIVE_HEADERS, SENSITIVE_PARAMS

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


class NotLoopback(ValueError):
    """A simulator asked to listen anywhere but loopback (it has no authentication worth the name)."""


@dataclass
class Fault:
    """One queued fault: the next ``times`` requests whose path contains ``match`` get it."""

    status: int = 500
    times: int = 1
    body: Any = None  # the JSON body (default: the vendor's ``fault_body``)
    headers: dict[str, str] = field(default_factory=dict)  # e.g. {"Retry-After": "7"}
    delay: float = 0.0  # seconds to wait before answering (past the client's timeout: a timeout)
    malformed: bool = False  # answer 200 with a body that is not JSON
    match: str = ""

    @property
    def answers(self) -> bool:
        """Whether the fault is the answer (else it only slows the real one down)."""
        return self.malformed or self.body is not None or self.status not in (0, 200)


@dataclass
class LoggedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    status: int = 0

    @property
    def line(self) -> str:
        return f"{self.method} {self.path}"


def redacted_query(args: Any) -> dict[str, str]:
    return {k: (REDACTED if SENSITIVE_PARAMS.search(k) else v) for k, v in args.items()}


def redacted_headers(headers: Any) -> dict[str, str]:
    return {k: (REDACTED if k.lower() in SENSITIVE_HEADERS else v) for k, v in headers.items()}


class RequestLog:
    """Every request a simulator answered, oldest first, secrets redacted. Thread-safe.

    ``"POST /token" in log`` asks whether such a request was made; :meth:`matching` filters by path.
    """

    def __init__(self) -> None:
        self._entries: list[LoggedRequest] = []
        self._lock = threading.Lock()

    def record(self, request: Request) -> LoggedRequest:
        entry = LoggedRequest(
            request.method, request.path, redacted_query(request.args), redacted_headers(request.headers)
        )
        with self._lock:
            self._entries.append(entry)
        return entry

    def matching(self, path_contains: str = "", method: str | None = None) -> list[LoggedRequest]:
        with self._lock:
            return [e for e in self._entries if path_contains in e.path and (method is None or e.method == method)]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __contains__(self, line: object) -> bool:
        with self._lock:
            return any(e.line == line or e == line for e in self._entries)

    def __iter__(self) -> Iterator[LoggedRequest]:
        with self._lock:
            return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, index: int) -> LoggedRequest:
        return self._entries[index]


class LoopbackServer:
    """A threaded werkzeug server on loopback, serving in a daemon thread until :meth:`stop`."""

    def __init__(self, app: Callable, host: str = "127.0.0.1", port: int = 0, *, ssl_context: Any = None,
                 name: str = "simulator") -> None:  # fmt: skip
        self.server: BaseWSGIServer = make_server(loopback(host), port, app, threaded=True, ssl_context=ssl_context)
        self.host, self.port = host, self.server.port
        scheme = "https" if ssl_context else "http"
        self.url = f"{scheme}://{'[::1]' if host == '::1' else host}:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True, name=name)
        self._thread.start()

    def shutdown(self) -> None:
        self.server.shutdown()

    def server_close(self) -> None:
        self.server.server_close()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def loopback(host: str) -> str:
    if host not in LOOPBACK:
        raise NotLoopback("The simulator serves loopback only (127.0.0.1 or ::1).")
    return host


def serve_forever(app: Callable, host: str, port: int, announce: Callable[[int], None]) -> None:
    """Serve in the foreground until Ctrl-C; ``announce(port)`` once listening (``manage.py simulate``)."""
    server = make_server(loopback(host), port, app, threaded=True)
    announce(server.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers or {}, content_type="application/json")


class Simulator:
    """The state every simulator keeps and its WSGI entry point (``__call__``). Thread-safe for a threaded server.

    Subclasses set ``vendor`` (the name ``manage.py simulate`` knows it by), ``default_port``, ``fault_body`` and
    ``malformed_body`` (the vendor's shapes) and implement :meth:`dispatch`.
    """

    vendor: ClassVar[str] = ""
    default_port: ClassVar[int] = 0
    fault_body: ClassVar[Any] = {"error": "Injected fault"}
    malformed_body: ClassVar[str] = '[{"id": 1, "name": "trunc'

    def __init__(self, *, seed: int = 1) -> None:
        self.lock = threading.RLock()
        self.requests = RequestLog()
        self.faults: list[Fault] = []
        self.fault_rate = 0.0  # share of GETs answered by a random one of ``fault_statuses``
        self.fault_statuses: tuple[int, ...] = (429, 500)
        self._fault_rng = random.Random(seed + 7)
        self.delay = 0.0  # seconds every answer waits (a slow server)
        self.credentials_expired = False

    # --- what tests drive -------------------------------------------------------------------------------------

    def add_fault(self, **kwargs: Any) -> Fault:
        fault = Fault(**kwargs)
        with self.lock:
            self.faults.append(fault)
        return fault

    def fail_next(self, status: int, times: int = 1, **kwargs: Any) -> Fault:
        """The next ``times`` requests (whose path contains ``match``) get this fault."""
        return self.add_fault(status=status, times=times, **kwargs)

    def expire_credentials(self, expired: bool = True) -> None:
        """Credentials the simulator accepted stop working (revoked, expired) until called with ``False``."""
        with self.lock:
            self.credentials_expired = expired

    def log(self, path_contains: str = "") -> list[LoggedRequest]:
        return self.requests.matching(path_contains)

    # --- WSGI -------------------------------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        request = Request(environ)
        entry = self.requests.record(request)
        response = self.respond(request)
        entry.status = response.status_code
        return response(environ, start_response)

    def respond(self, request: Request) -> Response:
        """Faults first, then the vendor's answer; a vendor that checks something before faults overrides this."""
        injected = self.injected(request)
        return injected if injected is not None else self.dispatch(request)

    def dispatch(self, request: Request) -> Response:
        raise NotImplementedError

    def injected(self, request: Request) -> Response | None:
        """Apply the slowness and the fault due for this request; the fault's answer, or ``None`` to go on."""
        fault = self.take_fault(request)
        delay = self.delay + (fault.delay if fault else 0.0)
        if delay:
            time.sleep(delay)
        if fault is None or not fault.answers:
            return None
        if fault.malformed:
            return Response(self.malformed_body, status=200, content_type="application/json")
        body = fault.body if fault.body is not None else self.fault_body
        return json_response(body, fault.status, fault.headers)

    def take_fault(self, request: Request) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.match in request.path:
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
            if self.fault_rate and request.method == "GET" and self._fault_rng.random() < self.fault_rate:
                status = self._fault_rng.choice(self.fault_statuses)
                return Fault(status=status, headers={"Retry-After": "1"} if status == 429 else {})
        return None

    # --- serving ----------------------------------------------------------------------------------------------

    def serve(self, host: str = "127.0.0.1", port: int = 0, ssl_context: Any = None) -> LoopbackServer:
        """Serve on loopback in a thread; the server has ``port``, ``url`` and ``stop()``."""
        return LoopbackServer(self, host, port, ssl_context=ssl_context, name=f"{self.vendor or 'sim'}-simulator")

    # --- manage.py simulate <vendor> --------------------------------------------------------------------------

    @classmethod
    def add_arguments(cls, parser: Any) -> None:
        """The vendor's own options of ``manage.py simulate <vendor>`` (size, mode...)."""

    @classmethod
    def from_options(cls, options: dict) -> Simulator:
        """The simulator ``manage.py simulate <vendor>`` serves, built from its options."""
        return cls()

    def banner(self, url: str) -> str:
        """How to reach it (URL and the demo credentials, which are not secrets)."""
        return f"{self.vendor} simulator on {url}/"
