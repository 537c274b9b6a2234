"""The maintained group counts behind ``/tickets/stats`` stay exact under every kind of write.

A seeded sequence of writes of every kind (service creates and updates, model saves and deletes,
``QuerySet.update()``, ``bulk_create``, raw SQL and COPY, bulk deletes, a client's cascade, a user's SET NULL, a
status that changes its closedness, bundle propagation through the API) runs on the engine under test; after each
write the counts equal a recount of the tickets, and the counted stats equal the SQL path's for every scope.
"""

from __future__ import annotations

import itertools
import random
import threading
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.db.models.expressions import RawSQL
from django.utils import timezone

from tests.factories import api_for, make_client, make_user
from tests.psa.helpers import data_of
from tests.tickets.factories import _request, make_board, make_ticket
from tickets import services
from tickets.bundle_models import TicketBundle
from tickets.models import Priority, Status, Ticket
from tickets.stats import RESOLUTION_MS, counted_ticket_stats, ticket_stats
from tickets.stats_models import ClientTicketGroupCount, TicketGroupCount

NOW = timezone.now()
_numbers = itertools.count(1)


def recount() -> tuple[Counter, Counter]:
    """What the two tables must hold, recounted from the tickets (the resolution by the stats' own SQL)."""
    per_client: Counter = Counter()
    total: Counter = Counter()
    ms = RawSQL(RESOLUTION_MS[connection.vendor], ())
    for t in Ticket.objects.annotate(ms=ms).order_by():
        key = (t.board_id, t.status_id, t.priority_id, t.is_closed, t.assigned_to_id is not None)
        resolved = t.is_closed and t.closed_at is not None
        values = Counter(tickets=1, with_due_date=t.due_date is not None, resolved=resolved)
        values["resolution_ms"] = int(t.ms) if resolved else 0
        for name, value in values.items():
            per_client[(t.client_id, *key, name)] += value
            total[(*key, name)] += value
    return +per_client, +total


def stored(model, key: tuple[str, ...]) -> Counter:
    counts: Counter = Counter()
    for row in model.objects.values():
        assert row["tickets"] != 0, "a group left at zero is deleted"
        for name in ("tickets", "with_due_date", "resolved", "resolution_ms"):
            counts[(*(row[k] for k in key), name)] += row[name]
    return +counts


def check(scopes) -> None:
    group = ("board_id", "status_id", "priority_id", "is_closed", "is_assigned")
    assert (stored(ClientTicketGroupCount, ("client_id", *group)), stored(TicketGroupCount, group)) == recount()
    everything = Ticket.objects.all()
    assert counted_ticket_stats(None, NOW) == ticket_stats(everything, NOW)
    for scope in scopes:
        tickets = Ticket.objects.filter(client_id__in=scope)
        assert counted_ticket_stats(scope, NOW) == ticket_stats(tickets, NOW)


def new_row(rng, clients, statuses, priorities, users) -> dict:
    """A ticket's columns as a bulk write gives them, is_closed and closed_at not always in step with the status."""
    status = rng.choice(statuses)
    number = next(_numbers)
    entered = NOW - timedelta(days=rng.randint(0, 40), minutes=rng.randint(0, 1440), microseconds=rng.randint(0, 999))
    closed = status.is_closed if rng.random() < 0.9 else not status.is_closed
    return {
        "id": uuid.uuid4(),
        "ticket_number": f"RAW{number}",
        "number_sequence": 10_000_000 + number,
        "title": f"Raw {number}",
        "client_id": rng.choice(clients).pk,
        "board_id": status.board_id,
        "status_id": status.pk,
        "priority_id": rng.choice(priorities).pk,
        "assigned_to_id": rng.choice([*(u.pk for u in users), None]),
        "due_date": rng.choice(
            [None, NOW - timedelta(days=rng.randint(0, 9)), NOW + timedelta(hours=rng.randint(1, 99))]
        ),
        "entered_at": entered,
        "is_closed": closed,
        "closed_at": entered + timedelta(minutes=rng.randint(0, 9000), seconds=rng.random()) if closed else None,
    }


def raw_insert(rows: list[dict]) -> None:
    """Tickets written past the ORM, as ``bench/generate.py`` does: COPY on PostgreSQL, INSERT on SQLite."""
    fields = [Ticket._meta.get_field(name) for name in rows[0]]
    extra = {"description": "", "attributes": {}, "source": "api", "created_at": NOW, "updated_at": NOW}
    columns = [f.column for f in fields] + list(extra)
    values = [
        [f.get_db_prep_save(row[f.attname], connection) for f in fields]
        + [Ticket._meta.get_field(name).get_db_prep_save(value, connection) for name, value in extra.items()]
        for row in rows
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY tickets_ticket ({', '.join(columns)}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row([v.adapted if hasattr(v, "adapted") else v for v in row])
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO tickets_ticket ({', '.join(columns)}) VALUES ({marks})", values)


@pytest.mark.django_db
def test_the_counts_stay_exact_under_every_kind_of_write():
    rng = random.Random(14)
    clients = [make_client(f"Counted {i}") for i in range(4)]
    users = [make_user(["ticket.read"], name=f"Counter {i}") for i in range(3)]
    make_board("Counted", statuses=(("Open", False), ("Waiting", False), ("Done", True)))
    statuses = list(Status.objects.order_by("board__name", "order"))
    priorities = list(Priority.objects.all())
    api, _, _ = api_for(["ticket.*", "obj.*"])
    scopes = [[clients[0].pk], [clients[1].pk, clients[2].pk], []]

    def random_ticket() -> Ticket:
        return rng.choice(list(Ticket.objects.order_by("number_sequence"))) if Ticket.objects.exists() else None

    def create():
        status = rng.choice(statuses)
        make_ticket(
            rng.choice(clients), board=status.board, status=status, priority=rng.choice(priorities),
            assigned_to=rng.choice([*users, None]), due_date=rng.choice([None, NOW - timedelta(days=2), NOW + timedelta(days=2)]),
        )  # fmt: skip

    def save():
        ticket = random_ticket()
        status = rng.choice(statuses)
        ticket.status, ticket.priority = status, rng.choice(priorities)
        ticket.board_id = status.board_id if rng.random() < 0.8 else rng.choice(statuses).board_id
        ticket.assigned_to = rng.choice([*users, None])
        ticket.due_date = rng.choice([None, NOW - timedelta(hours=3), NOW + timedelta(hours=3)])
        ticket.client = rng.choice(clients)
        ticket.entered_at = NOW - timedelta(days=rng.randint(0, 30), seconds=rng.randint(0, 86400))
        ticket.save()

    def patch():
        status = rng.choice(statuses)
        ticket = random_ticket()
        body = {"status_id": str(status.pk), "board_id": str(status.board_id), "assigned_to": None}
        assert api.patch(f"/api/v1/tickets/{ticket.pk}", body, format="json").status_code in (200, 400, 409)

    def update():
        ids = [t.pk for t in rng.sample(list(Ticket.objects.all()), min(5, Ticket.objects.count()))]
        status = rng.choice(statuses)
        change = rng.choice(
            [
                {"status": status, "board_id": status.board_id, "is_closed": status.is_closed},
                {"assigned_to": None},
                {"priority": rng.choice(priorities), "due_date": None},
                {"closed_at": NOW, "is_closed": True},
                {"client": rng.choice(clients)},
            ]
        )
        Ticket.objects.filter(pk__in=ids).update(**change)

    def bulk_create():
        rows = [new_row(rng, clients, statuses, priorities, users) for _ in range(rng.randint(1, 6))]
        Ticket.objects.bulk_create([Ticket(**row) for row in rows])

    def raw():
        raw_insert([new_row(rng, clients, statuses, priorities, users) for _ in range(rng.randint(1, 6))])

    def raw_update():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE tickets_ticket SET priority_id = %s, due_date = NULL WHERE number_sequence %% 3 = %s",
                [Priority._meta.pk.get_db_prep_value(rng.choice(priorities).pk, connection), rng.randint(0, 2)],
            )

    def delete():
        ticket = random_ticket()
        if rng.random() < 0.5:
            ticket.delete()
        else:
            services.delete_ticket(_request(), ticket)

    def bulk_delete():
        Ticket.objects.filter(priority=rng.choice(priorities), assigned_to__isnull=rng.random() < 0.5).delete()

    def delete_user():
        users.remove(user := rng.choice(users))
        user.delete()  # assigned_to SET NULL: an UPDATE of the tickets
        users.append(make_user(["ticket.read"]))

    def reclose_status():
        status = rng.choice(statuses)
        status.is_closed = not status.is_closed
        status.save(update_fields=["is_closed"])
        services.sync_status_closed(status)

    def bundle():
        TicketBundle.objects.all().delete()
        master, *children = rng.sample(list(Ticket.objects.all()), 3)
        body = {"child_ticket_ids": [str(c.pk) for c in children]}
        assert api.post(f"/api/v1/tickets/{master.pk}/bundle", body, format="json").status_code == 201
        status = rng.choice([s for s in statuses if s.board_id == master.board_id and s.pk != master.status_id])
        assert (
            api.patch(f"/api/v1/tickets/{master.pk}", {"status_id": str(status.pk)}, format="json").status_code == 200
        )

    writes = [create, save, patch, update, bulk_create, raw, raw_update, delete, bulk_delete, delete_user,
              reclose_status, bundle]  # fmt: skip
    check(scopes)
    for _ in range(12):
        create()
    raw_insert([new_row(rng, clients, statuses, priorities, users) for _ in range(10)])
    check(scopes)
    done = Counter()
    for _ in range(70):
        write = rng.choice(writes) if Ticket.objects.count() > 8 else rng.choice([create, bulk_create, raw])
        write()
        done[write.__name__] += 1
        check(scopes)
    assert set(done) == {w.__name__ for w in writes}  # the seed reaches every kind of write
    gone = clients.pop()
    gone.delete()  # the client's tickets go by the cascade
    scopes = [[c.pk for c in clients], [gone.pk]]
    check(scopes)
    assert not ClientTicketGroupCount.objects.filter(client_id=gone.pk).exists()
    Ticket.objects.all().delete()
    assert not TicketGroupCount.objects.exists() and not ClientTicketGroupCount.objects.exists()


@pytest.mark.django_db
def test_the_route_answers_from_the_counts_only_without_a_filter():
    client, other = make_client("Counted A"), make_client("Counted B")
    for target in (client, client, other):
        make_ticket(target, due_date=NOW - timedelta(days=1), assigned_to=make_user(["ticket.read"]))
    callers = {
        "all clients": api_for(["ticket.read", "obj.*"])[0],
        "one client": api_for(["ticket.read", "obj.*"], key_clients=[client])[0],
        "a client without tickets": api_for(["ticket.read", "obj.*"], key_clients=[make_client("Counted C")])[0],
        "no client": api_for(["ticket.read", "obj.*"], clients=[client], key_clients=[other])[0],
    }
    everything = {"entered_from": "1970-01-01"}  # a filter every ticket passes: the SQL path
    for caller in callers.values():
        assert data_of(caller.get("/api/v1/tickets/stats")) == data_of(caller.get("/api/v1/tickets/stats", everything))
    assert data_of(callers["no client"].get("/api/v1/tickets/stats"))["total_tickets"] == 0
    # Counts the triggers did not write tell the paths apart: only a request without a filter reads them.
    TicketGroupCount.objects.update(tickets=100)
    ClientTicketGroupCount.objects.filter(client_id=client.pk).update(tickets=7)
    api, scoped = callers["all clients"], callers["one client"]
    assert data_of(api.get("/api/v1/tickets/stats"))["total_tickets"] == 100
    assert data_of(api.get("/api/v1/tickets/stats", {"is_open": "true"}))["total_tickets"] == 3
    assert data_of(scoped.get("/api/v1/tickets/stats"))["total_tickets"] == 7
    assert data_of(scoped.get("/api/v1/tickets/stats", {"overdue": "true"}))["total_tickets"] == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_in_one_group_lose_no_update():
    from tickets.defaults import create_defaults

    create_defaults()  # a transactional test before may have flushed the migrations' rows
    client = make_client("Raced")
    tickets = [make_ticket(client) for _ in range(4)]
    closed = Status.objects.filter(board=tickets[0].board, is_closed=True).first()
    barrier = threading.Barrier(4)
    errors = []

    def write(ticket):
        try:
            barrier.wait(timeout=10)
            for _ in range(3):
                make_ticket(client)  # the same group as the others' tickets
            services.change_status(_request(), Ticket.objects.get(pk=ticket.pk), closed)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(t,)) for t in tickets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert Ticket.objects.count() == 16
    check([[client.pk]])


@pytest.mark.django_db(transaction=True)
def test_a_flush_leaves_no_counts_behind():
    from django.core.management import call_command

    from tickets.defaults import create_defaults

    create_defaults()
    for _ in range(3):
        make_ticket(make_client())
    assert TicketGroupCount.objects.exists()
    # SQLite's flush deletes table by table in no fixed order: the counts may go before the tickets do.
    call_command("flush", interactive=False, verbosity=0)
    assert not TicketGroupCount.objects.exists() and not ClientTicketGroupCount.objects.exists()
