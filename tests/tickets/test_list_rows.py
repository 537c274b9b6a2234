"""The ticket list's rows built column by column (psa/api/lean_rows.py, with tickets/api/list_rows.py's declared
values): the serializer path's bytes from the driver's tuples."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework import serializers

from psa.api import lean_rows
from tests.factories import api_for, make_client, make_contact, make_user
from tests.psa.helpers import data_of
from tests.tickets.factories import default_board, make_category, make_ticket
from tickets.models import Ticket

TICKETS = "/api/v1/tickets"


def _drf(value: dt.datetime) -> str:
    return serializers.DateTimeField().to_representation(value)


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2026, 12, 1, 20, 3, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 1, 20, 11, 47, 414626, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 1, 20, 11, 47, 1, tzinfo=dt.UTC),
        dt.datetime(999, 1, 2, 3, 4, 5, 600000, tzinfo=dt.UTC),
        dt.datetime(2026, 6, 1, 22, 0, 0, 5, tzinfo=ZoneInfo("Europe/Berlin")),
    ],
)
def test_a_date_time_is_written_as_drf_writes_it_from_any_form_the_driver_gives(moment):
    utc = moment.astimezone(dt.UTC)
    stored = str(utc.replace(tzinfo=None))  # what Django writes on SQLite
    forms = [stored, utc, moment, utc.replace(tzinfo=None), utc.isoformat(), f"{stored[:19]}.000000"]
    expected = _drf(moment)
    assert lean_rows.datetime_text(forms[:-1]) == [expected] * 5
    assert lean_rows.datetime_text([f"{stored[:19]}.000000", None]) == [_drf(utc.replace(microsecond=0)), None]


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2026, 12, 1, 20, 3, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 1, 20, 3, 0, 1, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 1, 20, 3, 0, 500000, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 1, 21, 3, 0, tzinfo=ZoneInfo("Europe/Berlin")),  # the same instant as the first
    ],
)
def test_before_a_moment_answers_as_comparing_the_values_does_from_any_form_the_driver_gives(moment):
    utc = moment.astimezone(dt.UTC)
    near = [utc + dt.timedelta(microseconds=d) for d in (-500001, -1, 0, 1, 499999, 500000, 10**6)]
    texts = [str(v.replace(tzinfo=None)) for v in near]  # what Django writes on SQLite: some with microseconds
    forms = [*texts, *near, *(v.isoformat() for v in near), *(f"{t[:19]}.000000" for t in texts[:1]), None]
    expected = [False if v is None else lean_rows.aware(v) < moment for v in forms]
    assert lean_rows.before(forms, moment) == expected
    assert expected[:7] == [True, True, False, False, False, False, False]


def test_an_id_is_written_as_drf_writes_it_from_any_form_the_driver_gives():
    ids = [uuid.uuid4() for _ in range(50)] + [uuid.UUID(int=0), uuid.UUID(int=2**128 - 1)]
    texts = [str(value) for value in ids]  # PostgreSQL's text of a uuid
    forms = [v.hex for v in ids] + [v.hex.upper() for v in ids] + ids + texts + [t.upper() for t in texts] + [None]
    assert lean_rows.uuid_text(forms) == texts * 5 + [None]  # mostly distinct: written value by value
    assert lean_rows.uuid_text(forms * 2) == (texts * 5 + [None]) * 2  # repeated: each distinct value once


def test_texts_and_booleans_are_written_as_drf_writes_them():
    texts, flags = ["a", "", "ünï", 5, None], [True, False, 1, 0, None]
    char, flag = serializers.CharField(), serializers.BooleanField()
    assert lean_rows.text(texts) == [None if v is None else char.to_representation(v) for v in texts]
    assert lean_rows.boolean(flags) == [None if v is None else flag.to_representation(v) for v in flags]
    assert [type(v) for v in lean_rows.boolean(flags)[:4]] == [bool] * 4


def _varied_tickets(client) -> None:
    """Every shape a row can take: categories with and without a subcategory, past and future due dates, closed,
    tags, a contact with an empty last name, people set and not."""
    board = default_board()
    category = make_category(board, "Hardware")
    subcategory = make_category(board, "Disks", parent=category)
    person = make_user(["ticket.read"], name="")  # str(user) falls back to the login
    now = timezone.now()
    make_ticket(
        client, category=category, subcategory=subcategory, due_date=now - dt.timedelta(days=1), tags=["b", "A"]
    )
    make_ticket(client, category=category, due_date=now + dt.timedelta(days=1), assigned_to=person)
    make_ticket(client, contact=make_contact(client, first_name="Ada", last_name=""), description="**x**")
    closed = make_ticket(client, due_date=now - dt.timedelta(days=2), tags=["z"])
    closed.status = board.statuses.filter(is_closed=True).first()
    closed.save()
    Ticket.objects.filter(pk=closed.pk).update(closed_by=person, updated_by=person)


QUERIES = [
    {},
    {"fields": "mobile_list"},
    {"fields": "tags"},
    {"fields": "mobile_list", "sort": "client_name", "order": "asc"},
    {"fields": "id,is_overdue,due_date,category_name,subcategory_id,subcategory_name,closed_by_name"},
    {"updated_from": "2000-01-01", "fields": "mobile_list", "page": "2", "limit": "2"},
]


@pytest.mark.django_db
@pytest.mark.parametrize("params", QUERIES)
@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin"])  # another zone: the fields' own date-time converters
@pytest.mark.parametrize("rows", [True, False], ids=["column by column", "light instances"])
def test_the_direct_rows_answer_exactly_as_the_serializer_path(params, zone, rows, client_a, monkeypatch):
    if not rows:  # the path a field lean_rows cannot convert leaves the page to (psa.api.lean.ColumnPage)
        monkeypatch.setattr(lean_rows, "row_page", lambda *args: None)
    _varied_tickets(client_a)
    api, _, _ = api_for(["ticket.read", "obj.*"])
    with override_settings(TIME_ZONE=zone):
        with override_settings(LEAN_LISTS=False):
            slow = api.get(TICKETS, params)
        fast = api.get(TICKETS, params)
    assert slow.status_code == fast.status_code == 200
    assert fast.content == slow.content
    assert data_of(fast)


@pytest.mark.django_db
def test_the_rows_serve_the_list_in_any_zone_but_not_an_undeclared_field(client_a, monkeypatch):
    make_ticket(client_a)
    api, _, _ = api_for(["ticket.read", "obj.*"])
    built = []
    monkeypatch.setattr(lean_rows.RowPage, "__init__", _recording(lean_rows.RowPage.__init__, built))
    data_of(api.get(TICKETS, {"fields": "mobile_list"}))
    assert len(built) == 1
    with override_settings(TIME_ZONE="Europe/Berlin"):
        data_of(api.get(TICKETS, {"fields": "mobile_list"}))
    assert len(built) == 2  # the caller's zone too (its date-times through the field's own converter)
    data_of(api.get(TICKETS, {"fields": "description_html"}))
    assert len(built) == 2  # not for a method field the list does not declare (the model fetch)


def _recording(init, built: list):
    def record(self, *args, **kwargs):
        built.append(self)
        init(self, *args, **kwargs)

    return record


@pytest.mark.django_db
def test_a_caller_without_clients_gets_an_empty_page_with_any_filter():
    make_ticket(make_client("Elsewhere"))
    api, _, _ = api_for(["ticket.read", "obj.*"], clients=[make_client("Empty")])
    for params in ({}, {"updated_from": "2000-01-01"}, {"search": "x"}):
        body = api.get(TICKETS, params).json()
        assert body["data"] == [] and body["pagination"]["total"] == 0, params


@pytest.mark.django_db
def test_a_counted_list_takes_count_page_and_tags(client_a):
    """``updated_from`` is counted by ``COUNT(*)`` over the filtered query (the group counts cannot decide it)."""
    _varied_tickets(client_a)
    api, _, _ = api_for(["ticket.read", "obj.*"])
    params = {"fields": "mobile_list", "updated_from": "2000-01-01", "limit": "2"}
    api.get(TICKETS, params)
    with CaptureQueriesContext(connection) as captured:
        body = api.get(TICKETS, params).json()
    sql = [q["sql"] for q in captured if "ratelimitcounter" not in q["sql"].lower()]
    assert len(sql) == 3, sql
    assert sql[0].startswith("SELECT COUNT(*)") and "ORDER BY" not in sql[0], sql[0]
    assert body["pagination"]["total"] == Ticket.objects.count() == 4


@pytest.mark.django_db
def test_a_set_query_takes_the_page_ids_as_the_driver_gave_them(client_a):
    """``by_keys(stored=True)``: the page's ids go back as the driver read them (on SQLite the stored hex, not parsed
    into a ``UUID`` and written again) and find the same rows as the ORM's parameters do."""
    from psa.api import lean_sql

    _varied_tickets(client_a)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM tickets_ticket ORDER BY id")
        keys = [row[0] for row in cursor.fetchall()]
    through = Ticket.tags.through
    key_field = through._meta.get_field("ticket").target_field

    def build():
        return through._base_manager.filter(ticket_id__in=keys).order_by("tag_id").values_list("ticket_id", "tag_id")

    stored = lean_sql.by_keys(build, ("test stored keys", "default"), key_field, keys, raw=True, stored=True)
    prepared = lean_sql.by_keys(build, ("test prepared keys", "default"), key_field, keys, raw=True)
    assert list(stored) == list(prepared) and len(stored) == through.objects.count() > 0
