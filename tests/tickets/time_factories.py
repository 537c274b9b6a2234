"""Time entries, timers and materials for tests, written directly (the services are tested through the API)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from tickets import time_services
from tickets.time_models import TicketMaterial, TimeEntry, TimeTrackingSession


def make_entry(ticket, user, minutes: int = 30, start: datetime.datetime | None = None, **fields) -> TimeEntry:
    start = start or timezone.now() - datetime.timedelta(hours=2)
    end = start + datetime.timedelta(minutes=minutes)
    return TimeEntry.objects.create(
        ticket=ticket, user=user, start_time=start, end_time=end, duration_minutes=minutes,
        work_date=time_services.work_date_of(start), **fields,
    )  # fmt: skip


def make_session(ticket, user, minutes_ago: int = 15, **fields) -> TimeTrackingSession:
    start = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    return TimeTrackingSession.objects.create(ticket=ticket, user=user, start_time=start, **fields)


def make_material(ticket, item, quantity: int = 1, **fields) -> TicketMaterial:
    from catalog.models import Product

    is_product = isinstance(item, Product)
    fields.setdefault("rate", item.unit_price if is_product else item.default_rate)
    fields.setdefault("currency_code", item.currency)
    return TicketMaterial.objects.create(
        ticket=ticket, product=item if is_product else None, service=None if is_product else item,
        quantity=quantity, **fields,
    )  # fmt: skip
