"""Boards, statuses, priorities and categories come from the reference cache in ticket lists; any change shows at once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from psa import references
from tests.factories import api_for, make_client
from tests.tickets.factories import make_category, make_ticket

pytestmark = pytest.mark.django_db


def _first(api) -> dict:
    response = api.get("/api/v1/tickets", {"fields": "status_name,priority_name,board_name"})
    assert response.status_code == 200, response.content[:300]
    return response.json()["data"][0]


def test_renamed_status_priority_and_board_show_at_once():
    api, _user, _key = api_for(["ticket.read", "obj.*"])
    ticket = make_ticket(make_client())
    before = _first(api)
    assert before["status_name"] == ticket.status.name
    for obj, field in (
        (ticket.status, "status_name"),
        (ticket.priority, "priority_name"),
        (ticket.board, "board_name"),
    ):
        obj.name = f"Renamed {field}"
        obj.save(update_fields=["name"])
        assert _first(api)[field] == f"Renamed {field}"


def test_categories_come_from_the_cache_and_a_rename_shows_at_once():
    api, _user, _key = api_for(["ticket.read", "obj.*"])
    ticket = make_ticket(make_client())
    category = make_category(ticket.board, "Network")
    subcategory = make_category(ticket.board, "Wi-Fi", parent=category)
    type(ticket).objects.filter(pk=ticket.pk).update(category=category, subcategory=subcategory)
    fields = {"fields": "category_name,subcategory_name"}
    assert api.get("/api/v1/tickets", fields).json()["data"][0] == {
        "category_name": "Network", "subcategory_name": "Wi-Fi"
    }  # fmt: skip
    with CaptureQueriesContext(connection) as captured:
        assert api.get("/api/v1/tickets", fields).status_code == 200
    assert not [q["sql"] for q in captured if "tickets_category" in q["sql"]], "no join, no query"
    subcategory.name = "Wireless"
    subcategory.save(update_fields=["name"])
    assert api.get("/api/v1/tickets", fields).json()["data"][0]["subcategory_name"] == "Wireless"


def test_a_row_created_by_another_process_is_loaded_not_missed():
    api, _user, _key = api_for(["ticket.read", "obj.*"])
    ticket = make_ticket(make_client())
    _first(api)
    status_model = type(ticket.status)
    # As if another process made the status: bulk_create sends no signal, so the cache does not hold the row yet.
    (status,) = status_model.objects.bulk_create([status_model(board=ticket.board, name="Brand new", order=99)])
    type(ticket).objects.filter(pk=ticket.pk).update(status=status)
    assert _first(api)["status_name"] == "Brand new"


def test_only_registered_models_are_served():
    from clients.models import Client

    with pytest.raises(LookupError):
        references.rows(Client)
