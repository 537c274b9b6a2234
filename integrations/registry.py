"""What each kind of source is: its settings, its secrets, its jobs, how to build its client and test it.

A vendor package (``integrations/connectwise``) declares one :class:`Kind` with :func:`register`; the framework
(API, dispatcher, tasks, UI) only ever works through this registry, so a new vendor adds a package, not branches.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SettingField:
    """A non-secret setting of a source (kept in ``Source.settings``)."""

    name: str
    label: str
    required: bool = False
    default: Any = None
    help: str = ""


@dataclass(frozen=True)
class SecretField:
    """A secret of a source, kept in the vault under the kind's built-in credential type."""

    name: str
    label: str
    required: bool = True


@dataclass(frozen=True)
class Job:
    """One sync job: ``run(context)`` pulls one kind of record; runs are locked and recorded per source and job."""

    name: str
    label: str
    run: Callable[[Any], None]
    default_interval: int  # seconds between scheduled runs


@dataclass(frozen=True)
class Check:
    """One line of a connection test: what was checked, whether it passed, and what to do if not."""

    name: str
    ok: bool
    message: str


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    credential_type_id: uuid.UUID
    credential_type_name: str
    settings_fields: tuple[SettingField, ...]
    secret_fields: tuple[SecretField, ...]
    jobs: tuple[Job, ...]
    # (source, secrets, **client options) -> an ApiClient of the vendor
    make_client: Callable[..., Any]
    # (client) -> list[Check]
    test: Callable[[Any], list[Check]]
    # (source, record kind, external id) -> the record's page in the vendor's UI, or ""
    external_url: Callable[[Any, str, str], str] = field(default=lambda source, kind, external_id: "")
    # (merged settings) -> {setting: [messages]}: the kind's own checks of its settings' values
    validate_settings: Callable[[dict], dict[str, list[str]]] = field(default=lambda settings: {})

    def job(self, name: str) -> Job | None:
        return next((job for job in self.jobs if job.name == name), None)

    def interval(self, source, job: Job) -> int:
        value = (source.intervals or {}).get(job.name)
        return int(value) if isinstance(value, int) and value > 0 else job.default_interval


_kinds: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    _kinds[kind.key] = kind
    return kind


def get(key: str) -> Kind | None:
    return _kinds.get(key)


def kinds() -> dict[str, Kind]:
    return dict(_kinds)
