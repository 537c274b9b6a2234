#!/usr/bin/env python
"""Benchmark the ConnectWise sync against the simulator (in-process, through httpx's WSGI transport).

Usage (from the repository root)::

    .venv/bin/python bench/bench_connectwise.py                     # SQLite in var/bench-cw
    .venv/bin/python bench/bench_connectwise.py --database-url postgres://psa@127.0.0.1/psa_bench_cw

Four scenarios, each on a freshly flushed database of its own (``PSA_DATA_DIR`` defaults to ``var/bench-cw``;
``PSA_DATABASE_URL`` from the environment is ignored unless given with ``--database-url``):

1. first sync of every job (default 2,000 companies, 20,000 contacts, 4,000 sites, 50,000 configurations): records/s;
2. the same sync again with nothing changed: the rows written (statements that change data, bookkeeping excluded);
3. one record in 100 malformed: the runs are ``partial`` and the other 99 % are stored;
4. 429s and 500s on 10 % of the pages: the same rows as scenario 1.

Numbers are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
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
        if verb in ("INSERT", "UPDATE", "DELETE") and not any(table in sql for table in BOOKKEEPING):
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
    import httpx

    from integrations.connectwise.client import ConnectWiseClient
    from integrations.connectwise.simulator import DEMO_CLIENT_ID, DEMO_COMPANY, DEMO_PRIVATE_KEY, DEMO_PUBLIC_KEY
    from integrations.http import RetryPolicy

    return ConnectWiseClient(
        "http://cw.bench", company_id=DEMO_COMPANY, public_key=DEMO_PUBLIC_KEY, private_key=DEMO_PRIVATE_KEY,
        client_id=DEMO_CLIENT_ID, transport=httpx.WSGITransport(app=simulator), sleep=sleeps.append,
        retry=RetryPolicy(attempts=8),
    )  # fmt: skip


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


def main() -> None:
    args = parse_args()
    configure(args)
    from django.db import connection

    from integrations.connectwise.simulator import ConnectWiseSimulator, Size

    size = Size(args.companies, args.contacts, args.sites, args.configurations, args.members)
    total = size.companies + size.contacts + size.sites + size.configurations + size.members
    print(f"database: {connection.vendor}; {size}")

    # 1. first sync
    fresh_database()
    source = make_source()
    simulator = ConnectWiseSimulator(size)
    client = make_client(simulator, [])
    with counting() as first_writes:
        runs, seconds = run_all(source, client)
    records = sum(r.created + r.updated + r.unchanged + r.failed for r in runs)
    baseline, baseline_state = local_counts(), mirror_state()
    print(f"1. first sync: {records} records in {seconds:.1f} s = {records / seconds:,.0f} records/s "
          f"(CPU {run_all.cpu:.1f} s = {records / run_all.cpu:,.0f} records per CPU second, simulator included); "
          f"{first_writes.writes} write statements; {simulator_requests(simulator)} requests")  # fmt: skip
    print(f"   {describe(runs)}")
    print(f"   local rows: {baseline}")

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
          f"({unchanged / seconds:,.0f}/s), {full.writes} rows written")  # fmt: skip

    if args.quick:
        return
    # 3. 1 record in 100 malformed
    fresh_database()
    source = make_source()
    bad = ConnectWiseSimulator(size, malformed_every=100)
    runs, seconds = run_all(source, make_client(bad, []))
    malformed = sum(1 for records in bad.data.values() for i, _ in enumerate(records, 1) if i % 100 == 0)
    stored = sum(r.created for r in runs)
    print(f"3. 1% malformed: {malformed} malformed of {total}; stored {stored}, failed {sum(r.failed for r in runs)}; "
          f"statuses {[str(r.status) for r in runs]}")  # fmt: skip

    # 4. faults on 10% of the pages
    fresh_database()
    source = make_source()
    faulty = ConnectWiseSimulator(size)
    faulty.fault_rate, faulty.fault_statuses = args.fault_rate, (429, 500)
    sleeps: list = []
    runs, seconds = run_all(source, make_client(faulty, sleeps))
    same = local_counts() == baseline and mirror_state() == baseline_state
    print(f"4. {args.fault_rate:.0%} of pages 429/500: {len(sleeps)} retries; statuses {[str(r.status) for r in runs]}; "
          f"same rows and payload hashes as scenario 1: {same}")  # fmt: skip


def simulator_requests(simulator) -> int:
    return len(simulator.requests)


if __name__ == "__main__":
    main()
