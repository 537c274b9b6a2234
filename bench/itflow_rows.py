"""Our benchmark rows, copied into ITFlow's tables for bench_itflow.py.

Read through Django's connection from the database our server uses (SQLite or PostgreSQL) and bulk-loaded with
LOAD DATA. Our keys are UUIDs, ITFlow's
are integers: each table is numbered in the order our API lists it (clients by name, tickets newest first, assets
by primary key), so ITFlow's ``ORDER BY <id> LIMIT n`` returns the same rows as our first page, and asset 1 is the
asset our "one asset by id" route reads. Users, statuses and contacts get numbers only to keep the references.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from itflow_stack import Stack

Query = Callable[[str], list[tuple]]  # SQL in, rows out
ITFLOW_TECHNICIAN_ROLE = 2  # seeded by ITFlow's installer: read/modify clients and support, not an administrator


@dataclass
class Loaded:
    counts: dict[str, int]
    caller_user_id: int  # the ITFlow user behind the benchmark's API key (our bench-tech-0)


def _numbering(db: Query, sql: str, start: int = 1) -> dict[str, int]:
    return {row[0]: number for number, row in enumerate(db(sql), start)}


def _when(value) -> str | None:
    """A timestamp as DATETIME takes it (whole seconds, UTC): SQLite gives Django's text, PostgreSQL datetimes."""
    if value is None:
        return None
    return value.strftime("%Y-%m-%d %H:%M:%S") if hasattr(value, "strftime") else str(value)[:19]


def load_rows(db: Query, stack: Stack) -> Loaded:
    users = _load_users(db, stack)
    clients = _numbering(db, "SELECT id FROM clients_client ORDER BY name, id")
    contacts = _numbering(db, "SELECT id FROM clients_contact ORDER BY id")
    counts = {
        "clients": _load_clients(db, stack, clients),
        "assets": _load_assets(db, stack, clients, contacts),
        "tickets": _load_tickets(db, stack, clients, contacts, users),
    }
    stack.sql("ANALYZE TABLE clients, assets, asset_interfaces, tickets;")
    return Loaded(counts, users[db("SELECT id FROM accounts_user WHERE login = 'bench-tech-0'")[0][0]])


def _load_users(db: Query, stack: Stack) -> dict[str, int]:
    """Every user of ours as an active ITFlow agent with the Technician role (user 1 is the installer's admin)."""
    users = _numbering(db, "SELECT id FROM accounts_user ORDER BY login, id", start=2)
    rows = [
        (users[user_id], name or login, email or f"{login}@msp.example", "!", ITFLOW_TECHNICIAN_ROLE, 1, 1)
        for user_id, login, name, email in db("SELECT id, login, name, email FROM accounts_user")
    ]
    stack.load_tsv("users", ["user_id", "user_name", "user_email", "user_password", "user_role_id", "user_type",
                             "user_status"], rows)  # fmt: skip
    return users


def _load_clients(db: Query, stack: Stack, clients: dict[str, int]) -> int:
    rows = [
        (clients[r[0]], r[1], r[2], r[3], r[4] or "USD", 30, r[5], (r[6] or "")[:10] or None, r[7], int(r[8]),
         _when(r[9]), _when(r[10]), _when(r[11]))
        for r in db(
            "SELECT id, name, type, website, currency, notes, identifier, hourly_rate, is_lead, created_at, "
            "updated_at, archived_at FROM clients_client"
        )
    ]  # fmt: skip
    stack.load_tsv("clients", [
        "client_id", "client_name", "client_type", "client_website", "client_currency_code", "client_net_terms",
        "client_notes", "client_abbreviation", "client_rate", "client_lead", "client_created_at", "client_updated_at",
        "client_archived_at",
    ], rows)  # fmt: skip
    return len(rows)


def _load_assets(db: Query, stack: Stack, clients: dict[str, int], contacts: dict[str, int]) -> int:
    assets = _numbering(db, "SELECT id FROM assets_asset ORDER BY id")
    rows = [
        (assets[r[0]], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], _when(r[13]),
         _when(r[14]), _when(r[15]), clients.get(r[16], 0), contacts.get(r[17], 0))
        for r in db(
            "SELECT id, type, name, make, model, serial, os, uri, status, purchase_date, warranty_expires, "
            "install_date, notes, created_at, updated_at, archived_at, client_id, contact_id FROM assets_asset"
        )
    ]  # fmt: skip
    stack.load_tsv("assets", [
        "asset_id", "asset_type", "asset_name", "asset_make", "asset_model", "asset_serial", "asset_os", "asset_uri",
        "asset_status", "asset_purchase_date", "asset_warranty_expire", "asset_install_date", "asset_notes",
        "asset_created_at", "asset_updated_at", "asset_archived_at", "asset_client_id", "asset_contact_id",
    ], rows)  # fmt: skip
    interfaces = [
        (assets[r[0]], r[1], r[2], r[3], r[4], int(r[5]), _when(r[6]))
        for r in db("SELECT asset_id, name, mac, ipv4, ipv6, is_primary, created_at FROM assets_assetinterface")
    ]
    stack.load_tsv("asset_interfaces", [
        "interface_asset_id", "interface_name", "interface_mac", "interface_ip", "interface_ipv6",
        "interface_primary", "interface_created_at",
    ], interfaces)  # fmt: skip
    return len(rows)


def _statuses(db: Query, stack: Stack) -> dict[str, int]:
    """Our statuses onto ITFlow's seeded ones by name; the others become ITFlow custom statuses."""
    seeded = {
        name.lower(): int(number)
        for number, name in (line.split("\t") for line in stack.sql(
            "SELECT ticket_status_id, ticket_status_name FROM ticket_statuses;").splitlines())
    }  # fmt: skip
    mapping = {}
    for status_id, name, color in db("SELECT id, name, color FROM tickets_status ORDER BY name, id"):
        if name.lower() not in seeded:
            quoted = name.replace("\\", "\\\\").replace("'", "\\'")
            number = stack.sql(
                f"INSERT INTO ticket_statuses SET ticket_status_name = '{quoted}', "
                f"ticket_status_color = '{color or '#6c757d'}'; SELECT LAST_INSERT_ID();"
            )
            seeded[name.lower()] = int(number.strip())
        mapping[status_id] = seeded[name.lower()]
    return mapping


def _load_tickets(
    db: Query, stack: Stack, clients: dict[str, int], contacts: dict[str, int], users: dict[str, int]
) -> int:
    statuses = _statuses(db, stack)
    priorities = dict(db("SELECT id, name FROM tickets_priority"))
    rows = []
    query = (
        "SELECT ticket_number, source, title, description, priority_id, status_id, entered_at, updated_at, due_date, "
        "closed_at, entered_by_id, assigned_to_id, closed_by_id, client_id, contact_id FROM tickets_ticket "
        "ORDER BY entered_at DESC, id DESC"  # our list's order: ITFlow's ticket 1 is the top of our first page
    )
    for number, r in enumerate(db(query), 1):
        prefix, sequence = re.fullmatch(r"(\D*)(\d*)", r[0]).groups()
        rows.append((
            number, prefix, int(sequence or 0), r[1], r[2], r[3], priorities.get(r[4]), statuses[r[5]], _when(r[6]),
            _when(r[7]), _when(r[8]), _when(r[9]), users.get(r[10], 0), users.get(r[11], 0), users.get(r[12], 0),
            clients.get(r[13], 0), contacts.get(r[14], 0),
        ))  # fmt: skip
    stack.load_tsv("tickets", [
        "ticket_id", "ticket_prefix", "ticket_number", "ticket_source", "ticket_subject", "ticket_details",
        "ticket_priority", "ticket_status", "ticket_created_at", "ticket_updated_at", "ticket_due_at",
        "ticket_closed_at", "ticket_created_by", "ticket_assigned_to", "ticket_closed_by", "ticket_client_id",
        "ticket_contact_id",
    ], rows)  # fmt: skip
    return len(rows)
