#!/usr/bin/env python
"""Benchmark the ConnectWise procurement catalog and the procurement and sales routes against the simulator.

Usage (from the repository root)::

    .venv/bin/python bench/bench_procurement.py                    # SQLite in var/bench-procurement
    .venv/bin/python bench/bench_procurement.py --database-url postgres://psa@127.0.0.1/psa_bench_proc

On a freshly flushed database (``PSA_DATA_DIR`` defaults to ``var/bench-procurement``):

1. the catalog sync of ``--items`` (default 20,000) items through httpx's WSGI transport: records/s (and per CPU s);
2. the same sync again with nothing changed: the rows written (bookkeeping excluded);
3. the id-only deletion scan after ``--deleted`` (default 200) items vanished upstream: seconds, items deactivated;
4. ``GET /api/v1/procurement/items`` with each filter at that size: median and p95 of ``--requests``, and queries;
5. an opportunity page's live ConnectWise calls (simulator on a loopback port): the detail with an empty live
   cache against the same with a warm one, divided by the live calls it makes.

Numbers are printed, never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_connectwise import configure, counting, fresh_database, make_client, make_source

FILTERS = [
    ("no filter", {}),
    ("search", {"search": "model 123"}),
    ("include_inactive", {"include_inactive": "true"}),
    ("category", {"category": "Technology"}),
    ("subcategory", {"subcategory": "Network-Switch"}),
    ("group", {"group": "Network"}),
    ("group + category", {"group": "Network", "category": "Technology"}),
    ("manufacturer", {"manufacturer": "ubiq"}),
    ("ecosystem", {"ecosystem": "Networking"}),
    ("in_stock", {"in_stock": "true"}),
    ("min_price + max_price", {"min_price": 10000, "max_price": 50000}),
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=str(Path(__file__).resolve().parent.parent / "var" / "bench-procurement"))
    parser.add_argument("--database-url", default="")
    parser.add_argument("--items", type=int, default=20000)
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--deleted", type=int, default=200)
    return parser.parse_args()


def sync(simulator, source) -> tuple:
    from integrations.sync import run_job

    client = make_client(simulator, [])
    started, cpu = time.perf_counter(), time.process_time()
    try:
        run = run_job(source, "connectwise.catalog", client=client)
    finally:
        client.close()
    return run, time.perf_counter() - started, time.process_time() - cpu


def deletion_scan(simulator, source, deleted: int) -> tuple:
    """Remove ``deleted`` items upstream (spread over the catalog), run the id-only scan: run, seconds, deactivated."""
    from catalog.models import Product
    from integrations.sync import run_job

    every = sorted(simulator.data["catalog"])
    gone = every[:: max(1, len(every) // max(deleted, 1))][:deleted]
    inactive_before = set(Product.objects.filter(is_active=False).values_list("external_id", flat=True))
    for item_id in gone:
        simulator.remove("catalog", item_id)
    client = make_client(simulator, [])
    started = time.perf_counter()
    try:
        run = run_job(source, "connectwise.deletions", client=client)
    finally:
        client.close()
    seconds = time.perf_counter() - started
    newly = Product.objects.filter(is_active=False, external_id__in=[str(i) for i in gone]).exclude(
        external_id__in=inactive_before
    )
    return run, seconds, newly.count(), len(every)


class QueryLog(list):
    """Every statement a request runs (an execute wrapper: it sees them whatever the debug settings)."""

    def __call__(self, execute, sql, params, many, context):
        self.append(sql)
        return execute(sql, params, many, context)


def list_timings(args) -> list[tuple]:
    from urllib.parse import urlencode

    from django.db import connection
    from django.test import Client

    from tests.factories import make_key, make_user

    _key, plaintext = make_key(make_user(["*"], login="bench-procurement"))
    client = Client(headers={"X-API-Key": plaintext}, SERVER_NAME="localhost")
    rows = []
    for name, params in FILTERS:
        path = "/api/v1/procurement/items?" + urlencode({**params, "limit": 25})
        for _ in range(2):
            client.get(path)
        captured = QueryLog()
        with connection.execute_wrapper(captured):
            response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{name}: {response.status_code} {response.content[:300]!r}")
        samples = []
        for _ in range(args.requests):
            started = time.perf_counter()
            client.get(path)
            samples.append((time.perf_counter() - started) * 1000)
        samples.sort()
        total = response.json()["pagination"]["total"]
        rows.append((name, statistics.median(samples), samples[int(len(samples) * 0.95) - 1], len(captured), total))
    return rows


def opportunity_latency(args, source) -> tuple[float, float, int]:
    from django.core.cache import cache
    from django.test import Client

    from integrations.connectwise.simulator import ConnectWiseSimulator, Size
    from integrations.sync import run_job
    from sales.models import Opportunity
    from tests.factories import make_key, make_user

    simulator = ConnectWiseSimulator(Size(companies=20, contacts=40, sites=20, configurations=1, members=5,
                                          catalog_items=20, opportunities=20))  # fmt: skip
    server = simulator.serve()
    try:
        source.base_url = f"http://127.0.0.1:{server.port}"  # the live calls go over a real socket
        source.save(update_fields=["base_url"])
        client = make_client(simulator, [])
        for job in ("connectwise.companies", "connectwise.sites", "connectwise.contacts", "connectwise.members",
                    "connectwise.opportunities"):  # fmt: skip
            run_job(source, job, client=client)
        client.close()
        opportunity = Opportunity.objects.filter(source=source).order_by("cw_opportunity_id").first()
        _key, plaintext = make_key(make_user(["*"], login="bench-sales"))
        browser = Client(headers={"X-API-Key": plaintext}, SERVER_NAME="localhost")
        path = f"/api/v1/sales/opportunities/{opportunity.pk}"
        cold, warm = [], []
        for _ in range(args.requests):
            cache.clear()
            before = len(simulator.requests)
            started = time.perf_counter()
            browser.get(path)
            cold.append((time.perf_counter() - started) * 1000)
            calls = len(simulator.requests) - before
            started = time.perf_counter()
            browser.get(path)
            warm.append((time.perf_counter() - started) * 1000)
        return statistics.median(cold), statistics.median(warm), calls
    finally:
        server.shutdown()


def main() -> None:
    args = parse_args()
    configure(args)
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost", "testserver"]
    from integrations.connectwise.simulator import ConnectWiseSimulator, Size

    fresh_database()
    import importlib

    from django.core.management import call_command

    call_command("createcachetable", verbosity=0)  # the live reads' cache (the database cache without Redis)

    from django.apps import apps

    # flush removed the taxonomy the data migration seeds (groups and ecosystems the filters use): seed it again
    importlib.import_module("catalog.migrations.0003_procurement_taxonomy").seed(apps, None)
    simulator = ConnectWiseSimulator(Size(companies=2, contacts=2, sites=2, configurations=1, members=1,
                                          catalog_items=args.items, opportunities=1))  # fmt: skip
    source = make_source()
    print(f"Catalog sync of {args.items:,} items ({settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]})")
    run, seconds, cpu = sync(simulator, source)
    print(f"  first sync: {run.status}, {run.created:,} created in {seconds:.1f} s = {run.created / seconds:,.0f} "
          f"records/s ({run.created / cpu:,.0f} per CPU second)")  # fmt: skip
    with counting() as counter:
        again, seconds, _cpu = sync(simulator, source)
    print(f"  unchanged re-sync (incremental): {again.unchanged:,} unchanged, {counter.writes} rows written, "
          f"{seconds:.1f} s")  # fmt: skip
    from integrations.models import SyncRun

    SyncRun.objects.filter(source=source).delete()  # no cursor: the next run pulls every item again
    with counting() as counter:
        full, seconds, _cpu = sync(simulator, source)
    print(f"  unchanged re-sync (full re-pull): {full.unchanged:,} unchanged, {counter.writes} rows written, "
          f"{seconds:.1f} s = {full.unchanged / seconds:,.0f} records/s")  # fmt: skip
    scan, seconds, deactivated, scanned = deletion_scan(simulator, source, args.deleted)
    print(f"  deletion scan (ids only, {scanned:,} catalog ids and the small collections): {scan.status}, "
          f"{scan.deleted} marked deleted, {deactivated} items newly inactive, {seconds:.1f} s")  # fmt: skip
    print(f"\nGET /api/v1/procurement/items at {args.items:,} items (limit 25, {args.requests} requests each)")
    print(f"  {'filter':<24} {'median ms':>10} {'p95 ms':>8} {'queries':>8} {'matches':>8}")
    for name, median, p95, queries, total in list_timings(args):
        print(f"  {name:<24} {median:>10.1f} {p95:>8.1f} {queries:>8} {total:>8,}")
    cold, warm, calls = opportunity_latency(args, source)
    print(f"\nGET /api/v1/sales/opportunities/{{id}}: {cold:.1f} ms with an empty live cache ({calls} live calls), "
          f"{warm:.1f} ms cached: {(cold - warm) / max(calls, 1):.1f} ms per live ConnectWise call")  # fmt: skip


if __name__ == "__main__":
    main()
