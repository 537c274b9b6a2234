"""``manage.py simulate connectwise|hudu --port N``: serve a vendor simulator on loopback, by hand or for ``make run``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from integrations.connectwise.simulator import (
    DEMO_CLIENT_ID,
    DEMO_COMPANY,
    DEMO_PRIVATE_KEY,
    DEMO_PUBLIC_KEY,
    ConnectWiseSimulator,
    Size,
)
from integrations.demo import DEMO_IDENTIFIERS
from integrations.hudu.simulator import DEMO_API_KEY

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class Command(BaseCommand):
    help = "Serve a simulator of a vendor API on loopback (connectwise, hudu)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("vendor", choices=["connectwise", "hudu"])
        parser.add_argument("--port", type=int, default=None, help="Default: 8011 (connectwise), 8012 (hudu).")
        parser.add_argument("--host", default="127.0.0.1", help="Loopback only (default: %(default)s).")
        parser.add_argument("--companies", type=int, default=20)
        parser.add_argument("--assets", type=int, default=60, help="Hudu only.")
        parser.add_argument("--passwords", type=int, default=30, help="Hudu only.")
        parser.add_argument("--websites", type=int, default=20, help="Hudu only.")
        parser.add_argument("--contacts", type=int, default=60)
        parser.add_argument("--sites", type=int, default=30)
        parser.add_argument("--configurations", type=int, default=80)
        parser.add_argument("--members", type=int, default=5)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--malformed-every", type=int, default=0, help="Make every Nth record malformed.")
        parser.add_argument("--fault-rate", type=float, default=0.0, help="Share of GETs answered 429/500.")

    def handle(self, *args, vendor: str, port: int, host: str, **options) -> None:
        if host not in LOOPBACK:
            raise CommandError("The simulator serves loopback only (127.0.0.1 or ::1).")
        if vendor == "hudu":
            self._serve(host, port or 8012, self._hudu(options), "Hudu", f"API key {DEMO_API_KEY}")
            return
        port = port or 8011
        size = Size(options["companies"], options["contacts"], options["sites"], options["configurations"],
                    options["members"])  # fmt: skip
        simulator = ConnectWiseSimulator(
            size, seed=options["seed"], malformed_every=options["malformed_every"], identifiers=DEMO_IDENTIFIERS
        )
        simulator.fault_rate = options["fault_rate"]
        from werkzeug.serving import make_server

        server = make_server(host, port, simulator, threaded=True)
        self.stdout.write(
            f"ConnectWise simulator on http://{host}:{server.port}/ (company {DEMO_COMPANY}, public key "
            f"{DEMO_PUBLIC_KEY}, private key {DEMO_PRIVATE_KEY}, clientId {DEMO_CLIENT_ID}). Ctrl-C stops it."
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()

    @staticmethod
    def _hudu(options: dict):
        from integrations.hudu.demo import DEMO_COMPANY_NAMES
        from integrations.hudu.simulator import HuduSimulator
        from integrations.hudu.simulator import Size as HuduSize

        size = HuduSize(options["companies"], options["assets"], options["passwords"], options["websites"])
        simulator = HuduSimulator(size, seed=options["seed"], names=DEMO_COMPANY_NAMES,
                                  malformed_every=options["malformed_every"])  # fmt: skip
        simulator.fault_rate = options["fault_rate"]
        return simulator

    def _serve(self, host: str, port: int, app, label: str, credentials: str) -> None:
        from werkzeug.serving import make_server

        server = make_server(host, port, app, threaded=True)
        self.stdout.write(f"{label} simulator on http://{host}:{server.port}/ ({credentials}). Ctrl-C stops it.")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
