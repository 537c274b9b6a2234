"""Each middleware class's own CPU cost, on an API-key request and on a signed-in UI page, in-process through WSGI.

    PSA_DATA_DIR=var/bench-search .venv/bin/python bench/middleware_steps.py [--requests 2000]

Every class in ``settings.MIDDLEWARE`` is wrapped (bench/request_steps.py's ``Steps``), so a row is the class's
own time without the middleware and view it calls; ``view and the rest`` is everything below the chain. The
instrumentation itself costs about a microsecond per wrapped call, so compare rows between runs, not with zero.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# Its set-up (paths, settings, the bench caller's key) and its step timer: the two benchmarks measure alike.
from request_steps import Steps, clock, environ, set_up


def instrument(steps: Steps) -> None:
    from django.conf import settings
    from django.core.handlers import base
    from django.utils.module_loading import import_string

    steps.wrap(base.BaseHandler, "_get_response", "view and the rest (below the middleware chain)")
    seen = set()
    for dotted in settings.MIDDLEWARE:
        cls = import_string(dotted)
        for klass in cls.__mro__:
            if "__call__" in klass.__dict__ and klass not in seen and klass is not object:
                seen.add(klass)
                steps.wrap(klass, "__call__", lambda a: f"middleware {type(a[0]).__name__}")
                break


def call(app, path: str, extra: dict) -> None:
    status = []
    env = environ(path, "")
    del env["HTTP_X_API_KEY"]
    env.update(extra)
    b"".join(app(env, lambda s, h, *_: status.append(s)))
    if not status[0].startswith("200"):
        raise SystemExit(f"{path}: {status[0]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    key, plaintext = set_up()
    from bench_http import bench_asset_id
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.wsgi import get_wsgi_application
    from django.test import Client

    browser = Client()
    browser.force_login(key.owner)
    session_key = browser.cookies[settings.SESSION_COOKIE_NAME].value
    asset_id = bench_asset_id()
    cases = {
        "API key, one asset by id": (f"/api/v1/assets/{asset_id}", {"HTTP_X_API_KEY": plaintext}),
        "signed-in UI page (/profile/)": (
            "/profile/",
            {"HTTP_COOKIE": f"{settings.SESSION_COOKIE_NAME}={session_key}", "HTTP_ACCEPT": "text/html"},
        ),
    }
    app = get_wsgi_application()
    steps = Steps()
    try:
        for name, (path, extra) in cases.items():
            call(app, path, extra)
            started = clock()
            for _ in range(args.requests):
                call(app, path, extra)
            plain = (clock() - started) / args.requests * 1e6
            instrument(steps)
            steps.reset()
            wrapped = WSGIHandler()  # its chain ends in the wrapped _get_response
            started = clock()
            for _ in range(args.requests):
                call(wrapped, path, extra)
            instrumented = (clock() - started) / args.requests * 1e6
            steps.restore()
            print(f"\n{name} ({args.requests} requests, CPU µs per request)")
            print(f"  {'uninstrumented':56} {plain:8.0f}")
            print(f"  {'instrumented (the rows add up to it)':56} {instrumented:8.0f}")
            total = 0.0
            for label, own in sorted(steps.own.items(), key=lambda item: -item[1]):
                value = own / args.requests * 1e6
                total += value if label.startswith("middleware") else 0
                print(f"    {label:54} {value:8.1f}")
            print(f"    {'(all middleware together)':54} {total:8.1f}")
    finally:
        key.delete()


if __name__ == "__main__":
    main()
