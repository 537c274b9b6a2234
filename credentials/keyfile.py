"""The embedded default's vault master key: one base64 256-bit key in a file of the data folder.

Imported by ``psa/settings.py``, so this module must not import Django. Production sets ``PSA_VAULT_KEYS`` instead.
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
from pathlib import Path

VAULT_KEY_FILENAME = "vault_master_key"


def local_vault_key(data_dir: Path, filename: str = VAULT_KEY_FILENAME) -> str:
    """The base64 key kept in ``data_dir/filename``, created on first use (mode 0600).

    The key is written to a private temporary file and hard-linked into place, which either succeeds or finds the
    file already there: concurrent first starts agree on one key, and no reader ever sees a half-written file.
    """
    path = Path(data_dir) / filename
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{filename}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(base64.b64encode(secrets.token_bytes(32)).decode("ascii") + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
    return path.read_text().strip()
