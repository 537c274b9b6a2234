"""Field gating on every path a value leaves by: history, audit events, search and filters (issue 8 §2)."""

from __future__ import annotations

import pytest

from psa.nodes import all_nodes
from tests.assets.factories import make_asset
from tests.factories import api_for, make_client, make_contact
from tests.psa.helpers import data_of, error_of
from tests.tickets.factories import make_ticket

pytestmark = pytest.mark.django_db

SECRET = "hidden-sentinel-7f3a"


def all_concrete_nodes_but(*excluded: str) -> list[str]:
    """Every registered node, each by name (no wildcard), except ``excluded``."""
    return sorted(n for n in all_nodes() if not n.endswith("*") and n not in excluded)


@pytest.fixture
def ticket(admin_api):
    api, _, _ = admin_api
    ticket = make_ticket(make_client("Acme"), title="Printer", description="first text")
    data_of(api.patch(f"/api/v1/tickets/{ticket.pk}", {"description": SECRET}))
    return ticket


def test_history_says_a_hidden_field_changed_but_not_from_what_to_what(ticket):
    api, _, _ = api_for(all_concrete_nodes_but("obj.ticket.description"))

    assert "description" not in data_of(api.get(f"/api/v1/tickets/{ticket.pk}"))
    response = api.get(f"/api/v1/tickets/{ticket.pk}/history")

    rows = [row for row in data_of(response) if row["field"] == "description"]
    assert len(rows) == 1 and rows[0]["values_hidden"] is True
    assert (rows[0]["old_value"], rows[0]["new_value"], rows[0]["old_display"], rows[0]["new_display"]) == (
        None,
        None,
        "",
        "",
    )
    assert SECRET not in response.content.decode() and "first text" not in response.content.decode()


def test_history_shows_the_values_to_a_reader_of_the_field(ticket):
    api, _, _ = api_for(["ticket.read", "obj.ticket.*"])

    [row] = [r for r in data_of(api.get(f"/api/v1/tickets/{ticket.pk}/history")) if r["field"] == "description"]

    assert row["values_hidden"] is False
    assert (row["old_value"], row["new_value"]) == ("first text", SECRET)


def test_derived_fields_need_the_nodes_of_what_they_show(ticket):
    api, _, _ = api_for(all_concrete_nodes_but("obj.ticket.description"))

    response = api.get(f"/api/v1/tickets/{ticket.pk}")

    data = data_of(response)
    assert "description_html" not in data and "attributes" not in data
    assert SECRET not in response.content.decode()


def test_audit_events_say_a_hidden_field_changed_but_not_its_values(ticket):
    api, _, _ = api_for(all_concrete_nodes_but("obj.ticket.description"))

    response = api.get("/api/v1/audit-events", {"object_id": str(ticket.pk), "action": "update"})

    [event] = data_of(response)
    assert event["changes"]["description"] == {"hidden": True}
    assert SECRET not in response.content.decode()
    detail = data_of(api.get(f"/api/v1/audit-events/{event['id']}"))
    assert detail["changes"]["description"] == {"hidden": True}


def test_audit_events_show_values_to_a_reader_of_the_field(ticket):
    api, _, _ = api_for(["audit.read", "obj.ticket.description"])

    [event] = data_of(api.get("/api/v1/audit-events", {"object_id": str(ticket.pk), "action": "update"}))

    assert event["changes"]["description"] == {"old": "first text", "new": SECRET}


def test_an_audit_events_object_name_is_hidden_with_the_fields_it_shows(admin_api):
    api, _, _ = admin_api
    client = data_of(api.post("/api/v1/clients", {"name": SECRET}), 201)
    reader, _, _ = api_for(all_concrete_nodes_but("obj.client.name"))

    response = reader.get("/api/v1/audit-events", {"object_id": client["id"]})

    [event] = data_of(response)
    assert event["object_repr"] == "" and event["changes"]["name"] == {"hidden": True}
    assert SECRET not in response.content.decode()
    named, _, _ = api_for(["audit.read", "obj.client.name", "obj.client.client_name"])  # and its alias
    assert data_of(named.get("/api/v1/audit-events", {"object_id": client["id"]}))[0]["object_repr"] == SECRET


def test_search_leaves_out_fields_the_caller_may_not_see():
    make_client("Acme", email=f"{SECRET}@example.com")
    blind, _, _ = api_for(all_concrete_nodes_but("obj.client.email"))
    sighted, _, _ = api_for(["client.read", "obj.client.email"])

    assert data_of(blind.get("/api/v1/clients", {"search": SECRET})) == []
    assert len(data_of(sighted.get("/api/v1/clients", {"search": SECRET}))) == 1


def test_search_through_a_relation_checks_the_related_field_too():
    client = make_client("Acme")
    make_contact(client, email=f"{SECRET}@example.com")
    blind, _, _ = api_for(all_concrete_nodes_but("obj.contact.email"))

    assert data_of(blind.get("/api/v1/contacts", {"search": SECRET})) == []


def test_a_filter_on_a_field_the_caller_may_not_see_is_a_403():
    make_asset(make_client("Acme"), serial=SECRET)
    blind, _, _ = api_for(all_concrete_nodes_but("obj.asset.serial"))
    sighted, _, _ = api_for(["asset.read", "obj.asset.serial"])

    error = error_of(blind.get("/api/v1/assets", {"serial": SECRET}), 403, "FORBIDDEN")
    assert "serial" in error["message"]
    assert len(data_of(sighted.get("/api/v1/assets", {"serial": SECRET}))) == 1


def test_a_filter_on_a_visible_field_works_without_the_other_fields():
    client = make_client("Acme")
    make_contact(client)
    api, _, _ = api_for(["contact.read", "obj.contact.client_id"])

    assert len(data_of(api.get("/api/v1/contacts", {"client_id": str(client.pk)}))) == 1
