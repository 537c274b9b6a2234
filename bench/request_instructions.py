"""Instructions per API request: the request_steps routes counted by valgrind, not timed.

    PSA_DATA_DIR=var/bench-tickets .venv/bin/python bench/request_instructions.py [--routes tickets,clients,asset]

A shared machine's clock moves by more than most changes (one run's req/s by ±10 %, CPU time by up to 2x from one
minute to the next); the number of instructions a request executes does not. For each route and each target (PSA,
the plain Django view of bench/django_floor.py, the raw WSGI floor of bench/floor_app.py, for the routes they
serve) this runs a child process under ``valgrind --tool=callgrind`` twice, with ``--requests`` requests through
WSGI in-process after a warm-up and with none, and prints the difference per request and the ratios. Instructions
are everything the process runs, SQLite's engine included (PostgreSQL's and Redis's servers are other processes and
are not counted). ``PYTHONHASHSEED`` is fixed so two runs of one tree agree to about 1 %. Slow (valgrind runs Python
about 50x slower): about a minute per route and target at the default 100 requests. Not a test; nothing asserts.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ("PSA", "plain Django view", "floor (raw WSGI)")
WARM_UP = 20


def child(route: str, target: str, requests: int) -> None:
    """Runs under valgrind: ``WARM_UP`` requests, then ``requests`` more, of ``route`` on ``target``."""
    sys.path.insert(0, str(ROOT / "bench"))
    import request_steps

    key, plaintext = request_steps.set_up()
    try:
        import django_floor
        import floor_app
        from bench_itflow import TICKET_COLUMNS
        from django.core.wsgi import get_wsgi_application

        routes = request_steps.route_paths()
        routes["ticket-columns"] = ("tickets ITFlow's columns", f"/api/v1/tickets?limit=50&fields={TICKET_COLUMNS}")
        path = routes[route][1]
        app = {"PSA": get_wsgi_application, "plain Django view": lambda: django_floor.application,
               "floor (raw WSGI)": lambda: floor_app.application}[target]()  # fmt: skip
        for _ in range(WARM_UP + requests):
            request_steps.call(app, path, plaintext)
    finally:
        key.delete()


def instructions(route: str, target: str, requests: int) -> int:
    """The instructions ``requests`` requests add to a run with none (valgrind's total of each run)."""
    totals = []
    for count in (0, requests):
        command = [
            "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__,
            "--child", route, target, str(count),
        ]  # fmt: skip
        run = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
        found = re.search(r"refs:\s*([\d,]+)", run.stderr)
        if run.returncode or found is None:
            raise SystemExit(f"{route} on {target}: valgrind failed\n{run.stderr[-2000:]}")
        totals.append(int(found.group(1).replace(",", "")))
    return (totals[1] - totals[0]) // requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--routes", default="asset,clients,tickets", help="request_steps' route names, or "
                        "ticket-columns (the ticket list narrowed to ITFlow's columns)")  # fmt: skip
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--psa-only", action="store_true", help="count PSA alone, not the two references")
    parser.add_argument("--child", nargs=3, metavar=("ROUTE", "TARGET", "REQUESTS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]))
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    served = {"asset", "clients", "tickets"}  # the routes the references answer alike
    print(f"instructions per request (callgrind, {args.requests} requests minus none, in-process WSGI)")
    for route in args.routes.split(","):
        targets = TARGETS[:1] if args.psa_only or route not in served else TARGETS
        counts = {target: instructions(route, target, args.requests) for target in targets}
        cells = [f"{target} {count / 1e6:6.2f} M" for target, count in counts.items()]
        ratios = [f"{counts['PSA'] / counts[target]:.1f}x {target}" for target in targets[1:]]
        print(f"  {route:16} " + " | ".join(cells) + (f"   (PSA = {', '.join(ratios)})" if ratios else ""))


if __name__ == "__main__":
    main()
