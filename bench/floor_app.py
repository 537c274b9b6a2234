"""The floor the API is measured against: hand-written SQL through the database driver, serialised with orjson.

Each page does what the API's page does at the least: check the API key (one query for the key and its owner,
then HMAC-SHA256 of the secret), count the matches, read one page (names joined in), and write the same envelope.
``Floor`` runs in-process (``bench_tickets.py --floor``); ``application`` is the same as a WSGI app for gunicorn
(``bench_http.py``), reading ``PSA_DATABASE_URL`` or ``PSA_DATA_DIR/psa.sqlite3`` and ``FLOOR_PEPPER``.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import sqlite3
import uuid
from pathlib import Path
from urllib.parse import parse_qs

import orjson

_TICKET_COLUMNS = """t.id, t.ticket_number, t.title, t.status_id, s.name, s.is_closed, p.name, u.name, c.name,
    ct.first_name, ct.last_name, t.updated_at, t.entered_at, t.closed_at, t.client_id, t.board_id, b.name,
    t.priority_id, t.assigned_to_id, t.due_date, t.source, t.is_closed"""
_TICKET_JOINS = """JOIN tickets_status s ON s.id = t.status_id JOIN tickets_priority p ON p.id = t.priority_id
    JOIN tickets_board b ON b.id = t.board_id JOIN clients_client c ON c.id = t.client_id
    LEFT JOIN accounts_user u ON u.id = t.assigned_to_id LEFT JOIN clients_contact ct ON ct.id = t.contact_id"""


def _text(value):
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    return value.isoformat().replace("+00:00", "Z") if hasattr(value, "isoformat") else str(value)


class Floor:
    def __init__(self, connection, vendor: str, pepper: str) -> None:
        self.connection, self.vendor, self.pepper = connection, vendor, pepper.encode()

    def _sql(self, sql: str) -> str:
        return sql.replace("%s", "?") if self.vendor == "sqlite" else sql

    def _id(self, value: str):
        return uuid.UUID(value).hex if self.vendor == "sqlite" else uuid.UUID(value)

    def _out_id(self, value):
        if value is None:
            return None
        return str(uuid.UUID(value)) if isinstance(value, str) else str(value)

    def query(self, sql: str, params=()) -> list[tuple]:
        cursor = self.connection.cursor()
        cursor.execute(self._sql(sql), params)
        rows = cursor.fetchall()
        cursor.close()
        return rows

    def authenticate(self, raw: str | None):
        """The owner's id for a valid key, or None: one query, then HMAC-SHA256 (as the API does without its cache)."""
        if not raw or not raw.startswith("psa_"):
            return None
        key_id, secret = raw[4:16], raw[17:]
        rows = self.query(
            "SELECT k.digest, k.owner_id, u.permissions FROM accounts_apikey k JOIN accounts_user u ON u.id = k.owner_id"
            " WHERE k.key_id = %s AND k.is_active AND u.is_active",
            (key_id,),
        )
        if not rows:
            return None
        digest = hmac.new(self.pepper, secret.encode(), hashlib.sha256).hexdigest()
        return rows[0][1] if hmac.compare_digest(rows[0][0], digest) else None

    def _envelope(self, data: list, page: int, limit: int, total: int) -> bytes:
        pages = math.ceil(total / limit) if total else 0
        pagination = {
            "page": page, "limit": limit, "total": total, "totalPages": pages,
            "hasNext": page < pages, "hasPrev": page > 1,
        }  # fmt: skip
        return orjson.dumps({"data": data, "pagination": pagination, "meta": {}})

    def tickets(self, where: str = "1=1", params: tuple = (), limit: int = 25, tags: bool = False) -> bytes:
        total = self.query(f"SELECT COUNT(*) FROM tickets_ticket t WHERE {where}", params)[0][0]
        rows = self.query(
            f"SELECT {_TICKET_COLUMNS} FROM (SELECT * FROM tickets_ticket t WHERE {where}"
            f" ORDER BY t.entered_at DESC, t.id DESC LIMIT {int(limit)}) t {_TICKET_JOINS}"
            " ORDER BY t.entered_at DESC, t.id DESC",
            params,
        )
        tag_map: dict = {}
        if tags and rows:
            marks = ",".join(["%s"] * len(rows))
            for ticket_id, tag_id, text in self.query(
                f"SELECT tt.ticket_id, g.id, g.text FROM tickets_ticket_tags tt JOIN tickets_tag g ON g.id = tt.tag_id"
                f" WHERE tt.ticket_id IN ({marks})",
                tuple(r[0] for r in rows),
            ):
                tag_map.setdefault(ticket_id, []).append({"tag_id": self._out_id(tag_id), "tag_text": text})
        data = []
        for r in rows:
            item = {
                "ticket_id": self._out_id(r[0]), "ticket_number": r[1], "title": r[2], "status_id": self._out_id(r[3]),
                "status_name": r[4], "status_is_closed": bool(r[5]), "priority_name": r[6], "assigned_to_name": r[7],
                "client_name": r[8], "contact_name": f"{r[9]} {r[10]}" if r[9] is not None else None,
                "updated_at": _text(r[11]), "entered_at": _text(r[12]), "closed_at": _text(r[13]),
                "client_id": self._out_id(r[14]), "board_id": self._out_id(r[15]), "board_name": r[16],
                "priority_id": self._out_id(r[17]), "assigned_to": self._out_id(r[18]), "due_date": _text(r[19]),
                "source": r[20], "is_closed": bool(r[21]),
            }  # fmt: skip
            if tags:
                item["tags"] = tag_map.get(r[0], [])
            data.append(item)
        return self._envelope(data, 1, limit, total)

    def clients(self, limit: int = 25) -> bytes:
        total = self.query("SELECT COUNT(*) FROM clients_client")[0][0]
        rows = self.query(
            "SELECT id, name, identifier, type, website, phone, email, created_at, updated_at FROM clients_client"
            f" ORDER BY name, id LIMIT {int(limit)}"
        )
        data = [
            {
                "id": self._out_id(r[0]),
                "name": r[1],
                "identifier": r[2],
                "type": r[3],
                "website": r[4],
                "phone": r[5],
                "email": r[6],
                "created_at": _text(r[7]),
                "updated_at": _text(r[8]),
            }
            for r in rows
        ]
        return self._envelope(data, 1, limit, total)

    def asset(self, asset_id: str) -> bytes | None:
        rows = self.query(
            "SELECT a.id, a.name, a.type, a.serial, a.status, a.client_id, c.name, a.created_at, a.updated_at"
            " FROM assets_asset a JOIN clients_client c ON c.id = a.client_id WHERE a.id = %s",
            (self._id(asset_id),),
        )
        if not rows:
            return None
        r = rows[0]
        return orjson.dumps(
            {
                "data": {
                    "id": self._out_id(r[0]),
                    "name": r[1],
                    "type": r[2],
                    "serial": r[3],
                    "status": r[4],
                    "client_id": self._out_id(r[5]),
                    "client_name": r[6],
                    "created_at": _text(r[7]),
                    "updated_at": _text(r[8]),
                }
            }
        )

    def stats(self) -> bytes:
        totals = self.query(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE NOT is_closed), COUNT(*) FILTER (WHERE is_closed),"
            " COUNT(*) FILTER (WHERE NOT is_closed AND assigned_to_id IS NULL) FROM tickets_ticket"
        )[0]
        groups = self.query(
            "SELECT board_id, status_id, priority_id, COUNT(*) FROM tickets_ticket GROUP BY board_id, status_id, priority_id"
        )
        return orjson.dumps(
            {
                "data": {
                    "totals": list(totals),
                    "groups": [[self._out_id(g[0]), self._out_id(g[1]), g[3]] for g in groups],
                }
            }
        )

    def counted_stats(self, now) -> bytes:
        """The stats from the maintained group counts (tickets.stats_models): the counts summed, the clock's counts
        as index ranges."""
        month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        stamp = (lambda t: t.strftime("%Y-%m-%d %H:%M:%S.%f")) if self.vendor == "sqlite" else (lambda t: t)
        clock = self.query(
            "SELECT (SELECT COUNT(*) FROM tickets_ticket WHERE entered_at >= %s),"
            " (SELECT COUNT(*) FROM tickets_ticket WHERE is_closed IN (%s) AND due_date >= %s)",
            (stamp(month), False, stamp(now)),
        )[0]
        groups = self.query(
            "SELECT board_id, status_id, priority_id, is_closed, is_assigned, tickets, with_due_date, resolved,"
            " resolution_ms FROM tickets_ticketgroupcount"
        )
        return orjson.dumps(
            {
                "data": {
                    "clock": list(clock),
                    "groups": [[self._out_id(g[0]), self._out_id(g[1]), *g[3:]] for g in groups],
                }
            }
        )


def connect(database_url: str | None, data_dir: str | None):
    """A DB-API connection and its vendor, from the same settings the app reads."""
    if database_url:
        import psycopg

        url = database_url.replace("postgres://", "postgresql://", 1)
        return psycopg.connect(url, autocommit=True), "postgresql"
    connection = sqlite3.connect(str(Path(data_dir) / "psa.sqlite3"), check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    return connection, "sqlite"


_floor: Floor | None = None


def _get_floor() -> Floor:
    global _floor
    if _floor is None:
        connection, vendor = connect(os.environ.get("PSA_DATABASE_URL"), os.environ.get("PSA_DATA_DIR"))
        _floor = Floor(connection, vendor, os.environ["FLOOR_PEPPER"])
    return _floor


def application(environ, start_response):
    """The floor as a WSGI app: /api/v1/clients, /api/v1/assets/<id>, /api/v1/tickets."""
    floor = _get_floor()
    if floor.authenticate(environ.get("HTTP_X_API_KEY")) is None:
        start_response("401 Unauthorized", [("Content-Type", "application/json")])
        return [b'{"error":{"code":"UNAUTHORIZED"}}']
    path = environ.get("PATH_INFO", "")
    query = parse_qs(environ.get("QUERY_STRING", ""))
    limit = int(query.get("limit", ["25"])[0])
    body: bytes | None
    if path == "/api/v1/clients":
        body = floor.clients(limit)
    elif path.startswith("/api/v1/assets/"):
        body = floor.asset(path.rsplit("/", 1)[-1])
    elif path == "/api/v1/tickets":
        body = floor.tickets(limit=limit)
    else:
        body = None
    if body is None:
        start_response("404 Not Found", [("Content-Type", "application/json")])
        return [b'{"error":{"code":"NOT_FOUND"}}']
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
