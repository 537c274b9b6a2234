"""``manage.py vault_rotate``: rewrap every credential data key with the newest vault master key, online.

Rotation procedure (no downtime):
  1. Add the new key to PSA_VAULT_KEYS as the highest version, e.g. ``1:<old>,2:<new>``, on every web node and
     worker, and restart them. New data keys are wrapped by version 2 from then on; version 1 still unwraps.
  2. Run ``manage.py vault_rotate``. Each data key is rewrapped in its own short transaction (the row is locked
     with SELECT ... FOR UPDATE), so reveals and edits keep working while it runs. Values are not re-encrypted:
     only the wrapping of each data key changes.
  3. ``manage.py vault_rotate --check`` must report no data key on an old version; then remove the old key.

Rows that cannot be rewrapped (their master key is missing, or they fail their integrity check) are skipped,
named, and make the command exit non-zero; run it again once fixed. Running it twice is harmless.

Secrets kept outside credentials with the same scheme (authenticator secrets, single sign-on client secrets: every
model mixing in ``credentials.sealed.SealedSecret``) are rewrapped and counted the same way.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from credentials import vault
from credentials.models import DataKey
from credentials.sealed import rewrap_row, sealed_models


class Command(BaseCommand):
    help = "Rewrap every credential data key with the newest master key of PSA_VAULT_KEYS (online, resumable)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Only report key versions in use; change nothing.")
        parser.add_argument("--batch-size", type=int, default=500, help="Rows fetched per batch (default 500).")
        parser.add_argument(
            "--pause",
            type=float,
            default=None,
            help="Seconds to wait between rows so other writers get the database (default: 0.005 on SQLite, "
            "whose single write lock is otherwise taken back to back; 0 elsewhere).",
        )

    def handle(self, *args, check: bool = False, batch_size: int = 500, pause: float | None = None, **options):
        if pause is None:
            pause = 0.005 if connection.vendor == "sqlite" else 0.0
        ring = vault.load_keyring()
        status = ring.status()
        usage = _versions_in_use()
        self.stdout.write(
            f"Master keys configured: {status['versions'] or 'none'}; newest: {status['primary_version']}. "
            f"Data keys (and sealed secrets) per version: {usage or 'none'}."
        )
        for version, problem in status["problems"].items():
            self.stderr.write(f"Master key version {version} is unusable: {problem}")
        missing = sorted(v for v in usage if v not in ring.keys)
        if check:
            stale = sum(n for v, n in usage.items() if v != status["primary_version"])
            self.stdout.write(f"{stale} data key(s) to rewrap.")
            if missing:
                raise CommandError(f"Data keys use master key versions that are not configured: {missing}.")
            return
        try:
            primary = ring.primary_version
            ring.key(primary)
        except vault.VaultUnavailable as exc:
            raise CommandError(str(exc)) from None

        rewrapped, failed = 0, []
        last_pk = None
        while True:
            batch = DataKey.objects.exclude(key_version=primary).order_by("pk")
            if last_pk is not None:
                batch = batch.filter(pk__gt=last_pk)
            ids = list(batch.values_list("pk", flat=True)[:batch_size])
            if not ids:
                break
            last_pk = ids[-1]
            for pk in ids:
                try:
                    rewrapped += self._rewrap(pk, ring, primary)
                except vault.VaultError as exc:
                    failed.append((f"credential {pk}", str(exc)))
                if pause:
                    time.sleep(pause)
        for model in sealed_models():
            for pk in list(model.stale(primary).order_by("pk").values_list("pk", flat=True)):
                try:
                    rewrapped += rewrap_row(model, pk, ring)
                except vault.VaultError as exc:
                    failed.append((f"{model._meta.verbose_name} {pk}", str(exc)))
        remaining = sum(n for version, n in _versions_in_use().items() if version != primary)
        self.stdout.write(
            f"Rewrapped {rewrapped} data key(s) to version {primary}; {remaining} left on older versions."
        )
        if failed:
            for pk, reason in failed[:20]:
                self.stderr.write(f"  {pk}: {reason}")
            raise CommandError(
                f"{len(failed)} data key(s) could not be rewrapped (listed above); run again once fixed."
            )

    @staticmethod
    def _rewrap(pk, ring: vault.Keyring, primary: int) -> int:
        with transaction.atomic():
            row = DataKey.objects.select_for_update().filter(pk=pk).first()
            if row is None or row.key_version == primary:
                return 0  # deleted meanwhile, or already current
            dek = vault.unwrap_data_key(row.wrapped, row.credential_id, row.key_version, ring)
            wrapped, version = vault.wrap_data_key(dek, row.credential_id, ring)
            if vault.unwrap_data_key(wrapped, row.credential_id, version, ring) != dek:  # pragma: no cover - paranoia
                raise vault.VaultIntegrityError("The rewrapped data key does not unwrap to the same key.")
            row.wrapped, row.key_version, row.rotated_at = wrapped, version, timezone.now()
            row.save(update_fields=["wrapped", "key_version", "rotated_at"])
            return 1


def _versions_in_use() -> dict[int, int]:
    """How many data keys each master-key version wraps, over credentials and every sealed secret."""
    usage = dict(DataKey.objects.values_list("key_version").annotate(n=Count("pk")).order_by())
    for model in sealed_models():
        rows = model.objects.filter(key_version__isnull=False).values_list("key_version").annotate(n=Count("pk"))
        for version, n in rows.order_by():
            usage[version] = usage.get(version, 0) + n
    return usage
