"""A ticket list names its people (assignee, who entered, updated and closed it) from the users' names cache
(accounts.display_names), not by joining the users table; a rename or a new user shows at once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.display_names import display_names
from accounts.models import User
from tests.factories import api_for, make_client, make_user
from tests.tickets.factories import make_ticket

pytestmark = pytest.mark.django_db

PEOPLE = "assigned_to_name,entered_by_name,updated_by_name,closed_by_name"


def _first(api) -> dict:
    response = api.get("/api/v1/tickets", {"fields": PEOPLE})
    assert response.status_code == 200, response.content[:300]
    return response.json()["data"][0]


def test_the_people_are_named_without_joining_the_users_table():
    api, user, _key = api_for(["ticket.read", "obj.*"])
    technician = make_user(name="Ada Lovelace")
    make_ticket(make_client(), user=user, assigned_to=technician)
    assert _first(api)["assigned_to_name"] == "Ada Lovelace"
    with CaptureQueriesContext(connection) as captured:
        row = _first(api)
    assert row["assigned_to_name"] == "Ada Lovelace"
    assert row["entered_by_name"] == str(user)
    assert row["closed_by_name"] is None
    assert not [q["sql"] for q in captured if '"accounts_user"' in q["sql"]]


def test_a_renamed_user_shows_at_once():
    api, user, _key = api_for(["ticket.read", "obj.*"])
    technician = make_user(name="Before")
    make_ticket(make_client(), user=user, assigned_to=technician)
    assert _first(api)["assigned_to_name"] == "Before"
    technician.name = "After"
    technician.save(update_fields=["name"])
    assert _first(api)["assigned_to_name"] == "After"
    technician.name = ""  # str(user) falls back to the login
    technician.save(update_fields=["name"])
    assert _first(api)["assigned_to_name"] == technician.login


def test_a_user_created_by_another_process_is_read_not_missed():
    api, user, _key = api_for(["ticket.read", "obj.*"])
    ticket = make_ticket(make_client(), user=user)
    _first(api)  # the names are cached now
    # As if another process made the user: bulk_create sends no signal, so the cache does not hold it yet.
    (newcomer,) = User.objects.bulk_create([User(login="newcomer", name="New Comer")])
    type(ticket).objects.filter(pk=ticket.pk).update(assigned_to=newcomer)
    assert _first(api)["assigned_to_name"] == "New Comer"


def test_display_names_take_any_driver_text_of_an_id_and_keep_the_order():
    ada, bob = make_user(name="Ada"), make_user(name="", login="bob")
    keys = [ada.pk.hex, None, str(bob.pk), ada.pk, ada.pk.hex]
    assert display_names(keys) == ["Ada", None, "bob", "Ada", "Ada"]
