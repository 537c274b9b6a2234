"""``manage.py simulate_unifi --port N [--mode classic]``: serve the UniFi simulator on loopback (``make run``)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from integrations.unifi.demo import DEMO_SITES, DEVICES_PER_SITE
from integrations.unifi.simulator import DEMO_PASSWORD, DEMO_USERNAME, UnifiSimulator

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class Command(BaseCommand):
    help = "Serve a UniFi Network controller simulator on loopback (UniFi OS by default, or a classic controller)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=8013)
        parser.add_argument("--host", default="127.0.0.1", help="Loopback only (default: %(default)s).")
        parser.add_argument("--mode", choices=["unifi_os", "classic"], default="unifi_os")
        parser.add_argument("--sites", type=int, default=len(DEMO_SITES))
        parser.add_argument("--devices-per-site", type=int, default=DEVICES_PER_SITE)
        parser.add_argument("--delay", type=float, default=0.0, help="Seconds every answer waits (a slow console).")

    def handle(self, *args, port: int, host: str, mode: str, **options) -> None:
        if host not in LOOPBACK:
            raise CommandError("The simulator serves loopback only (127.0.0.1 or ::1).")
        simulator = UnifiSimulator(
            mode, sites=options["sites"], devices_per_site=options["devices_per_site"], site_names=DEMO_SITES
        )
        simulator.delay = options["delay"]
        from werkzeug.serving import make_server

        server = make_server(host, port, simulator, threaded=True)
        self.stdout.write(
            f"UniFi simulator ({mode}) on http://{host}:{server.port}/ (user {DEMO_USERNAME}, password "
            f"{DEMO_PASSWORD}). Ctrl-C stops it."
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
