"""A write the database refuses for contention answers 503 BUSY with Retry-After, stores nothing and leaks nothing.

The contention is real: a second connection holds the lock the request needs (SQLite's write lock; on PostgreSQL
the client's row), and the request's connection waits no longer than the test allows.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import Client as BrowserClient

from clients.models import Client
from psa.errors import BUSY_MESSAGE
from tests.factories import api_for, make_client, make_user

pytestmark = pytest.mark.django_db(transaction=True)

NODES = ["client.read", "client.update", "obj.*"]


@contextmanager
def _held_elsewhere(client: Client):
    """A second connection holds what an update of ``client`` needs, and the request's connection may not wait."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        other = sqlite3.connect(settings["NAME"], isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # SQLite's one write lock
        no_wait, usual_wait = "PRAGMA busy_timeout = 0", "PRAGMA busy_timeout = 10000"
    else:
        import psycopg

        other = psycopg.connect(
            host=settings["HOST"], port=settings["PORT"] or 5432, user=settings["USER"],
            password=settings["PASSWORD"], dbname=settings["NAME"],
        )  # fmt: skip
        other.execute("SELECT 1 FROM clients_client WHERE id = %s FOR UPDATE", [client.pk])
        no_wait, usual_wait = "SET lock_timeout = '50ms'", "RESET lock_timeout"
    with connection.cursor() as cursor:
        cursor.execute(no_wait)
    try:
        yield
    finally:
        other.rollback()
        other.close()
        with connection.cursor() as cursor:
            cursor.execute(usual_wait)


def test_an_api_write_refused_for_contention_is_a_503_that_stores_nothing():
    client = make_client("Before")
    api, _, _ = api_for(NODES)
    api.raise_request_exception = False  # a refusal in the rate limit's middleware reaches Django's handler
    api.get(f"/api/v1/clients/{client.pk}")  # the caller is resolved and cached before the lock is taken
    with _held_elsewhere(client):
        response = api.patch(f"/api/v1/clients/{client.pk}", {"name": "After"}, format="json")
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "1" and response["Content-Type"] == "application/json"
    assert response.json() == {"error": {"code": "BUSY", "message": BUSY_MESSAGE, "details": None}}
    client.refresh_from_db()
    assert client.name == "Before"
    assert api.patch(f"/api/v1/clients/{client.pk}", {"name": "After"}, format="json").status_code == 200


def test_a_page_refused_for_contention_is_the_busy_page():
    client = make_client("Before")
    browser = BrowserClient(raise_request_exception=False)
    browser.force_login(make_user(["client.read", "client.update", "obj.*"]))
    assert browser.get(f"/clients/{client.pk}/edit/").status_code == 200
    with _held_elsewhere(client):
        response = browser.post(f"/clients/{client.pk}/edit/", {"name": "After", "type": "customer", "currency": "USD"})
    assert response.status_code == 503 and response["Retry-After"] == "1"
    assert "Busy for a moment" in response.content.decode() and "clients_client" not in response.content.decode()
    client.refresh_from_db()
    assert client.name == "Before"


def test_the_retry_after_is_a_setting(settings):
    settings.DATABASE_BUSY_RETRY_AFTER = 7
    client = make_client()
    api, _, _ = api_for(NODES)
    api.raise_request_exception = False
    with _held_elsewhere(client):
        response = api.patch(f"/api/v1/clients/{client.pk}", {"name": "After"}, format="json")
    assert (response.status_code, response["Retry-After"]) == (503, "7")


def test_other_database_errors_stay_internal_errors():
    from django.db import OperationalError

    from psa.db import is_contention

    assert not is_contention(OperationalError("no such table: x"))
    assert not is_contention(ValueError("database is locked"))
    assert is_contention(OperationalError("database is locked"))


def test_an_error_outside_a_view_is_still_the_api_envelope():
    """Django's handler answers what no view caught; under /api/v1 in the envelope, never a page or internals."""
    from django.test import RequestFactory

    from psa.errors import server_error

    try:
        raise RuntimeError("secret detail")
    except RuntimeError:
        api = server_error(RequestFactory().get("/api/v1/clients"))
        page = server_error(RequestFactory().get("/clients/"))
    assert api.status_code == 500 and b"INTERNAL_ERROR" in api.content and b"secret" not in api.content
    assert page.status_code == 500 and b"Something went wrong" in page.content and b"secret" not in page.content
