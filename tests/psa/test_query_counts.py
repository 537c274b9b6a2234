"""A list's number of queries does not grow with its rows (design.md, "Performance and scale")."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from psa import audit
from tests.factories import api_for, make_client, make_contact, make_key, make_role, make_user

pytestmark = pytest.mark.django_db


def _clients(n: int, ctx: dict) -> None:
    for _ in range(n):
        make_client()


def _contacts(n: int, ctx: dict) -> None:
    for _ in range(n):
        make_contact(make_client())


def _users(n: int, ctx: dict) -> None:
    for _ in range(n):
        user = make_user(["client.read"], clients=[ctx["client"]])
        user.roles.add(ctx["role"])


def _roles(n: int, ctx: dict) -> None:
    for _ in range(n):
        make_role(["client.read", "contact.*"])


def _keys(n: int, ctx: dict) -> None:
    for _ in range(n):
        make_key(ctx["caller"], clients=[ctx["client"]])


def _events(n: int, ctx: dict) -> None:
    client = ctx["client"]
    for _ in range(n):
        audit.record(None, "update", client, changes={"name": {"old": "a", "new": "b"}})


LISTS: dict[str, tuple[str, Callable[[int, dict], None]]] = {
    "clients": ("/api/v1/clients", _clients),
    "contacts": ("/api/v1/contacts", _contacts),
    "users": ("/api/v1/users", _users),
    "roles": ("/api/v1/roles", _roles),
    "api-keys": ("/api/v1/api-keys", _keys),
    "audit-events": ("/api/v1/audit-events", _events),
}

# The caller comes from the caller cache (no query); then the count and the page, plus prefetches (users: roles
# and clients; api-keys: clients).
EXPECTED_QUERIES = {"clients": 2, "contacts": 2, "users": 4, "roles": 2, "api-keys": 3, "audit-events": 2}


def _count(api, path: str, expected_rows: int) -> int:
    # The first request after a change to keys, users or roles resolves its caller again (one query): not counted.
    api.get(path, {"limit": 100})
    with CaptureQueriesContext(connection) as queries:
        response = api.get(path, {"limit": 100})
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert body["pagination"]["total"] == expected_rows
    assert len(body["data"]) == expected_rows
    # Without Redis the rate limiter counts hits in a table; that query is the limiter's, not the list's.
    return len([query for query in queries if "ratelimitcounter" not in query["sql"].lower()])


@pytest.mark.parametrize("name", sorted(LISTS))
def test_query_count_is_the_same_for_1_row_and_50(name):
    path, add_rows = LISTS[name]
    Role.objects.all().delete()  # only the rows this test makes are listed
    api, caller, _ = api_for(["*"])
    ctx = {"caller": caller, "client": make_client("Scope"), "role": make_role(["client.read"])}
    caller.roles.add(ctx["role"])
    warm_up = api.get(path)  # the first request of a key also records its use
    existing = warm_up.json()["pagination"]["total"]
    assert existing <= 1

    add_rows(1 - existing, ctx)
    one = _count(api, path, 1)
    add_rows(49, ctx)
    fifty = _count(api, path, 50)

    assert fifty == one, f"{name}: {one} queries for 1 row, {fifty} for 50"
    assert one == EXPECTED_QUERIES[name], f"{name}: {one} queries, pinned at {EXPECTED_QUERIES[name]}"
