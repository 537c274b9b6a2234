"""Writes of time entries, the timer and materials: each change and its audit events in one transaction.

The API (:mod:`tickets.api.time_entries`, :mod:`tickets.api.materials`) and the ticket page both call these, so the
rules (one timer per user, stock never below zero, billed materials kept) hold on every path.
"""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from rest_framework.exceptions import NotFound, ValidationError

from catalog.models import Product, Service
from psa import audit
from psa.api.exceptions import Conflict
from tickets.models import Ticket
from tickets.time_models import TicketMaterial, TimeEntry, TimeTrackingSession


def work_time_zone() -> ZoneInfo:
    return ZoneInfo(settings.WORK_TIME_ZONE)


def work_date_of(moment: datetime.datetime) -> datetime.date:
    """The day a piece of work counts for: its start, in ``PSA_WORK_TIME_ZONE``."""
    return moment.astimezone(work_time_zone()).date()


def minutes_between(start: datetime.datetime, end: datetime.datetime) -> int:
    """Worked minutes, rounded; any positive interval counts as at least one minute."""
    return max(1, round((end - start).total_seconds() / 60))


def check_duration(minutes: int, field: str = "end_time") -> None:
    limit = settings.TIME_ENTRY_MAX_MINUTES
    if minutes > limit:
        raise ValidationError({field: [f"One entry may cover at most {limit} minutes; this one covers {minutes}."]})


def _created(request, instance) -> None:
    audit.record(request, "create", instance, changes=audit.diff({}, audit.snapshot(instance)))


def _deleted(request, instance) -> None:
    audit.record(
        request, "delete", instance, object_type=instance._meta.label_lower, object_id=instance.pk,
        changes=audit.diff(audit.snapshot(instance), {}),
    )  # fmt: skip


# ---- time entries ------------------------------------------------------------------------------------------------


def _fill_derived(entry: TimeEntry) -> None:
    entry.duration_minutes = minutes_between(entry.start_time, entry.end_time)
    entry.work_date = work_date_of(entry.start_time)


def create_entry(request, data: dict[str, Any]) -> TimeEntry:
    entry = TimeEntry(**data)
    _fill_derived(entry)
    with transaction.atomic():
        entry.save()
        _created(request, entry)
    return entry


def update_entry(request, entry: TimeEntry, data: dict[str, Any]) -> TimeEntry:
    with transaction.atomic():
        before = audit.snapshot(entry)
        for name, value in data.items():
            setattr(entry, name, value)
        _fill_derived(entry)
        entry.save()
        changes = audit.diff(before, audit.snapshot(entry))
        if changes:
            audit.record(request, "update", entry, changes=changes)
    return entry


def delete_entry(request, entry: TimeEntry) -> None:
    with transaction.atomic():
        _deleted(request, entry)
        entry.delete()


# ---- the timer -----------------------------------------------------------------------------------------------------

TIMER_RUNNING = "You already have a running timer; stop it before starting another."


def start_tracking(
    request, user, ticket: Ticket, service: Service | None, notes: str, is_billable
) -> TimeTrackingSession:
    """Start the user's one timer; a second one is a 409, also when two starts race (the unique ``user``)."""
    with transaction.atomic():
        if TimeTrackingSession.objects.filter(user=user).exists():
            raise Conflict(TIMER_RUNNING)
        try:
            with transaction.atomic():
                session = TimeTrackingSession.objects.create(
                    user=user, ticket=ticket, service=service, notes=notes, is_billable=is_billable,
                    start_time=timezone.now(),
                )  # fmt: skip
        except IntegrityError:
            raise Conflict(TIMER_RUNNING) from None
        _created(request, session)
    return session


def stop_tracking(request, session: TimeTrackingSession, changes: dict[str, Any]) -> TimeEntry:
    """Turn the session into a time entry ending now (or at ``end_time``), and delete the session."""
    with transaction.atomic():
        locked = TimeTrackingSession.objects.select_for_update().filter(pk=session.pk).first()
        if locked is None:
            raise NotFound("This timer has already been stopped.")
        end = changes.get("end_time") or timezone.now()
        if end <= locked.start_time:
            raise ValidationError({"end_time": ["Must be after the timer's start_time."]})
        check_duration(minutes_between(locked.start_time, end))
        service = changes.get("service", locked.service)
        billable = changes.get("is_billable", locked.is_billable)
        if billable is None:
            billable = service.is_billable if service is not None else True
        entry = TimeEntry(
            user=locked.user, work_item_type=locked.work_item_type, ticket=locked.ticket, service=service,
            start_time=locked.start_time, end_time=end, is_billable=billable,
            notes=changes.get("notes", locked.notes),
        )  # fmt: skip
        _fill_derived(entry)
        entry.save()
        _created(request, entry)
        _deleted(request, locked)
        locked.delete()
    return entry


def discard_tracking(request, session: TimeTrackingSession) -> None:
    with transaction.atomic():
        _deleted(request, session)
        session.delete()


# ---- materials -----------------------------------------------------------------------------------------------------


def add_material(request, ticket: Ticket, item: Product | Service, data: dict[str, Any]) -> TicketMaterial:
    """Add a material; a product's quantity leaves its stock in the same transaction (409 if too few are on hand)."""
    quantity = data["quantity"]
    with transaction.atomic():
        if isinstance(item, Product):
            # One conditional UPDATE: concurrent adds cannot both take the last units, and stock never goes below 0.
            taken = Product.objects.filter(pk=item.pk, on_hand__gte=quantity).update(
                on_hand=F("on_hand") - quantity, updated_at=timezone.now()
            )
            if not taken:
                on_hand = Product.objects.filter(pk=item.pk).values_list("on_hand", flat=True).first() or 0
                raise Conflict(f"Only {on_hand} of '{item.name}' on hand; {quantity} requested.")
            _stock_changed(request, item, -quantity)
        material = TicketMaterial.objects.create(
            ticket=ticket,
            product=item if isinstance(item, Product) else None,
            service=item if isinstance(item, Service) else None,
            created_by=getattr(request, "user", None) if getattr(request.user, "is_authenticated", False) else None,
            **data,
        )
        _created(request, material)
    return material


def delete_material(request, material: TicketMaterial) -> None:
    """Remove an unbilled material; a product's quantity goes back into stock."""
    if material.is_billed:
        raise Conflict("This material has been billed and cannot be removed.")
    with transaction.atomic():
        if material.product_id:
            Product.objects.filter(pk=material.product_id).update(
                on_hand=F("on_hand") + material.quantity, updated_at=timezone.now()
            )
            _stock_changed(request, material.product, material.quantity)
        _deleted(request, material)
        material.delete()


def _stock_changed(request, product: Product, delta: int) -> None:
    now = Product.objects.filter(pk=product.pk).values_list("on_hand", flat=True).get()
    audit.record(request, "update", product, changes={"on_hand": {"old": now - delta, "new": now}})
    product.on_hand = now
