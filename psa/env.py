"""Typed readers for the ``PSA_*`` environment variables, and the local secrets of the embedded default."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def local_secret(data_dir: Path, filename: str, nbytes: int = 48) -> str:
    """Read a secret kept in the data folder, creating it on first use.

    Only the embedded default relies on this; production sets the matching ``PSA_*`` variable.
    The file is created exclusively and readable by its owner only, so concurrent first starts agree.
    """
    path = data_dir / filename
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(nbytes))
    return path.read_text().strip()


def parse_keyring(value: str) -> dict[int, str]:
    """Parse ``"1:secret,2:secret"`` into ``{1: "secret", 2: "secret"}``."""
    ring: dict[int, str] = {}
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        version, sep, secret = item.partition(":")
        if not sep or not version.strip().isdigit() or not secret.strip():
            raise ValueError("keyring entries must look like '<version>:<secret>'")
        ring[int(version)] = secret.strip()
    return ring
