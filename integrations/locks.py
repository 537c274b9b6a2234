"""One run at a time per source and job, across any number of workers and hosts: a lock row in the database.

Taking the lock is an INSERT on a unique (source, job) key, so exactly one of several racing workers wins on
SQLite and PostgreSQL alike; an expired row (its holder died) may be taken over by a conditional UPDATE. The holder
refreshes ``expires_at`` as it makes progress and deletes the row when it finishes.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.models import SyncLock


def _ttl() -> timedelta:
    return timedelta(seconds=settings.INTEGRATIONS_LOCK_TTL)


def acquire(source_id, job: str, holder: str) -> bool:
    now = timezone.now()
    try:
        with transaction.atomic():
            SyncLock.objects.create(source_id=source_id, job=job, holder=holder, expires_at=now + _ttl())
        return True
    except IntegrityError:
        taken = SyncLock.objects.filter(source_id=source_id, job=job, expires_at__lt=now).update(
            holder=holder, expires_at=now + _ttl()
        )
        return taken == 1


def refresh(source_id, job: str, holder: str) -> bool:
    """Extend the lock; ``False`` if it was lost (expired and taken over)."""
    expires = timezone.now() + _ttl()
    return SyncLock.objects.filter(source_id=source_id, job=job, holder=holder).update(expires_at=expires) == 1


def release(source_id, job: str, holder: str) -> None:
    SyncLock.objects.filter(source_id=source_id, job=job, holder=holder).delete()


def held(source_id, job: str | None = None) -> bool:
    rows = SyncLock.objects.filter(source_id=source_id, expires_at__gte=timezone.now())
    return rows.filter(job=job).exists() if job else rows.exists()
