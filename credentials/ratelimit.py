"""Rate limit of secret reveals: ``settings.VAULT_REVEAL_LIMIT`` per minute, per user and per API key.

A fixed one-minute window counted in the shared cache with ``add`` + ``incr``: atomic on Redis (production). On the
embedded default's database cache ``incr`` is a read and a write; running both inside one transaction serialises
them on SQLite (transactions take the write lock first, ``transaction_mode = IMMEDIATE``).
"""

from __future__ import annotations

import time
from contextlib import nullcontext

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import transaction

WINDOW_SECONDS = 60


def _buckets(request, window: int) -> list[str]:
    buckets = [f"psa:vault:reveal:user:{request.user.pk}:{window}"]
    key = getattr(request, "auth", None)
    if key is not None and hasattr(key, "key_id"):
        buckets.append(f"psa:vault:reveal:key:{key.pk}:{window}")
    return buckets


def _increment(cache, bucket: str) -> int:
    cache.add(bucket, 0, timeout=WINDOW_SECONDS * 2)
    try:
        return cache.incr(bucket)
    except ValueError:  # expired between add and incr
        cache.add(bucket, 0, timeout=WINDOW_SECONDS * 2)
        return cache.incr(bucket)


def _now() -> float:
    return time.time()


def consume(request, now: float | None = None) -> int | None:
    """Count one reveal attempt. ``None`` when allowed, else the seconds until the window resets."""
    limit = settings.VAULT_REVEAL_LIMIT
    now = _now() if now is None else now
    window = int(now // WINDOW_SECONDS)
    cache = caches["default"]
    serialise = transaction.atomic() if isinstance(cache, DatabaseCache) else nullcontext()
    with serialise:
        counts = [_increment(cache, bucket) for bucket in _buckets(request, window)]
    if max(counts) > limit:
        return max(1, WINDOW_SECONDS - int(now % WINDOW_SECONDS))
    return None
