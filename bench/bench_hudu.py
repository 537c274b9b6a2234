#!/usr/bin/env python
"""Benchmark the Hudu sync against the simulator (in-process, through httpx's WSGI transport).

Usage (from the repository root)::

    .venv/bin/python bench/bench_hudu.py                     # SQLite in var/bench-hudu
    .venv/bin/python bench/bench_hudu.py --database-url postgres://psa@127.0.0.1/psa_bench_hudu

Hudu pages are 25 records and the API allows 300 requests a minute, so a real first sync of 30,000 records is
bound by the rate limit (about 1,250 requests, 4.5 minutes at our 280 a minute). The client's pacer, its retry sleeps
and the simulator's rate-limit window share one virtual clock here: nothing waits, the pacing is real (the
simulator answers 429 past 300 requests in any 60 virtual seconds), and the figures are

1. first sync (default 500 companies, 20,000 assets, 10,000 passwords, 1,000 websites): records per second of
   processing (wall and CPU) and the rate-limited duration (virtual minutes) with the 429s the simulator answered;
2. a full re-pull with nothing changed (cursors cleared) and an incremental re-sync: the rows written;
3. 10 % of requests answered 429/500: the same rows as scenario 1.

Numbers are printed, never asserted.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))

from bench_connectwise import configure, counting, fresh_database  # noqa: E402

JOBS = ["hudu.companies", "hudu.layouts", "hudu.websites", "hudu.assets", "hudu.passwords"]


class VirtualTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=str(BASE_DIR / "var" / "bench-hudu"))
    parser.add_argument("--database-url", default="")
    parser.add_argument("--companies", type=int, default=500)
    parser.add_argument("--assets", type=int, default=20000)
    parser.add_argument("--passwords", type=int, default=10000)
    parser.add_argument("--websites", type=int, default=1000)
    parser.add_argument("--fault-rate", type=float, default=0.10)
    return parser.parse_args()


def make_source():
    from integrations import secrets as source_secrets
    from integrations.hudu.simulator import DEMO_API_KEY
    from integrations.models import Source

    source = Source.objects.create(kind="hudu", name="Bench Hudu", base_url="http://hudu.bench",
                                   settings={"create_clients": "true"})  # fmt: skip
    source_secrets.store(source, {"api_key": DEMO_API_KEY})
    return source


def make_client(simulator, clock: VirtualTime):
    import httpx
    from django.conf import settings

    from integrations.http import RetryPolicy
    from integrations.hudu.client import HuduClient, Pacer
    from integrations.hudu.simulator import DEMO_API_KEY

    pacer = Pacer(settings.HUDU_REQUESTS_PER_MINUTE, clock=clock.clock, sleep=clock.sleep)
    return HuduClient("http://hudu.bench", api_key=DEMO_API_KEY, transport=httpx.WSGITransport(app=simulator),
                      pacer=pacer, sleep=clock.sleep, clock=clock.clock, retry=RetryPolicy(attempts=8))  # fmt: skip


def run_all(source, client) -> tuple[list, float, float]:
    from integrations.sync import run_job

    started, cpu = time.perf_counter(), time.process_time()
    runs = [run_job(source, job, client=client) for job in JOBS]
    return runs, time.perf_counter() - started, time.process_time() - cpu


def describe(runs) -> str:
    return ", ".join(f"{r.job.split('.')[1]}={r.status}(+{r.created} ~{r.updated} ={r.unchanged} !{r.failed})"
                     for r in runs)  # fmt: skip


def local_state() -> tuple:
    from assets.models import Asset, Domain
    from clients.models import Client
    from credentials.models import Credential, SecureValue
    from integrations.hudu.models import HuduAssetFields
    from integrations.models import ExternalRecord

    counts = {
        "clients": Client.objects.exclude(hudu_id=None).count(),
        "assets": Asset.objects.count(),
        "asset_fields": HuduAssetFields.objects.count(),
        "domains": Domain.objects.count(),
        "credentials": Credential.objects.count() - 1,
        "secure_values": SecureValue.objects.count() - 1,
    }  # fmt: skip  (minus the source's own API key credential)
    return counts, set(ExternalRecord.objects.values_list("kind", "external_id", "payload_hash"))


def main() -> None:
    args = parse_args()
    configure(args)
    from django.conf import settings
    from django.db import connection

    from integrations.hudu.simulator import HuduSimulator, Size
    from integrations.models import SyncRun

    size = Size(args.companies, args.assets, args.passwords, args.websites)
    print(f"database: {connection.vendor}; {size}")

    # 1. first sync
    fresh_database()
    source, clock = make_source(), VirtualTime()
    simulator = HuduSimulator(size, clock=clock.clock)
    client = make_client(simulator, clock)
    with counting() as first:
        runs, seconds, cpu = run_all(source, client)
    records = sum(r.created + r.updated + r.unchanged + r.failed for r in runs)
    baseline = local_state()
    print(f"1. first sync: {records} records in {seconds:.1f} s = {records / seconds:,.0f} records/s "
          f"(CPU {cpu:.1f} s = {records / cpu:,.0f} records per CPU second, simulator included); "
          f"{first.writes} write statements")  # fmt: skip
    print(f"   {len(simulator.requests)} requests over {clock.now / 60:.1f} virtual minutes of pacing (at most "
          f"{settings.HUDU_REQUESTS_PER_MINUTE} in any 60 s; the first minute's burst starts at once); "
          f"429s answered by the simulator (limit 300/min): {simulator.throttled}")  # fmt: skip
    print(f"   {describe(runs)}")
    print(f"   local rows: {baseline[0]}")

    # 2. nothing changed: incremental, then a full re-pull
    with counting() as again:
        runs, seconds, _ = run_all(source, client)
    print(f"2. incremental re-sync, nothing changed: {again.writes} rows written in {seconds:.1f} s; {describe(runs)}")
    SyncRun.objects.update(cursor_after="")
    with counting() as full:
        runs, seconds, _ = run_all(source, client)
    unchanged = sum(r.unchanged for r in runs)
    print(f"2b. full re-pull, nothing changed: {unchanged} records compared in {seconds:.1f} s "
          f"({unchanged / seconds:,.0f}/s), {full.writes} rows written; 429s so far: {simulator.throttled}")  # fmt: skip

    # 3. faults on 10 % of the requests
    fresh_database()
    source, clock = make_source(), VirtualTime()
    faulty = HuduSimulator(size, clock=clock.clock)
    faulty.fault_rate = args.fault_rate
    runs, seconds, _ = run_all(source, make_client(faulty, clock))
    injected = sum(1 for r in faulty.requests if r.status in (429, 500)) - faulty.throttled
    print(f"3. {args.fault_rate:.0%} of requests 429/500: {injected} injected faults retried; statuses "
          f"{[str(r.status) for r in runs]}; rate-limit 429s: {faulty.throttled}; same rows and payload hashes as "
          f"scenario 1: {local_state() == baseline}")  # fmt: skip


if __name__ == "__main__":
    main()
