"""Rate limit of secret reveals: ``settings.VAULT_REVEAL_LIMIT`` per minute, per user and per API key.

Counted by the shared limiter (:mod:`psa.ratelimit`), which is atomic on Redis and on the database alike.
"""

from __future__ import annotations

import time

from django.conf import settings

from psa import ratelimit

WINDOW_SECONDS = 60


def _buckets(request) -> list[str]:
    buckets = [f"vault-reveal:user:{request.user.pk}"]
    key = getattr(request, "auth", None)
    if key is not None and hasattr(key, "key_id"):
        buckets.append(f"vault-reveal:key:{key.pk}")
    return buckets


def _now() -> float:
    return time.time()


def consume(request, now: float | None = None) -> int | None:
    """Count one reveal attempt. ``None`` when allowed, else the seconds until the window resets."""
    rate = ratelimit.Rate(settings.VAULT_REVEAL_LIMIT, WINDOW_SECONDS)
    now = _now() if now is None else now
    usages = [ratelimit.hit(bucket, rate, now) for bucket in _buckets(request)]
    refused = [usage for usage in usages if not usage.allowed]
    return max(usage.reset for usage in refused) if refused else None
