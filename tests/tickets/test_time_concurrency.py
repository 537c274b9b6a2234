"""Races that the database must settle: two timers started at once, two technicians taking the last units."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from tests.catalog.factories import make_product
from tests.factories import api_for, make_client
from tests.tickets.factories import make_ticket
from tickets.time_models import TicketMaterial, TimeTrackingSession

pytestmark = pytest.mark.django_db(transaction=True)

NODES = ["ticket.read", "time_entry.read", "time_entry.create", "material.read", "material.create", "obj.*"]


def _race(calls) -> list[int]:
    """Run the calls in threads released together; each returns a status code."""
    barrier = threading.Barrier(len(calls))
    statuses: list[int] = []

    def run(call):
        try:
            barrier.wait(timeout=10)
            statuses.append(call())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(statuses)


def test_two_simultaneous_starts_give_one_timer():
    from tickets.defaults import create_defaults

    create_defaults()  # a transactional test before may have flushed the migrations' rows
    ticket = make_ticket(make_client())
    api, user, _ = api_for(NODES)
    body = {"work_item_type": "ticket", "work_item_id": str(ticket.pk)}
    url = "/api/v1/time-entries/start-tracking"
    statuses = _race([lambda: api.post(url, body, format="json").status_code] * 2)
    assert statuses == [201, 409]
    assert TimeTrackingSession.objects.filter(user=user).count() == 1


def test_two_technicians_cannot_both_take_the_last_unit():
    from tickets.defaults import create_defaults

    create_defaults()
    ticket = make_ticket(make_client())
    product = make_product("Last SSD", on_hand=1)
    url = f"/api/v1/tickets/{ticket.pk}/materials"
    body = {"product_id": str(product.pk), "quantity": 1}
    callers = [api_for(NODES)[0] for _ in range(2)]
    statuses = _race([lambda api=api: api.post(url, body, format="json").status_code for api in callers])
    assert statuses == [201, 409]
    product.refresh_from_db()
    assert product.on_hand == 0 and TicketMaterial.objects.count() == 1
