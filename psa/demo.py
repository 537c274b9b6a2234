"""The demo-data registry: each app contributes a builder for its own objects; ``manage.py bootstrap_demo`` runs them.

An app declares its builder in ``<app>/demo.py`` with :func:`demo_builder`; :func:`build_demo` discovers those
modules (like the admin's autodiscovery), so ``psa`` imports no app. Builders run in ``order`` inside one
transaction, share a :class:`DemoContext` (a seeded random generator, "today", and what earlier builders made),
and return a short summary such as ``"7 clients, 13 contacts"``. Everything is deterministic for a given seed,
apart from the timestamps, which follow the day of the run so that "expiring soon" stays true.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

DEMO_SEED = 20261201


@dataclass
class DemoContext:
    rng: random.Random
    now: datetime.datetime
    made: dict[str, Any] = field(default_factory=dict)

    @property
    def today(self) -> datetime.date:
        return self.now.date()

    def days(self, n: int) -> datetime.date:
        return self.today + datetime.timedelta(days=n)

    def ago(self, **delta: float) -> datetime.datetime:
        return self.now - datetime.timedelta(**delta)


Builder = Callable[[DemoContext], str]
_BUILDERS: list[tuple[int, str, Builder]] = []


def demo_builder(order: int) -> Callable[[Builder], Builder]:
    """Register ``fn(ctx) -> summary`` to run at ``order`` (lower first: people and clients before their things)."""

    def register(fn: Builder) -> Builder:
        name = f"{fn.__module__}.{fn.__qualname__}"
        if not any(existing == name for _, existing, _ in _BUILDERS):
            _BUILDERS.append((order, name, fn))
        return fn

    return register


def build_demo(seed: int = DEMO_SEED) -> list[str]:
    """Run every registered builder once, in order, in one transaction; returns their summaries."""
    autodiscover_modules("demo")
    ctx = DemoContext(rng=random.Random(seed), now=timezone.now().replace(microsecond=0))
    summaries = []
    with transaction.atomic():
        for _, _, fn in sorted(_BUILDERS, key=lambda item: (item[0], item[1])):
            summary = fn(ctx)
            if summary:
                summaries.append(summary)
    return summaries
