#!/usr/bin/env python
"""HTTP requests per second: PSA (gunicorn or granian, 2 workers) against ITFlow (nginx + PHP-FPM, 2 workers + MariaDB), by wrk.

    .venv/bin/python bench/bench_itflow.py --itflow-src /tmp/itflow/src --data-dir var/bench-search

Issue 14's comparison on the same rows and the same machine. ITFlow is not part of this repository: give its source
(``git clone https://github.com/itflow-org/itflow``) with ``--itflow-src``; the script needs ``mariadbd``, ``php``,
``php-fpm`` (with mysqli and mbstring) and ``nginx`` installed (``apt-get install -y php-fpm php-mysql php-mbstring
mariadb-server nginx``) and says what is missing instead of starting. It starts none of the system services:

1. a MariaDB of its own in a work directory (own socket and loopback port), ITFlow installed into a copy of the
   source by ITFlow's own CLI installer (``scripts/setup_cli.php``: ``config.php``, ``db.sql``, the seed rows);
2. our benchmark rows (``--data-dir``, made by ``bench_tickets.py`` or ``bench_search.py``; on PostgreSQL with
   ``--database-url``) copied into ITFlow's tables (``itflow_rows.py``), and an API key stored the way ITFlow
   looks it up, run as a Technician (non-admin, every client: as our bench-tech-0);
3. PHP-FPM (``pm = static``, 2 children) behind nginx (one worker, keep-alive), both on loopback;
4. our server (2 workers; ``--worker-classes``: gunicorn ``sync`` then ``gthread``, or ``granian``, started by
   bench_http.py's ``Server``), both checked to answer 200 with the expected rows, then each route loaded by wrk,
   ours and ITFlow interleaved, ``--rounds`` times; the medians, their ratio, each side's server CPU per request and the load average are printed.

Every process started is stopped at the end and the work directory removed (kept with ``--keep``, or after an
error, for its logs). Numbers are printed, never asserted. ``--skip-if-missing`` exits 0 after saying what is
missing (for ``make bench``).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import bench_http
import itflow_rows
import itflow_stack

ROOT = Path(__file__).resolve().parent.parent
EXPECTED_ROWS = {"clients": 25, "asset": 1, "tickets": 50, "ticket-columns": 50}
# The value each side's rows are compared by (ours, ITFlow's): the same rows, not only as many.
ROW_NAMES = {
    "clients": ("name", "client_name"),
    "asset": ("name", "asset_name"),
    "tickets": ("title", "ticket_subject"),
    "ticket-columns": ("title", "ticket_subject"),
}
# ITFlow's ticket list answers each ticket's own row (``SELECT * FROM tickets``: ids of its client, contact, status,
# people, no names joined and no total). The same information from ours, by ``fields=``: the route
# ``ticket-columns`` (not run by default) compares the two on equal work, beside ``tickets``' default fields.
TICKET_COLUMNS = (
    "id,ticket_number,source,title,description,category_id,priority_id,status_id,is_closed,client_id,contact_id,"
    "location_id,assigned_to,entered_by,closed_by,entered_at,updated_at,due_date,closed_at"
)


def routes_by_name(names: list[str]) -> dict[str, tuple[str, str]]:
    """bench_http's routes, and ``ticket-columns``: name -> (label, path)."""
    routes = {
        **bench_http.api_routes(bench_http.bench_asset_id()),
        "ticket-columns": ("tickets ITFlow's", f"/api/v1/tickets?limit=50&fields={TICKET_COLUMNS}"),
    }
    unknown = sorted(set(names) - set(routes))
    if unknown:
        raise SystemExit(f"--routes: unknown {', '.join(unknown)} (known: {', '.join(routes)})")
    return {name: routes[name] for name in names}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--itflow-src", help="an ITFlow checkout (never written to; a copy is installed)")
    parser.add_argument("--data-dir", default=str(ROOT / "var" / "bench-tickets"), help="our bench data (PSA_DATA_DIR)")
    parser.add_argument("--database-url", default="", help="ours on PostgreSQL (the data made there by the bench)")
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--work-dir", help="where the servers live (default: a new temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, config) at the end")
    parser.add_argument("--skip-if-missing", action="store_true", help="exit 0 when a prerequisite is missing")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="our server's workers and PHP-FPM children")
    parser.add_argument(
        "--threads", type=int, default=4, help="threads per gthread worker, blocking threads per granian worker"
    )
    parser.add_argument("--worker-classes", default="sync,gthread")
    parser.add_argument(
        "--routes", default="clients,asset,tickets", help="of clients, asset, tickets and ticket-columns (see below)"
    )
    return parser.parse_args()


def check_prerequisites(args: argparse.Namespace) -> dict[str, str]:
    tools, missing = itflow_stack.find_tools()
    missing = itflow_stack.check_source(args.itflow_src) + missing
    data = Path(args.data_dir) if args.database_url else Path(args.data_dir) / "psa.sqlite3"
    if not data.exists():
        missing.append(f"benchmark data: {data} does not exist (make it with bench/bench_tickets.py or "
                       "bench_search.py, and pass its directory as --data-dir)")  # fmt: skip
    if not shutil.which("wrk"):
        print("note: wrk is not installed; the Python load generator is used (apt-get install -y wrk)")
    if missing:
        verdict = "skipped" if args.skip_if_missing else "cannot run"
        print(f"bench_itflow.py: the ITFlow comparison {verdict}:\n  - " + "\n  - ".join(missing))
        raise SystemExit(0 if args.skip_if_missing else 2)
    return tools


def _rows(body: dict, route: str, itflow: bool) -> list:
    """The names of the rows a response holds (ITFlow: ``data`` is a list for one row too)."""
    data = body.get("data") or []
    rows = data if isinstance(data, list) else [data]
    return [row.get(ROW_NAMES[route][1 if itflow else 0]) for row in rows]


def check_answers(ours: dict[str, str], theirs: dict[str, str], key: str) -> None:
    """Both answer 200 with the expected number of rows, and the same rows, before anything is timed."""
    import httpx

    for route, expected in EXPECTED_ROWS.items():
        if route not in ours:
            continue
        ours_answer = httpx.get(ours[route], headers={"X-API-Key": key}, timeout=60)
        theirs_answer = httpx.get(theirs[route], timeout=60)
        for name, answer in (("ours", ours_answer), ("ITFlow", theirs_answer)):
            if answer.status_code != 200:
                raise SystemExit(f"{name} {route}: HTTP {answer.status_code}: {answer.text[:300]}")
        our_rows = _rows(ours_answer.json(), route, itflow=False)
        their_rows = _rows(theirs_answer.json(), route, itflow=True)
        if len(our_rows) != expected or their_rows != our_rows:
            raise SystemExit(f"{route}: expected {expected} rows, the same on both; ours {our_rows[:3]}... "
                             f"({len(our_rows)}), ITFlow {their_rows[:3]}... ({len(their_rows)})")  # fmt: skip


def set_up_itflow(args: argparse.Namespace, stack: itflow_stack.Stack) -> tuple[str, dict[str, int]]:
    """MariaDB, ITFlow's install, our rows and a key, PHP-FPM and nginx; returns the key and the row counts."""
    started = time.perf_counter()
    stack.start_mariadb()
    stack.install_itflow(Path(args.itflow_src))
    loaded = itflow_rows.load_rows(_query, stack)
    key = stack.add_api_key(loaded.caller_user_id)
    stack.start_php_fpm(args.workers)
    stack.start_nginx()
    counts = ", ".join(f"{n:,} {table}" for table, n in loaded.counts.items())
    print(f"ITFlow set up in {time.perf_counter() - started:.0f} s: {counts} (work directory {stack.work})")
    return key, loaded.counts


def _query(sql: str) -> list[tuple]:
    """Rows from the database our server uses, through Django's connection."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def _database_cpu() -> float:
    """CPU seconds used so far by the PostgreSQL backends serving our database (persistent connections, one per
    worker thread), when the server runs on this machine; 0 on SQLite, whose work runs in the workers."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    pids = _query("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
    return itflow_stack.cpu_seconds([pid for (pid,) in pids])


def time_route(ours, our_url: str, their_url: str, stack, key: str, their_key: str, args) -> tuple:
    """Interleaved runs of one route: medians of req/s and of server CPU µs per request, ours then ITFlow's."""
    for url, k in ((our_url, key), (their_url, their_key)):
        bench_http.warm_up(url, k, args.connections)
    rates: dict[str, list[float]] = {"ours": [], "itflow": []}
    cpu: dict[str, list[float]] = {"ours": [], "itflow": []}
    sides = {
        "ours": (our_url, key, lambda: ours.cpu_seconds() + _database_cpu()),
        "itflow": (their_url, their_key, lambda: itflow_stack.cpu_seconds(stack.server_pids())),
    }
    for _ in range(args.rounds):
        for side, (url, k, used) in sides.items():
            before = used()
            rate = bench_http.load(url, k, args.duration, args.connections)
            rates[side].append(rate)
            cpu[side].append((used() - before) / max(rate * args.duration, 1) * 1e6)
    return tuple(statistics.median(values[s]) for values in (rates, cpu) for s in ("ours", "itflow"))


def main() -> None:
    args = parse_args()
    tools = check_prerequisites(args)
    bench_http.configure_django(args.data_dir, args.database_url, args.redis_url)
    work = Path(args.work_dir or tempfile.mkdtemp(prefix="psa-itflow-"))
    work.mkdir(parents=True, exist_ok=True)
    if any(work.iterdir()):
        raise SystemExit(f"--work-dir {work} is not empty (a previous run's?): give a new or empty directory")
    work.chmod(0o755)  # nginx's and PHP-FPM's workers reach the sockets in it
    stack = itflow_stack.Stack(tools, work)
    key = None
    keep = args.keep
    try:
        their_key, _counts = set_up_itflow(args, stack)
        key, plaintext, env = bench_http.bench_caller()
        routes = routes_by_name(args.routes.split(","))
        base = f"http://127.0.0.1:{stack.nginx_port}/api/v1"
        theirs = {
            "clients": f"{base}/clients/read.php?api_key={their_key}&limit=25",
            "asset": f"{base}/assets/read.php?api_key={their_key}&asset_id=1",
            "tickets": f"{base}/tickets/read.php?api_key={their_key}&limit=50",
        }
        theirs["ticket-columns"] = theirs["tickets"]
        _compare(args, stack, routes, theirs, plaintext, their_key, env, work)
    except BaseException:
        keep = True  # the logs the error points at
        print(f"the work directory {work} is kept (servers' logs and configuration)", file=sys.stderr)
        raise
    finally:
        if key is not None:
            key.delete()
        stack.stop()
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def _compare(args, stack, routes, theirs, plaintext, their_key, env, work) -> None:
    from django.db import connection

    engine = "SQLite" if connection.vendor == "sqlite" else "PostgreSQL" + (" + Redis" if args.redis_url else "")
    ours_cpu = " with SQLite in them" if connection.vendor == "sqlite" else " + their PostgreSQL backends"
    print(f"HTTP, PSA ({engine}, {args.workers} workers) vs ITFlow (nginx + PHP-FPM {args.workers} children + "
          f"MariaDB), {'wrk' if shutil.which('wrk') else 'Python load generator'} -c{args.connections}, "
          f"{args.duration} s x {args.rounds} rounds interleaved; load average {bench_http._load()}")  # fmt: skip
    print(f"{'route':18} {'ours':8} {'ours req/s':>10} {'ITFlow req/s':>12} {'ours/ITFlow':>11}   "
          f"server CPU µs/request (ours: the server's workers{ours_cpu}; ITFlow: nginx + PHP-FPM + MariaDB)")  # fmt: skip
    for worker_class in args.worker_classes.split(","):
        ours = bench_http.Server(
            "psa.wsgi:application", env, args.workers, worker_class, args.threads, work / f"server-{worker_class}.log"
        )
        try:
            for _label, path in routes.values():
                ours.wait(path, {"X-API-Key": plaintext})
            our_urls = {name: f"http://127.0.0.1:{ours.port}{path}" for name, (_label, path) in routes.items()}
            check_answers(our_urls, theirs, plaintext)
            if errors := stack.php_errors():
                print(f"note: PHP logged while ITFlow answered the checks:\n{errors[-1000:]}")
            for name, (label, _path) in routes.items():
                rate, their_rate, cpu, their_cpu = time_route(
                    ours, our_urls[name], theirs[name], stack, plaintext, their_key, args
                )
                print(f"{label:18} {worker_class:8} {rate:>10.0f} {their_rate:>12.0f} {rate / their_rate:>11.2f}   "
                      f"ours {cpu:.0f}, ITFlow {their_cpu:.0f}   (load {bench_http._load()})", flush=True)  # fmt: skip
        finally:
            ours.stop()


if __name__ == "__main__":
    sys.exit(main())
