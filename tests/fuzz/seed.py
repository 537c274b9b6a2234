"""Seed the throwaway database of the schemathesis run (tests/fuzz/run_schemathesis.py).

Builds the route harness's world (one object of every model, in client A and client B, see
tests/test_route_harness.py), an administrator holding ``*`` with an API key, and a spare object for every DELETE
so deleting does not take away what the other operations read. Writes a JSON file naming the key and, for every
operation with path parameters, the ids that fill them, so generated requests reach real objects.

The live routes (ConnectWise sales and procurement, UniFi, Hudu and the sources' connection tests) need their
upstreams for the whole run: this process serves the harness's ConnectWise and UniFi simulators and a Hudu simulator
on free loopback ports, points every source of the world at the simulator of its kind, prints ``READY`` once the
file is written, and serves until its standard input closes (tests/fuzz/run_schemathesis.py holds it open).

Run with the fuzz run's environment: ``python tests/fuzz/seed.py OUT.json``.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FUZZ_LOGIN = "fuzz-admin"
READY = "READY"
# Where the harness points the sources whose routes it checks without an upstream (a closed port).
CLOSED_PORT_URL = "http://127.0.0.1:9"


def _template(pattern: str, names: tuple[str, ...]) -> str:
    """The OpenAPI path of a URL pattern: ``api/v1/assets/(?P<asset_id>...)`` becomes ``/api/v1/assets/{asset_id}``."""
    path = pattern
    for name in names:
        path = _replace_group(path, name)
        path = re.sub(rf"<(?:\w+:)?{name}>", "{" + name + "}", path)
    # drf-spectacular documents a view's ``pk`` as ``id``.
    return "/" + path.replace("^", "").replace("$", "").replace("{pk}", "{id}")


def _replace_group(path: str, name: str) -> str:
    """Replace the named group ``(?P<name>...)``, nested parentheses included, by ``{name}``."""
    start = path.find(f"(?P<{name}>")
    if start < 0:
        return path
    depth, index = 0, start
    while index < len(path):
        char = path[index]
        if char == "\\":
            index += 2
            continue
        depth += char == "("
        depth -= char == ")"
        if depth == 0:
            return path[:start] + "{" + name + "}" + path[index + 1 :]
        index += 1
    raise SystemExit(f"seed: unbalanced group {name} in {path}")


def _values(template: str, url: str) -> dict[str, str]:
    """The path parameters of ``url``, read back against ``template``."""
    regex = re.escape(template).replace(r"\{", "{").replace(r"\}", "}")
    regex = re.sub(r"{(\w+)}", r"(?P<\1>[^/]+)", regex)
    match = re.fullmatch(regex, url)
    if match is None:
        raise SystemExit(f"seed: {url} does not match {template}")
    return match.groupdict()


def seed() -> dict:
    from django.db import transaction

    from tests.factories import make_key, make_user
    from tests.test_route_harness import ROUTES, ROW_FACTORIES, build_url, build_world

    numbers = itertools.count(1)
    with transaction.atomic():
        world = build_world()
        point_sources_at_simulators(start_hudu_simulator())
        for route in ROUTES:
            model = route.model
            if route.action == "destroy" and model not in world.delete_targets and model in ROW_FACTORIES:
                world.delete_targets[model] = ROW_FACTORIES[model](world, next(numbers))
        admin = make_user(["*"], login=FUZZ_LOGIN, name="Schemathesis")
        _key, plaintext = make_key(admin, expires_in=timedelta(days=1), description="schemathesis run")
        operations = []
        for route in ROUTES:
            if not route.kwarg_names:
                continue
            template = _template(route.pattern, route.kwarg_names)
            operations.append(
                {"method": route.method, "path": template, "parameters": _values(template, build_url(route, world))}
            )
    return {"api_key": plaintext, "operations": operations, "body": _body_references(world)}


def start_hudu_simulator() -> str:
    """A Hudu simulator on a free loopback port (the harness's Hudu source has none); returns its URL."""
    from integrations.hudu.simulator import HuduSimulator

    server = HuduSimulator().serve()  # a daemon thread, like the harness's: it ends with this process
    return f"http://127.0.0.1:{server.port}"


def point_sources_at_simulators(hudu_url: str) -> dict[str, str]:
    """Point the sources the harness left on a closed port at a live simulator of their kind; returns kind -> URL.

    The harness's ConnectWise and UniFi sources already use its simulators (served by this process, see the module
    docstring); a source's connection test and sync should meet a live upstream too, not a refused connection.
    """
    from integrations.models import Source
    from tests.integrations.live_sim import shared_simulator

    urls = {"connectwise": shared_simulator()[1], "hudu": hudu_url}
    for kind, url in urls.items():
        Source.objects.filter(kind=kind, base_url=CLOSED_PORT_URL).update(base_url=url)
    return urls


def serve_until_stdin_closes(stdin=sys.stdin) -> None:
    """Keep the simulators' threads serving until whoever started this process closes its standard input."""
    print(READY, flush=True)
    stdin.read()


def _body_references(world) -> dict[str, str]:
    """Valid, mutually consistent ids (all in client A, on the harness board) for the references bodies hold.

    The schema can say that ``location_id`` is a UUID, not that it must name a location of the same client;
    without these, nearly every generated write would be refused for naming objects that do not exist.
    """
    from assets.models import Domain, Network
    from clients.models import Contact, Location, Vendor
    from tickets.models import Category, Priority, Status

    vendor = world.objects[Vendor]
    status = Status.objects.filter(board=world.ticket_board, name="Open").get()
    ids = {
        "client_id": world.client_a,
        "location_id": world.objects[Location],
        "network_id": world.objects[Network],
        "vendor_id": vendor,
        "registrar_id": vendor,
        "web_host_id": vendor,
        "domain_id": world.objects[Domain],
        "board_id": world.ticket_board,
        "status_id": status,
        "priority_id": world.objects[Priority],
        "default_priority_id": world.objects[Priority],
        "category_id": world.objects[Category],
        "type_id": world.vault_type,
        "assigned_to": world.ticket_user,
        "parent_comment_id": world.kwargs["comment_id"][0],
        "contact_id": world.objects[Contact],
    }
    return {f"body.{name}": str(obj.pk) for name, obj in ids.items()}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(f"usage: {argv[0]} OUT.json", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "psa.settings")
    import django

    django.setup()
    out = Path(argv[1])
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds an API key
    with os.fdopen(fd, "w") as handle:
        json.dump(seed(), handle, indent=1)
    from django.db import connections

    connections.close_all()  # the server owns the database from here (PostgreSQL drops it with FORCE at the end)
    serve_until_stdin_closes()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
