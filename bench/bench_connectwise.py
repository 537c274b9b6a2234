#!/usr/bin/env python
"""Benchmark the ConnectWise sync against the simulator (on loopback in a process of its own, or in-process).

Usage (from the repository root)::

    .venv/bin/python bench/bench_connectwise.py                     # SQLite in var/bench-cw
    .venv/bin/python bench/bench_connectwise.py --database-url postgres://psa@127.0.0.1/psa_bench_cw
    .venv/bin/python bench/bench_connectwise.py --in-process        # the simulator through httpx's WSGI transport

By default the simulator serves on a loopback port from a child process, as a real ConnectWise would be elsewhere:
the figures are our process's wall and CPU time, and the simulator's CPU time is reported beside them. The first
sync is also broken down into phases (HTTP, JSON decoding, hashing, comparison, mapping, writes, search documents
(building the entries), search index (writing them), commits, progress), each as the wall and CPU time spent in it
in our process; the HTTP phase runs in the read-ahead thread, so its wall time overlaps the others'.

Four scenarios, each on a freshly flushed database of its own (``PSA_DATA_DIR`` defaults to ``var/bench-cw``;
``PSA_DATABASE_URL`` from the environment is ignored unless given with ``--database-url``):

1. first sync of every job (default 2,000 companies, 20,000 contacts, 4,000 sites, 50,000 configurations): records/s;
2. the same sync again with nothing changed: the rows written (statements that change data, bookkeeping excluded);
3. one record in 100 malformed: the runs are ``partial`` and the other 99 % are stored;
4. 429s and 500s on 10 % of the pages: the same rows as scenario 1.

Numbers are printed, never asserted. The machine's load average is printed with them: on a shared machine the
CPU-time rates say more than the wall clock.
"""

from __future__ import annotations

import argparse
import functools
import os
import subprocess
import sys
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

JOBS = ["connectwise.companies", "connectwise.sites", "connectwise.contacts", "connectwise.configurations",
        "connectwise.members"]  # fmt: skip
BOOKKEEPING = ("integrations_syncrun", "integrations_synclock")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=str(BASE_DIR / "var" / "bench-cw"))
    parser.add_argument("--database-url", default="")
    parser.add_argument("--companies", type=int, default=2000)
    parser.add_argument("--contacts", type=int, default=20000)
    parser.add_argument("--sites", type=int, default=4000)
    parser.add_argument("--configurations", type=int, default=50000)
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--fault-rate", type=float, default=0.10)
    parser.add_argument("--quick", action="store_true", help="Scenarios 1 and 2 only (throughput and idempotency).")
    parser.add_argument("--in-process", action="store_true", help="Serve the simulator through httpx's WSGI transport.")
    parser.add_argument(
        "--connection-per-request",
        action="store_true",
        help="Serve the simulator with werkzeug's server, which closes each connection after one answer.",
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)  # the child process
    parser.add_argument("--malformed-every", type=int, default=0, help=argparse.SUPPRESS)
    return parser.parse_args()


def configure(args: argparse.Namespace) -> None:
    os.environ["PSA_DATA_DIR"] = str(Path(args.data_dir).resolve())
    os.environ.pop("PSA_REDIS_URL", None)
    os.environ.pop("PSA_DATABASE_URL", None)
    if args.database_url:
        os.environ["PSA_DATABASE_URL"] = args.database_url
    os.environ.setdefault("PSA_LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "psa.settings"
    import django

    django.setup()


class WriteCounter:
    """Counts statements that change data, other than the sync runs' own bookkeeping rows."""

    def __init__(self) -> None:
        self.writes = 0

    def __call__(self, execute, sql, params, many, context):
        verb = sql.lstrip().split(" ", 1)[0].upper()
        if verb in ("INSERT", "UPDATE", "DELETE", "COPY") and not any(table in sql for table in BOOKKEEPING):
            self.writes += 1
        return execute(sql, params, many, context)


@contextmanager
def counting():
    from django.db import connection

    counter = WriteCounter()
    with connection.execute_wrapper(counter):
        yield counter


def fresh_database() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)


def make_source():
    from integrations import secrets as source_secrets
    from integrations.connectwise.simulator import DEMO_CLIENT_ID, DEMO_COMPANY, DEMO_PRIVATE_KEY, DEMO_PUBLIC_KEY
    from integrations.models import Source

    source = Source.objects.create(kind="connectwise", name="Bench CW", base_url="http://cw.bench",
                                   settings={"company_id": DEMO_COMPANY, "client_id": DEMO_CLIENT_ID})  # fmt: skip
    source_secrets.store(source, {"public_key": DEMO_PUBLIC_KEY, "private_key": DEMO_PRIVATE_KEY})
    return source


def make_client(simulator, sleeps: list):
    """A client of ``simulator``: a :class:`Simulator` on loopback, or a ConnectWiseSimulator served in-process."""
    import httpx

    from integrations.connectwise.client import ConnectWiseClient
    from integrations.connectwise.simulator import DEMO_CLIENT_ID, DEMO_COMPANY, DEMO_PRIVATE_KEY, DEMO_PUBLIC_KEY
    from integrations.http import RetryPolicy

    remote = isinstance(simulator, Simulator)
    return ConnectWiseClient(
        simulator.url if remote else "http://cw.bench", company_id=DEMO_COMPANY, public_key=DEMO_PUBLIC_KEY,
        private_key=DEMO_PRIVATE_KEY, client_id=DEMO_CLIENT_ID,
        transport=None if remote else httpx.WSGITransport(app=simulator), sleep=sleeps.append,
        retry=RetryPolicy(attempts=8),
    )  # fmt: skip


class Simulator:
    """The simulator in a child process on a loopback port; ``cpu()`` is the CPU time it has used so far."""

    def __init__(self, args: argparse.Namespace, *, malformed_every: int = 0, fault_rate: float = 0.0) -> None:
        command = [sys.executable, __file__, "--serve", "--companies", str(args.companies), "--contacts",
                   str(args.contacts), "--sites", str(args.sites), "--configurations", str(args.configurations),
                   "--members", str(args.members), "--malformed-every", str(malformed_every),
                   "--fault-rate", str(fault_rate)] + (["--connection-per-request"] if args.connection_per_request
                                                       else [])  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline().split()  # "port N malformed M"
        self.url, self.malformed = f"http://127.0.0.1:{line[1]}", int(line[3])
        self.started_cpu = self.cpu()

    def cpu(self) -> float:
        return process_cpu(self.process.pid)

    def requests(self) -> int:
        import httpx

        return int(httpx.get(f"{self.url}/bench/requests").text)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def process_cpu(pid: int) -> float:
    """User and system CPU seconds of a process on this machine (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database_cpu() -> float | None:
    """The CPU time of this connection's PostgreSQL backend (a local server), or None (SQLite runs in our process)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        return process_cpu(pid)
    except OSError:  # a server on another machine
        return None


def keep_alive_server(app):
    """A threaded WSGI server on a loopback port that keeps connections open between requests (HTTP/1.1), as
    ConnectWise's servers do. Werkzeug's development server closes every connection after one answer: with it, the
    sites job's 2,000 small requests each paid a TCP connect and close, and the simulator a new thread, which no
    tenant costs (``--connection-per-request`` measures that way)."""
    import socket
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

    class Handler11(ServerHandler):
        http_version = "1.1"
        sized = False

        def finish_response(self) -> None:
            self.sized = self.headers is not None and "Content-Length" in self.headers
            super().finish_response()

    class KeepAlive(WSGIRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()  # the headers and the body are two writes: without this the body waits for an ACK
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def handle(self) -> None:
            self.close_connection = True
            self.handle_one()
            while not self.close_connection:
                self.handle_one()

        def handle_one(self) -> None:
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline or len(self.raw_requestline) > 65536 or not self.parse_request():
                self.close_connection = True
                return
            handler = Handler11(self.rfile, self.wfile, self.get_stderr(), self.get_environ(), multithread=True)
            handler.request_handler = self
            handler.run(self.server.get_app())
            if not handler.sized:
                self.close_connection = True  # the body's end is the connection's

        def log_request(self, *args) -> None:  # a line per request would be most of the simulator's work
            pass

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    server = Server(("127.0.0.1", 0), KeepAlive)
    server.set_app(app)
    return server


def serve(args: argparse.Namespace) -> None:
    """The child: generate the tenant, print the port, serve until terminated (``/bench/requests`` counts)."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    from integrations.connectwise.simulator import ConnectWiseSimulator, Size

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args) -> None:  # a line per request would be most of the simulator's work
            pass

    size = Size(args.companies, args.contacts, args.sites, args.configurations, args.members)
    simulator = ConnectWiseSimulator(size, malformed_every=args.malformed_every)
    simulator.fault_rate, simulator.fault_statuses = args.fault_rate, (429, 500)

    def app(environ, start_response):
        if environ["PATH_INFO"] == "/bench/requests":
            body = str(len(simulator.requests)).encode()
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
            return [body]
        return simulator(environ, start_response)

    if args.connection_per_request:
        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
    else:
        server = keep_alive_server(app)
    print(f"port {server.server_address[1]} malformed {malformed_count(simulator)}", flush=True)
    server.serve_forever()


def malformed_count(simulator) -> int:
    every = simulator.malformed_every
    return sum(1 for records in simulator.data.values() for i, _ in enumerate(records, 1) if every and i % every == 0)


class Phases:
    """Wall and CPU time spent in the engine's phases, each exclusive of the phases it calls (one stack per thread).

    It wraps the functions in place for the run it measures (this is the benchmark, not the tests)."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)
        self.local = threading.local()
        self.undo: list = []

    def wrap(self, owner, name: str, phase: str, *, static: bool = False) -> None:
        original = owner.__dict__[name]
        function = original.__func__ if static else original
        phases = self

        @functools.wraps(function)
        def timed(*args, **kwargs):
            stack = phases.local.__dict__.setdefault("stack", [])
            wall, cpu = time.perf_counter(), time.thread_time()
            stack.append([0.0, 0.0])  # time spent in nested phases
            try:
                return function(*args, **kwargs)
            finally:
                inner_wall, inner_cpu = stack.pop()
                spent_wall, spent_cpu = time.perf_counter() - wall, time.thread_time() - cpu
                phases.wall[phase] += spent_wall - inner_wall
                phases.cpu[phase] += spent_cpu - inner_cpu
                if stack:
                    stack[-1][0] += spent_wall
                    stack[-1][1] += spent_cpu

        setattr(owner, name, staticmethod(timed) if static else timed)
        self.undo.append((owner, name, original))

    def __enter__(self) -> Phases:
        from django.db.backends.base.base import BaseDatabaseWrapper

        from integrations import http, mirror, sync
        from psa.search import index

        self.wrap(http.ApiClient, "request", "http")
        self.wrap(http.ApiClient, "decode", "json decode", static=True)
        self.wrap(mirror, "_item", "hashing")
        self.wrap(mirror, "_changed", "comparison")
        self.wrap(mirror, "_mapped", "mapping")
        self.wrap(mirror, "_write", "writes")
        self.wrap(mirror, "_index", "search index")
        self.wrap(index, "row_of", "search documents")  # the Python half of "search index": the words, the rows
        self.wrap(BaseDatabaseWrapper, "commit", "commit")
        self.wrap(sync.SyncContext, "progress", "progress")
        return self

    def __exit__(self, *exc) -> None:
        for owner, name, original in reversed(self.undo):
            setattr(owner, name, original)

    def report(self, wall: float, cpu: float) -> str:
        named_wall = sum(v for k, v in self.wall.items() if k != "http")
        named_cpu = sum(self.cpu.values())
        rows = [f"{name} {self.wall[name]:.1f}/{self.cpu[name]:.1f}" for name in sorted(self.cpu, key=self.cpu.get,
                reverse=True)]  # fmt: skip
        rows.append(f"other {max(0.0, wall - named_wall - self.wall['http']):.1f}/{max(0.0, cpu - named_cpu):.1f}")
        return "phases, wall/CPU s: " + ", ".join(rows)


def run_all(source, client) -> tuple[list, float]:
    from integrations.sync import run_job

    started, cpu = time.perf_counter(), time.process_time()
    runs = [run_job(source, job, client=client) for job in JOBS]
    run_all.cpu = time.process_time() - cpu  # the machine is shared: CPU time says more than wall time
    return runs, time.perf_counter() - started


def local_counts() -> dict[str, int]:
    from assets.models import Asset, AssetInterface
    from clients.models import Client, Contact, Location
    from integrations.models import ExternalRecord

    return {
        "clients": Client.objects.exclude(cw_company_id=None).count(),
        "contacts": Contact.objects.count(),
        "locations": Location.objects.count(),
        "assets": Asset.objects.count(),
        "interfaces": AssetInterface.objects.count(),
        "external_records": ExternalRecord.objects.count(),
    }


def mirror_state() -> set:
    from integrations.models import ExternalRecord

    return set(ExternalRecord.objects.values_list("kind", "external_id", "payload_hash"))


def describe(runs) -> str:
    return ", ".join(f"{r.job.split('.')[1]}={r.status}(+{r.created} ~{r.updated} ={r.unchanged} !{r.failed})"
                     for r in runs)  # fmt: skip


def load() -> str:
    return "load average " + " ".join(f"{value:.2f}" for value in os.getloadavg())


def first_sync(args, size, *, phases: bool):
    """Scenario 1 on a fresh database; returns the runs, the rates line and the simulator used."""
    from integrations.connectwise.simulator import ConnectWiseSimulator

    fresh_database()
    source = make_source()
    simulator = ConnectWiseSimulator(size) if args.in_process else Simulator(args)
    client = make_client(simulator, [])
    sim_cpu, db_cpu = (0.0 if args.in_process else simulator.cpu()), database_cpu()
    timer = Phases() if phases else None
    with counting() as writes, timer or _nothing():
        runs, seconds = run_all(source, client)
    records = sum(r.created + r.updated + r.unchanged + r.failed for r in runs)
    cpu = run_all.cpu
    where = "in-process simulator included" if args.in_process else f"simulator {simulator.cpu() - sim_cpu:.1f} s CPU"
    if db_cpu is not None:
        server = database_cpu() - db_cpu
        where += (
            f"; PostgreSQL backend {server:.1f} s CPU, {records / (cpu + server):,.0f} records per CPU second with it"
        )
    requests = len(simulator.requests) if args.in_process else simulator.requests()
    line = (f"{records} records in {seconds:.1f} s = {records / seconds:,.0f} records/s wall; our CPU {cpu:.1f} s = "
            f"{records / cpu:,.0f} records per CPU second ({where}); {writes.writes} write statements; "
            f"{requests} requests")  # fmt: skip
    return source, client, simulator, runs, line, (timer.report(seconds, cpu) if timer else "")


@contextmanager
def _nothing():
    yield


def main() -> None:
    args = parse_args()
    if args.serve:
        serve(args)
        return
    configure(args)
    from django.db import connection

    from integrations.connectwise.simulator import ConnectWiseSimulator, Size

    size = Size(args.companies, args.contacts, args.sites, args.configurations, args.members)
    total = size.companies + size.contacts + size.sites + size.configurations + size.members
    path = "in-process (WSGI transport)" if args.in_process else "loopback, simulator in its own process"
    print(f"database: {connection.vendor}; simulator {path}; {size}; {load()}")

    # 1. first sync (the figures), then the same again with the phases timed (the timing costs a little)
    source, client, simulator, runs, line, _ = first_sync(args, size, phases=False)
    baseline, baseline_state = local_counts(), mirror_state()
    print(f"1. first sync: {line}")
    print(f"   {describe(runs)}")
    print(f"   local rows: {baseline}; {load()}")

    # 2. nothing changed
    with counting() as again:
        runs, seconds = run_all(source, client)
    print(f"2. re-sync, nothing changed: {again.writes} rows written in {seconds:.1f} s; {describe(runs)}")

    # 2b. a full re-pull (cursors cleared): every record is read again and compared by its payload hash
    from integrations.models import SyncRun

    SyncRun.objects.update(cursor_after="")
    with counting() as full:
        runs, seconds = run_all(source, client)
    unchanged = sum(r.unchanged for r in runs)
    print(f"2b. full re-pull, nothing changed: {unchanged} records compared in {seconds:.1f} s "
          f"({unchanged / seconds:,.0f}/s wall, {unchanged / run_all.cpu:,.0f} per CPU second), "
          f"{full.writes} rows written")  # fmt: skip
    client.close()
    if not args.in_process:
        simulator.stop()

    source, client, simulator, runs, line, phases = first_sync(args, size, phases=True)
    print(f"1'. first sync again, timed by phase: {line}")
    print(f"   {phases}")
    client.close()
    if not args.in_process:
        simulator.stop()

    if args.quick:
        return
    # 3. 1 record in 100 malformed
    fresh_database()
    source = make_source()
    if args.in_process:
        bad = ConnectWiseSimulator(size, malformed_every=100)
        malformed = malformed_count(bad)
    else:
        bad = Simulator(args, malformed_every=100)
        malformed = bad.malformed
    runs, seconds = run_all(source, make_client(bad, []))
    stored = sum(r.created for r in runs)
    print(f"3. 1% malformed: {malformed} malformed of {total}; stored {stored} ({stored / (total - malformed):.2%} of "
          f"the others), failed {sum(r.failed for r in runs)}; statuses {[str(r.status) for r in runs]}")  # fmt: skip
    if not args.in_process:
        bad.stop()

    # 4. faults on 10% of the pages
    fresh_database()
    source = make_source()
    if args.in_process:
        faulty = ConnectWiseSimulator(size)
        faulty.fault_rate, faulty.fault_statuses = args.fault_rate, (429, 500)
    else:
        faulty = Simulator(args, fault_rate=args.fault_rate)
    sleeps: list = []
    runs, seconds = run_all(source, make_client(faulty, sleeps))
    same = local_counts() == baseline and mirror_state() == baseline_state
    print(f"4. {args.fault_rate:.0%} of pages 429/500: {len(sleeps)} retries; statuses {[str(r.status) for r in runs]}; "
          f"same rows and payload hashes as scenario 1: {same}; {load()}")  # fmt: skip
    if not args.in_process:
        faulty.stop()


if __name__ == "__main__":
    main()
