"""The large MSP's data for the benchmarks, generated fast: rows go through the database driver in bulk.

Clients (three contacts each), technicians, tickets (tags on some), comments spread over the tickets, assets with one
interface each (serial, MAC, IP) and two tickets with a short and a long conversation (``THREADS``). The bulk rows
bypass the ORM: ``executemany`` on one prepared statement on SQLite, ``COPY`` on PostgreSQL. Every column a row
does not set gets the model field's default, so the rows are what ``Model.save()`` would have written; values are
drawn from one seeded generator (ids included), so both engines hold the same data. ``updated_at`` follows the same
rule on both (a closed ticket's close, else its entry; a comment's creation). Nothing here sends a signal: the
search index is built afterwards in bulk (``psa.search.index.rebuild_all``).

Generation only adds what is missing (more tickets or comments than the database holds), so a large data set is
made once and reused; ``regenerate`` starts over.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from django.utils.html import escape

SUBJECTS = [
    "Printer offline", "VPN down", "Email not syncing", "Laptop slow", "Password reset", "New starter setup",
    "Firewall rule change", "Backup failed", "Disk space low", "Wi-Fi drops", "Teams call quality", "Invoice query",
    "Server unreachable", "License renewal", "Phone not ringing", "Shared drive missing", "Certificate expiring",
    "MFA enrolment", "Scanner to email broken", "Outlook crashes",
]  # fmt: skip
WORDS = [
    "user", "reports", "issue", "since", "morning", "after", "update", "restart", "fixed", "partially", "checked",
    "logs", "driver", "timeout", "network", "switch", "port", "cable", "replaced", "remote", "session", "escalated",
    "vendor", "ticket", "waiting", "client", "confirm", "monitor", "alert", "cpu", "memory", "disk", "backup", "job",
    "retry", "firewall", "policy", "dns", "dhcp", "lease", "mailbox", "quota", "license", "renewal", "invoice",
]  # fmt: skip
THREADS = {"BENCHTHREAD5": 5, "BENCHTHREAD1000": 1000}  # the ticket page with a short and a long conversation
TAGS = ("vip", "network", "printer", "onsite", "security")


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def sentence_html(text: str) -> str:
    """What ``tickets.markdown.render`` makes of a generated sentence (plain words): one paragraph."""
    return f"<p>{escape(text)}</p>"


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


class BulkRows:
    """Rows of one model's table written through the driver; the columns not in ``given`` take their defaults."""

    def __init__(self, model, given: Sequence[str]):
        from django.db import connection
        from django.utils import timezone

        self.connection = connection
        self.table = model._meta.db_table
        fields = [f for f in model._meta.concrete_fields]
        by_name = {f.name: f for f in fields}
        self.given = [by_name[name] for name in given]
        now = timezone.now()
        self.constant: list[tuple[Any, Any]] = []
        for f in fields:
            if f.name in given:
                continue
            if f.has_default() or (f.empty_strings_allowed and not f.null and not f.primary_key):
                value = f.get_default()  # the default, or "" for text
            elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now
            elif f.null:
                value = None
            elif f.primary_key:  # an integer key the database numbers
                continue
            else:
                raise ValueError(f"{model.__name__}.{f.name} has no default: give it")
            self.constant.append((f, f.get_db_prep_save(value, connection)))
        self.columns = [f.column for f in self.given] + [f.column for f, _ in self.constant]
        self.tail = tuple(v for _, v in self.constant)
        self.prepare = [self._converter(f) for f in self.given]

    def _converter(self, field):
        from django.db import models

        if self.connection.vendor == "sqlite" and isinstance(field, models.UUIDField | models.ForeignKey):
            return lambda v: v.hex if isinstance(v, uuid.UUID) else v  # what get_db_prep_save does, 5x faster
        if self.connection.vendor == "postgresql" and isinstance(field, models.UUIDField | models.ForeignKey):
            return None
        if isinstance(field, models.BooleanField | models.IntegerField | models.TextField | models.CharField):
            return None
        return lambda v, f=field: f.get_db_prep_save(v, self.connection)

    def write(self, rows: Iterable[Sequence[Any]]) -> int:
        prepare, tail = self.prepare, self.tail
        out = [tuple(p(v) if p else v for p, v in zip(prepare, row, strict=True)) + tail for row in rows]
        if not out:
            return 0
        columns = ", ".join(self.columns)
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {self.table} ({columns}) FROM STDIN") as copy:
                    for row in out:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" * len(self.columns))
                cursor.connection.executemany(f"INSERT INTO {self.table} ({columns}) VALUES ({marks})", out)
        return len(out)


def _tuned_for_loading():
    """SQLite: a large page cache while loading (random UUID keys touch every page of their indexes)."""
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -1000000")  # 1 GB, this connection only


def generate(args) -> dict[str, float]:
    """Add what is missing of ``args``' sizes; returns the seconds each part took."""
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import User
    from clients.models import Client, Contact
    from tickets.models import Board, Priority, Status, Tag, TicketNumberCounter

    rng = random.Random(args.seed)
    started = time.perf_counter()
    timings: dict[str, float] = {}
    _tuned_for_loading()
    if args.regenerate:
        _delete_all()

    step = time.perf_counter()
    with transaction.atomic():
        have = Client.objects.filter(name__startswith="Bench ").count()
        crng = random.Random(args.seed + 10)
        BulkRows(Client, ["id", "name"]).write((_uuid(crng), f"Bench {i:05d} Ltd") for i in range(have, args.clients))
        clients = list(Client.objects.filter(name__startswith="Bench ").order_by("name").values_list("pk", flat=True))
        with_contacts = set(Contact.objects.filter(client_id__in=clients).values_list("client_id", flat=True))
        BulkRows(Contact, ["id", "client", "first_name", "last_name"]).write(
            (_uuid(crng), c, crng.choice(["Ann", "Bob", "Cat", "Dan", "Eve"]), f"C{i}")
            for i, c in enumerate(clients)
            if c not in with_contacts
            for _ in range(3)
        )
        techs = list(User.objects.filter(login__startswith="bench-tech-").order_by("login"))
        for i in range(len(techs), args.technicians):
            techs.append(User.objects.create_user(login=f"bench-tech-{i}", email=f"t{i}@msp.example", name=f"Tech {i}"))
        tags = [Tag.objects.get_or_create(text=t)[0].pk for t in TAGS]
    timings["clients, contacts, users"] = time.perf_counter() - step

    contacts: dict = {}
    for contact_id, client_id in (
        Contact.objects.filter(client_id__in=clients).order_by("id").values_list("pk", "client_id")
    ):
        contacts.setdefault(client_id, []).append(contact_id)
    boards = list(Board.objects.order_by("name", "id"))
    statuses = {b.pk: list(Status.objects.filter(board=b).order_by("order", "name", "id")) for b in boards}
    priorities = list(Priority.objects.order_by("order", "name").values_list("pk", flat=True))
    tech_ids = sorted(t.pk for t in techs)
    now = timezone.now().replace(second=0, microsecond=0)
    counter, _ = TicketNumberCounter.objects.get_or_create(prefix="BEN", defaults={"last_value": 0})

    step = time.perf_counter()
    made = _tickets(args, rng, counter, clients, contacts, boards, statuses, priorities, tech_ids, tags, now)
    if made:
        timings[f"{made:,} tickets"] = time.perf_counter() - step
    step = time.perf_counter()
    made = _comments(args, rng, tech_ids)
    if made:
        timings[f"{made:,} comments"] = time.perf_counter() - step
    step = time.perf_counter()
    made = _assets(args, clients)
    if made:
        timings[f"{made:,} assets with an interface"] = time.perf_counter() - step
    if _threads(rng, clients, boards[0], statuses[boards[0].pk], priorities, tech_ids, now):
        timings["threads"] = 0.0
    step = time.perf_counter()
    with connection.cursor() as cursor:
        # PostgreSQL: VACUUM sets the visibility map, without which no scan of bulk-loaded rows is index-only.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    timings["ANALYZE"] = time.perf_counter() - step
    timings["total generation"] = time.perf_counter() - started
    return timings


def _delete_all() -> None:
    """Everything generated, fast: the bench database holds nothing else of value."""
    from django.db import connection, transaction

    from assets.models import Asset, AssetInterface
    from clients.models import Client, Contact
    from psa.models import SearchEntry
    from tickets.models import Comment, Ticket, TicketNumberCounter

    tables = [
        SearchEntry, Comment, Ticket.tags.through, Ticket, AssetInterface, Asset, Contact, TicketNumberCounter
    ]  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:
        for model in tables:
            cursor.execute(f"DELETE FROM {model._meta.db_table}")
        if connection.vendor == "sqlite":
            cursor.execute("INSERT INTO psa_search_fts(psa_search_fts) VALUES ('delete-all')")
            cursor.execute("INSERT INTO psa_search_ids(psa_search_ids) VALUES ('delete-all')")
    Client.objects.filter(name__startswith="Bench ").delete()


def _tickets(args, rng, counter, clients, contacts, boards, statuses, priorities, tech_ids, tags, now) -> int:
    from django.db import connection, transaction

    from tickets.models import Ticket, TicketNumberCounter

    existing = Ticket.objects.exclude(ticket_number__in=list(THREADS)).count()
    to_make = max(0, args.tickets - existing)
    writer = BulkRows(
        Ticket,
        ["id", "ticket_number", "number_sequence", "title", "description", "description_html", "client", "contact",
         "board", "status", "priority", "assigned_to", "due_date", "source", "entered_at", "is_closed", "closed_at", "created_at",
         "updated_at"],
    )  # fmt: skip
    tag_writer = BulkRows(Ticket.tags.through, ["ticket", "tag"])
    sequence = counter.last_value
    made = 0
    while made < to_make:
        rows, tag_rows = [], []
        for _ in range(min(args.batch * 4, to_make - made)):
            sequence += 1
            board = boards[0] if rng.random() < 0.85 or len(boards) == 1 else rng.choice(boards)
            status = rng.choice(statuses[board.pk])
            entered = now - timedelta(minutes=rng.randint(0, 3 * 365 * 24 * 60))
            closed = entered + timedelta(minutes=rng.randint(0, 7 * 24 * 60)) if status.is_closed else None
            client = rng.choice(clients)
            ticket_id = _uuid(rng)
            title = f"{rng.choice(SUBJECTS)} - {rng.choice(WORDS)} {rng.choice(WORDS)}"
            text = sentence(rng, rng.randint(8, 40))  # after the title, so a seed makes the same data as before
            rows.append((
                ticket_id, f"BEN{sequence}", sequence, title, text, sentence_html(text),
                client, rng.choice(contacts[client]) if rng.random() < 0.7 else None, board.pk, status.pk,
                rng.choice(priorities), rng.choice(tech_ids) if rng.random() < 0.8 else None,
                (entered + timedelta(days=rng.randint(1, 14))) if rng.random() < 0.4 else None,
                rng.choice(["web", "api", "email", "mobile"]), entered, status.is_closed, closed, entered,
                closed or entered,
            ))  # fmt: skip
            if rng.random() < 0.3:
                tag_rows.append((ticket_id, rng.choice(tags)))
        with transaction.atomic():
            writer.write(rows)
            tag_writer.write(tag_rows)
        made += len(rows)
    if made:
        TicketNumberCounter.objects.filter(prefix="BEN").update(last_value=sequence)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return made


def _comments(args, rng, tech_ids) -> int:
    """Comments on random tickets, each written a few hours to weeks after its ticket was entered."""
    from django.db import transaction

    from tickets.models import Comment, Ticket

    to_make = max(0, args.comments - Comment.objects.exclude(ticket__ticket_number__in=list(THREADS)).count())
    if not to_make:
        return 0
    tickets = list(
        Ticket.objects.exclude(ticket_number__in=list(THREADS))
        .order_by("number_sequence")
        .values_list("pk", "entered_at")
    )
    writer = BulkRows(
        Comment, ["id", "ticket", "author_user", "text", "text_html", "is_internal", "created_at", "updated_at"]
    )
    made = 0
    while made < to_make:
        rows = []
        for _ in range(min(args.batch * 10, to_make - made)):
            ticket_id, entered = rng.choice(tickets)
            text = sentence(rng, rng.randint(5, 30))
            created = entered + timedelta(minutes=rng.randint(1, 21 * 24 * 60))
            rows.append(
                (_uuid(rng), ticket_id, rng.choice(tech_ids), text, sentence_html(text), rng.random() < 0.5, created,
                 created)
            )  # fmt: skip
        with transaction.atomic():
            writer.write(rows)
        made += len(rows)
    return made


def _assets(args, clients) -> int:
    """Assets with a serial and one primary interface (MAC, IP) each, round the clients."""
    from django.db import transaction

    from assets.models import Asset, AssetInterface

    have = Asset.objects.filter(name__startswith="BA-").count()
    rng = random.Random(args.seed + 1)
    assets = BulkRows(Asset, ["id", "client", "name", "type", "make", "serial"])
    interfaces = BulkRows(AssetInterface, ["id", "asset", "name", "mac", "ipv4", "is_primary"])
    for start in range(have, args.assets, args.batch * 4):
        asset_rows, interface_rows = [], []
        for i in range(start, min(args.assets, start + args.batch * 4)):
            asset_id = _uuid(rng)
            kind = rng.choice(["laptop", "desktop", "server", "printer"])
            asset_rows.append(
                (asset_id, clients[i % len(clients)], f"BA-{kind.upper()}-{i:06d}", kind,
                 rng.choice(["Dell", "HP", "Lenovo", "Cisco"]), f"SN{i:08d}X")
            )  # fmt: skip
            mac = ":".join(f"{b:02x}" for b in (2, 0, (i >> 16) & 255, (i >> 8) & 255, i & 255, 7))
            ipv4 = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
            interface_rows.append((_uuid(rng), asset_id, "eth0", mac, ipv4, True))
        with transaction.atomic():
            assets.write(asset_rows)
            interfaces.write(interface_rows)
    return max(0, args.assets - have)


def _threads(rng, clients, board, statuses, priorities, tech_ids, now) -> bool:
    from django.db import transaction

    from tickets.models import Comment, Ticket

    made = False
    open_status = next(s for s in statuses if not s.is_closed)
    for number, count in THREADS.items():
        if Ticket.objects.filter(ticket_number=number).exists():
            continue
        with transaction.atomic():
            ticket = Ticket.objects.create(
                ticket_number=number, number_sequence=0, title=f"Long conversation ({count})", client_id=clients[0],
                board=board, status=open_status, priority_id=priorities[0], entered_at=now,
            )  # fmt: skip
            writer = BulkRows(Comment, ["id", "ticket", "author_user", "text", "text_html", "created_at", "updated_at"])
            rows = []
            for i in range(count):
                text = sentence(rng, rng.randint(5, 30))
                created = now - timedelta(minutes=count - i)
                rows.append((_uuid(rng), ticket.pk, rng.choice(tech_ids), text, sentence_html(text), created, created))
            writer.write(rows)
        made = True
    return made
