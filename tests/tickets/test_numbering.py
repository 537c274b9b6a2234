"""Ticket numbers: prefix plus sequence, unique, allocated without races on SQLite and PostgreSQL.

The concurrent tests run real transactions on separate database connections (one per thread), which is what two
web processes do; CI runs them on SQLite (BEGIN IMMEDIATE) and on PostgreSQL (row lock of the counter).
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction
from django.test import override_settings

from tests.factories import make_client
from tests.tickets.factories import default_board, make_ticket
from tickets.defaults import create_defaults
from tickets.models import Ticket, TicketNumberCounter, allocate_ticket_number

THREADS = 6
PER_THREAD = 5


@pytest.mark.django_db
def test_numbers_are_prefix_plus_sequence(client_a):
    first, second = make_ticket(client_a), make_ticket(client_a)
    assert first.ticket_number == f"TIC{first.number_sequence}"
    assert second.number_sequence == first.number_sequence + 1


@pytest.mark.django_db
def test_each_prefix_has_its_own_counter(client_a):
    make_ticket(client_a)
    with override_settings(TICKET_NUMBER_PREFIX="HD-"):
        other = make_ticket(client_a)
    assert other.ticket_number == "HD-1001"
    assert set(TicketNumberCounter.objects.values_list("prefix", flat=True)) == {"TIC", "HD-"}


@pytest.mark.django_db
def test_a_rolled_back_create_gives_its_number_back(client_a):
    make_ticket(client_a)
    before = TicketNumberCounter.objects.get(prefix="TIC").last_value
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        allocate_ticket_number()
        raise ZeroDivisionError
    assert TicketNumberCounter.objects.get(prefix="TIC").last_value == before


def _run_concurrently(work) -> list:
    barrier = threading.Barrier(THREADS)
    results, errors = [], []
    lock = threading.Lock()

    def runner():
        try:
            barrier.wait(timeout=30)
            for _ in range(PER_THREAD):
                value = work()
                with lock:
                    results.append(value)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_get_distinct_consecutive_numbers():
    create_defaults()  # a transactional test may start on a flushed database
    client = make_client("Race")
    board = default_board()
    TicketNumberCounter.objects.all().delete()  # the first creates also race to make the counter row

    def work():
        return make_ticket(client, board=board).ticket_number

    numbers = _run_concurrently(work)
    assert len(numbers) == THREADS * PER_THREAD
    assert len(set(numbers)) == len(numbers), "two tickets got the same number"
    sequences = sorted(int(n.removeprefix("TIC")) for n in numbers)
    assert sequences == list(range(1001, 1001 + len(numbers))), "numbers were skipped"
    assert Ticket.objects.count() == len(numbers)
    assert connection.vendor in ("sqlite", "postgresql")
