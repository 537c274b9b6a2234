"""``manage.py bootstrap_demo``: the demo admin, one API key and a small demo MSP, for ``make run``.

Idempotent. The demo data (each app's ``demo.py``, see :mod:`psa.demo`) is created only while there are no clients
at all, so it never touches a database in use. The admin is
created once with a random password, which is printed then and kept in the data folder (mode 0600) so that
``make run`` can show it again (``--show-saved-password``). The API key is printed once, when it is issued;
only its hash is stored, so later runs say where to create a new one. Nothing here goes to the log.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiKey, User
from clients.models import Client
from integrations.demo import ensure_demo_sources
from psa.demo import build_demo

PASSWORD_FILE = "demo-admin-password"
DEMO_KEY_DESCRIPTION = "Demo key (make run)"


class Command(BaseCommand):
    help = "Create the demo admin, an API key and demo clients when they do not exist yet (safe to re-run)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--login", default="admin", help="Login of the demo administrator (default: admin).")
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000", help="Base URL to mention in the output (default: %(default)s)."
        )
        parser.add_argument("--no-demo-data", action="store_true", help="Do not create the demo data.")
        parser.add_argument(
            "--show-saved-password",
            action="store_true",
            help="On later runs, print the admin password kept in the data folder if it still works (make run).",
        )

    def handle(self, *args, login: str, url: str, no_demo_data: bool, show_saved_password: bool, **options):
        url = url.rstrip("/")
        password_path = Path(settings.DATA_DIR) / PASSWORD_FILE
        lines: list[tuple[str, str]] = []

        with transaction.atomic():
            # The admin first: the demo gives them tickets of their own, so "my open tickets" is not empty.
            admin, password = self._admin(login)
            if not no_demo_data:
                lines.append(("Demo data", self._demo_data()))
                lines.append(("Integrations", ensure_demo_sources()))
            plaintext = None
            if password is not None:
                expires_at = timezone.now() + timedelta(days=365)
                _key, plaintext = ApiKey.issue(admin, DEMO_KEY_DESCRIPTION, expires_at)
                # Inside the transaction: if the copy cannot be written, the admin is not created either.
                _write_secret(password_path, password)

        lines.append(("Admin login", login))
        if password is not None:
            lines.append(("Admin password", f"{password}  (new; also kept in {password_path}, mode 0600)"))
        else:
            lines.append(("Admin password", self._saved_password_note(admin, password_path, show_saved_password)))
        if plaintext is not None:
            lines.append(("API key", f"{plaintext}  (shown once, never stored in clear: copy it now)"))
        else:
            lines.append(
                (
                    "API key",
                    f"not shown again (only its hash is stored). Create a new one on your profile page, "
                    f"{url}/profile/, or with POST {url}/api/v1/api-keys",
                )
            )

        width = max(16, *(len(label) + 1 for label, _ in lines))  # lines up with the banner of make run
        for label, value in lines:
            self.stdout.write(f"{label + ':':<{width}} {value}")

    def _demo_data(self) -> str:
        if Client.objects.exists():
            return f"kept ({Client.objects.count()} clients already present, none added)"
        return "created " + "; ".join(build_demo())

    def _admin(self, login: str) -> tuple[User, str | None]:
        """The admin user, and its password when it was created just now."""
        existing = User.objects.filter(login=login).first()
        if existing is not None:
            return existing, None
        password = secrets.token_urlsafe(15)
        admin = User.objects.create_superuser(login, email=f"{login}@example.com", password=password, name="Demo Admin")
        return admin, password

    def _saved_password_note(self, admin: User, path: Path, show: bool) -> str:
        if not path.exists():
            return "unchanged (set when the user was created; no saved copy)"
        saved = path.read_text().strip()
        if not admin.check_password(saved):
            # The admin changed it since: the saved copy is useless and misleading, so it goes.
            path.unlink(missing_ok=True)
            return f"changed since the first run (removed the stale {path})"
        if show:
            return f"{saved}  (kept in {path}, mode 0600)"
        return f"unchanged, kept in {path} (mode 0600)"


def _write_secret(path: Path, value: str) -> None:
    """Write ``value`` to ``path`` readable by the owner only, replacing an older copy."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    os.chmod(path, 0o600)
