#!/usr/bin/env python
"""HTTP requests per second: gunicorn or granian (2 workers) serving PSA against two references, by wrk.

The references do the same API-key lookup, query and orjson serialisation: the raw WSGI floor (bench/floor_app.py),
and the same work in plain Django views (bench/django_floor.py: the whole middleware stack and URL resolving, no
DRF), which shows where Django itself sits between the floor and the API route.

    .venv/bin/python bench/bench_http.py --data-dir var/bench-tickets          # data made by bench_tickets.py
    .venv/bin/python bench/bench_http.py --database-url postgres://...         # the same against PostgreSQL

All three are served alike (gunicorn, or granian, with the same worker count and class) on loopback; each route is loaded by ``wrk`` (or,
without wrk, a small threaded keep-alive client) for ``--duration`` seconds, app and floor interleaved, ``--rounds``
times; the table shows the median requests per second and the ratio. Runs the worker classes ``--worker-classes``
names: ``sync`` (gunicorn's default, which closes the connection after every response), ``gthread`` (keeps
connections alive) and ``granian`` (granian's WSGI interface: a Rust HTTP server, keep-alive, ``--threads`` blocking
threads per worker). The API's rate limit is raised out of the way; everything else (the caller cache, the limiter's counter on SQLite) runs as deployed.
Numbers are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=str(ROOT / "var" / "bench-tickets"))
    parser.add_argument("--database-url", default="")
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--threads", type=int, default=4, help="threads per gthread worker, blocking threads per granian worker"
    )
    parser.add_argument("--worker-classes", default="sync,gthread")
    parser.add_argument("--routes", default="clients,asset,tickets")
    return parser.parse_args()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, app: str, env: dict, workers: int, worker_class: str, threads: int, log: Path) -> None:
        self.port = _free_port()
        self.program = "granian" if worker_class == "granian" else "gunicorn"
        if self.program == "granian":
            command = [
                str(Path(sys.executable).parent / "granian"), "--interface", "wsgi", app, "--host", "127.0.0.1",
                "--port", str(self.port), "--workers", str(workers), "--blocking-threads", str(threads),
                "--no-ws", "--log-level", "warning",
            ]  # fmt: skip
        else:
            command = [
                str(Path(sys.executable).parent / "gunicorn"), app, "--bind", f"127.0.0.1:{self.port}",
                "--workers", str(workers), "--worker-class", worker_class, "--keep-alive", "5",
            ]  # fmt: skip
        if worker_class == "gthread":
            command += ["--threads", str(threads)]
        self.log = open(log, "ab")  # noqa: SIM115  (closed in stop())
        self.proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait(self, path: str, headers: dict) -> None:
        import httpx

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}{path}", headers=headers, timeout=60).status_code == 200:
                    return
            except httpx.TransportError:
                if self.proc.poll() is not None:
                    raise SystemExit(f"{self.program} exited; see {self.log.name}") from None
            time.sleep(0.3)
        raise SystemExit(f"{path} never answered 200; see {self.log.name}")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) its workers have used so far: load-independent, unlike requests per second."""
        total = 0.0
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        except OSError:
            return 0.0
        for pid in children:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


def load(url: str, key: str, duration: int, connections: int) -> float:
    """Requests per second of 200 responses over ``duration`` seconds."""
    if shutil.which("wrk"):
        out = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "-H", f"X-API-Key: {key}", url],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        if "Non-2xx" in out:
            raise SystemExit(f"{url} answered errors under load:\n{out}")
        return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return _python_load(url, key, duration, connections)


def warm_up(url: str, key: str, connections: int) -> None:
    """Load ``url`` until its rate settles: each worker's first API request builds the table of documented query
    parameters from the OpenAPI schema (seconds on a loaded machine), which must not fall into a timed run."""
    previous = 0.0
    for _ in range(15):
        rate = load(url, key, 2, connections)
        if previous and abs(rate - previous) <= 0.2 * max(rate, previous):
            return
        previous = rate


def _python_load(url: str, key: str, duration: int, connections: int) -> float:
    import httpx

    done = [0]
    lock = threading.Lock()
    stop = time.monotonic() + duration

    def worker() -> None:
        with httpx.Client(headers={"X-API-Key": key}, timeout=30) as client:
            while time.monotonic() < stop:
                if client.get(url).status_code == 200:
                    with lock:
                        done[0] += 1

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0] / duration


def configure_django(data_dir: str, database_url: str = "", redis_url: str = "") -> None:
    """Point this process (and the servers it starts, which inherit its environment) at a benchmark data set."""
    os.environ["PSA_DATA_DIR"] = str(Path(data_dir).resolve())
    os.environ.pop("PSA_DATABASE_URL", None)
    os.environ.pop("PSA_REDIS_URL", None)
    if database_url:
        os.environ["PSA_DATABASE_URL"] = database_url
    if redis_url:
        os.environ["PSA_REDIS_URL"] = redis_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "psa.settings"
    os.environ["PSA_ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    import django

    django.setup()


def bench_caller():
    """A day-long API key of bench-tech-0 (the generated technician: every client, read nodes for the routes).

    Returns the key (delete it when done), its plaintext and the environment the servers run with.
    """
    from django.conf import settings

    from accounts.models import ApiKey, User

    tech = User.objects.get(login="bench-tech-0")
    tech.permissions = ["ticket.*", "obj.*", "client.read", "contact.read", "asset.read"]
    tech.save(update_fields=["permissions"])
    key, plaintext = ApiKey.issue(tech, "bench http", datetime.now(UTC) + timedelta(days=1))
    env = {
        **os.environ, "PSA_DEBUG": "0", "PSA_LOG_LEVEL": "WARNING", "PSA_API_RATE_LIMIT": "100000000/min",
        "FLOOR_PEPPER": settings.API_KEY_PEPPERS[key.pepper_version], "PYTHONPATH": str(ROOT / "bench"),
    }  # fmt: skip
    return key, plaintext, env


def bench_asset_id():
    """The asset the "one asset by id" route reads: the first by primary key."""
    from assets.models import Asset

    return Asset.objects.order_by("pk").values_list("pk", flat=True).first()


def api_routes(asset_id) -> dict[str, tuple[str, str]]:
    """Issue 14's three HTTP routes: name -> (label, path)."""
    return {
        "clients": ("clients limit=25", "/api/v1/clients?limit=25"),
        "asset": ("one asset by id", f"/api/v1/assets/{asset_id}"),
        "tickets": ("tickets limit=50", "/api/v1/tickets?limit=50"),
    }


def main() -> None:
    args = parse_args()
    configure_django(args.data_dir, args.database_url, args.redis_url)
    from django.db import connection

    key, plaintext, env = bench_caller()
    all_routes = api_routes(bench_asset_id())
    routes = [all_routes[name] for name in args.routes.split(",")]
    print(f"HTTP benchmark: {connection.vendor}, {args.workers} workers each (gunicorn; granian's for granian), "
          f"{'wrk' if shutil.which('wrk') else 'Python load generator'} -c{args.connections}, "
          f"{args.duration} s x {args.rounds} rounds interleaved; load average {_load()}")  # fmt: skip
    print(f"{'route':18} {'workers':8} {'app req/s':>9} {'Django req/s':>12} {'floor req/s':>11} "
          f"{'app/floor':>9} {'Django/floor':>12} {'app/Django':>10}")  # fmt: skip
    log_dir = Path(args.data_dir)
    apps = {"app": "psa.wsgi:application", "django": "django_floor:application", "floor": "floor_app:application"}
    try:
        for worker_class in args.worker_classes.split(","):
            servers = {
                name: Server(target, env, args.workers, worker_class, args.threads, log_dir / f"http-{name}.log")
                for name, target in apps.items()
            }
            try:
                for server in servers.values():
                    for _name, path in routes:
                        server.wait(path, {"X-API-Key": plaintext})
                for name, path in routes:
                    for server in servers.values():  # every worker builds what it caches before the timed runs
                        warm_up(f"http://127.0.0.1:{server.port}{path}", plaintext, args.connections)
                    rates: dict[str, list[float]] = {server: [] for server in servers}
                    cpu: dict[str, list[float]] = {server: [] for server in servers}
                    for _ in range(args.rounds):
                        for server_name, server in servers.items():
                            url = f"http://127.0.0.1:{server.port}{path}"
                            before = server.cpu_seconds()
                            rate = load(url, plaintext, args.duration, args.connections)
                            rates[server_name].append(rate)
                            served = max(rate * args.duration, 1)  # a server too slow to finish one request
                            cpu[server_name].append((server.cpu_seconds() - before) / served * 1e6)
                    a, d, f = (statistics.median(rates[n]) for n in ("app", "django", "floor"))
                    ca, cd, cf = (statistics.median(cpu[n]) for n in ("app", "django", "floor"))
                    f = f or float("nan")  # no floor request finished: ratios print as nan, not a crash
                    d = d or float("nan")
                    print(f"{name:18} {worker_class:8} {a:>9.0f} {d:>12.0f} {f:>11.0f} {a / f:>9.2f} {d / f:>12.2f} "
                          f"{a / d:>10.2f}   worker CPU µs/request app {ca:.0f}, Django {cd:.0f}, floor {cf:.0f}"
                          f"   (load {_load()})", flush=True)  # fmt: skip
            finally:
                for server in servers.values():
                    server.stop()
    finally:
        key.delete()


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()
