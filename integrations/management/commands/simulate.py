"""``manage.py simulate <vendor> --port N``: serve a vendor simulator on loopback, by hand or for ``make run``.

Each vendor is a subcommand with the shared options (``--port``, ``--host``, ``--seed``, ``--fault-rate``,
``--delay``) and its own (sizes, mode), which its simulator class declares (:meth:`Simulator.add_arguments`).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string

from integrations.simulator import NotLoopback, serve_forever

# vendor -> the simulator class (imported only when that vendor is served)
VENDORS = {
    "connectwise": "integrations.connectwise.simulator.ConnectWiseSimulator",
    "hudu": "integrations.hudu.simulator.HuduSimulator",
    "unifi": "integrations.unifi.simulator.UnifiSimulator",
    "openid": "integrations.openid.simulator.OpenIdSimulator",
}


class Command(BaseCommand):
    help = "Serve a simulator of a vendor API on loopback (connectwise, hudu, unifi, openid)."

    def add_arguments(self, parser) -> None:
        vendors = parser.add_subparsers(dest="vendor", required=True, metavar="vendor")
        for vendor, path in VENDORS.items():
            simulator = import_string(path)
            sub = vendors.add_parser(vendor, help=f"the {vendor} simulator")
            sub.add_argument("--port", type=int, default=simulator.default_port,
                             help="Default: %(default)s (0: any free port).")  # fmt: skip
            sub.add_argument("--host", default="127.0.0.1", help="Loopback only (default: %(default)s).")
            sub.add_argument("--seed", type=int, default=1, help="The generated data's seed.")
            sub.add_argument("--fault-rate", type=float, default=0.0, help="Share of GETs answered 429/500.")
            sub.add_argument("--delay", type=float, default=0.0, help="Seconds every answer waits (a slow server).")
            simulator.add_arguments(sub)

    def handle(self, *args, vendor: str, port: int, host: str, **options) -> None:
        simulator = import_string(VENDORS[vendor]).from_options(options)
        simulator.fault_rate = options["fault_rate"]
        simulator.delay = options["delay"]

        def announce(bound: int) -> None:
            url = f"http://{'[::1]' if host == '::1' else host}:{bound}"
            if hasattr(simulator, "issuer") and not simulator.issuer:
                simulator.issuer = url  # the OpenID provider names itself by its URL
            self.stdout.write(f"{simulator.banner(url)}. Ctrl-C stops it.")

        try:
            serve_forever(simulator, host, port, announce)
        except NotLoopback as exc:
            raise CommandError(str(exc)) from None
