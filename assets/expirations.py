"""Domains, certificates, licences and warranties that are about to expire (or already have)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta

from django.db import transaction
from django.db.models import CharField, F, QuerySet, Value
from django.utils import timezone

from assets.models import Asset, Certificate, Domain, ExpiringItem, Software

# kind -> (model, date field, node that may read it)
SOURCES: dict[str, tuple[type, str, str]] = {
    "domain": (Domain, "expires_on", "domain.read"),
    "certificate": (Certificate, "expires_on", "certificate.read"),
    "licence": (Software, "expires_on", "software.read"),
    "warranty": (Asset, "warranty_expires", "asset.read"),
}


def expiring_queryset(
    within_days: int,
    restrict: Callable[[QuerySet], QuerySet] = lambda qs: qs,
    kinds: Iterable[str] = SOURCES,
    today: date | None = None,
) -> QuerySet:
    """One SQL union of everything expiring on or before ``today + within_days``, soonest first.

    Rows are dicts with kind, object_id, name, client_id, client_name and expires_on; the database sorts, counts
    and pages them.
    """
    horizon = (today or timezone.localdate()) + timedelta(days=within_days)
    parts = []
    for kind in kinds:
        model, field, _node = SOURCES[kind]
        queryset = model.objects.filter(**{f"{field}__isnull": False, f"{field}__lte": horizon})
        if model is Asset:
            queryset = queryset.filter(archived_at__isnull=True)
        parts.append(
            restrict(queryset)
            .order_by()
            .annotate(
                row_kind=Value(kind, output_field=CharField()),
                row_client_name=F("client__name"),
                row_expires_on=F(field),
            )
            .values("row_kind", "id", "name", "client_id", "row_client_name", "row_expires_on")
        )
    if not parts:
        return Domain.objects.none().values("id")
    union = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return union.order_by("row_expires_on", "row_kind", "id")


def as_row(raw: dict, today: date | None = None) -> dict:
    today = today or timezone.localdate()
    return {
        "kind": raw["row_kind"],
        "object_id": raw["id"],
        "name": str(raw["name"]),
        "client_id": raw["client_id"],
        "client_name": raw["row_client_name"],
        "expires_on": raw["row_expires_on"],
        "days_left": (raw["row_expires_on"] - today).days,
    }


def expiring(
    within_days: int,
    restrict: Callable[[QuerySet], QuerySet] = lambda qs: qs,
    kinds: Iterable[str] = SOURCES,
    today: date | None = None,
) -> list[dict]:
    """All of :func:`expiring_queryset` as a list of rows with ``days_left``."""
    return [as_row(raw, today) for raw in expiring_queryset(within_days, restrict, kinds, today)]


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
