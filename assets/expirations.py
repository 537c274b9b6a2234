"""Domains, certificates, licences and warranties that are about to expire (or already have)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from assets.models import Asset, Certificate, Domain, ExpiringItem, Software

# kind -> (model, date field, node that may read it)
SOURCES: dict[str, tuple[type, str, str]] = {
    "domain": (Domain, "expires_on", "domain.read"),
    "certificate": (Certificate, "expires_on", "certificate.read"),
    "licence": (Software, "expires_on", "software.read"),
    "warranty": (Asset, "warranty_expires", "asset.read"),
}


def expiring(
    within_days: int,
    restrict: Callable[[QuerySet], QuerySet] = lambda qs: qs,
    kinds: Iterable[str] = SOURCES,
    today: date | None = None,
) -> list[dict]:
    """Everything expiring on or before ``today + within_days``, soonest first; one query per kind."""
    today = today or timezone.localdate()
    horizon = today + timedelta(days=within_days)
    rows = []
    for kind in kinds:
        model, field, _node = SOURCES[kind]
        queryset = model.objects.filter(**{f"{field}__isnull": False, f"{field}__lte": horizon})
        if model is Asset:
            queryset = queryset.filter(archived_at__isnull=True)
        for obj in restrict(queryset).select_related("client").only("id", "name", field, "client__id", "client__name"):
            expires_on = getattr(obj, field)
            rows.append(
                {
                    "kind": kind,
                    "object_id": obj.pk,
                    "name": str(obj.name),
                    "client_id": obj.client_id,
                    "client_name": obj.client.name,
                    "expires_on": expires_on,
                    "days_left": (expires_on - today).days,
                }
            )
    rows.sort(key=lambda row: (row["expires_on"], row["kind"], str(row["object_id"])))
    return rows


def record(within_days: int) -> int:
    """Replace the dashboard's table of expiring items; idempotent."""
    rows = expiring(within_days)
    with transaction.atomic():
        ExpiringItem.objects.all().delete()
        ExpiringItem.objects.bulk_create(
            ExpiringItem(
                kind=row["kind"],
                object_id=row["object_id"],
                client_id=row["client_id"],
                name=row["name"][:255],
                expires_on=row["expires_on"],
            )
            for row in rows
        )
    return len(rows)
