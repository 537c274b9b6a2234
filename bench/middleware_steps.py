"""Each middleware class's own CPU cost, on an API-key request and on a signed-in UI page, in-process through WSGI.

    PSA_DATA_DIR=var/bench-search .venv/bin/python bench/middleware_steps.py [--requests 2000]

Every class in ``settings.MIDDLEWARE`` is wrapped (bench/request_steps.py's ``Steps``), so a row is the class's
own time without the middleware and view it calls; ``view and the rest`` is everything below the chain. The
instrumentation itself costs about a microsecond per wrapped call, so compare rows between runs, not with zero.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "psa.settings")
os.environ["PSA_ALLOWED_HOSTS"] = "127.0.0.1,localhost"
os.environ.setdefault("PSA_API_RATE_LIMIT", "100000000/min")

from request_steps import Steps, clock, environ  # noqa: E402


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
    import django

    django.setup()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.wsgi import get_wsgi_application
    from django.test import Client

    from accounts.models import ApiKey, User
    from assets.models import Asset

    tech = User.objects.get(login="bench-tech-0")
    tech.permissions = ["ticket.*", "obj.*", "client.read", "contact.read", "asset.read"]
    tech.save(update_fields=["permissions"])
    key, plaintext = ApiKey.issue(tech, "bench middleware", datetime.now(UTC) + timedelta(days=1))
    browser = Client()
    browser.force_login(tech)
    session_key = browser.cookies[settings.SESSION_COOKIE_NAME].value
    asset_id = Asset.objects.order_by("pk").values_list("pk", flat=True).first()
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
