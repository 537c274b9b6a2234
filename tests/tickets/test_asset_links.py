"""Asset links from both sides, and tickets opened from an asset (reference §1.13)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from psa.models import AuditEvent
from tests.assets.factories import make_asset
from tests.factories import api_for, make_contact
from tests.psa.helpers import data_of, error_of, error_paths
from tests.tickets.factories import make_ticket
from tests.tickets.link_factories import link_asset
from tickets.asset_link_models import TicketAssetLink
from tickets.models import Ticket, TicketChange

pytestmark = pytest.mark.django_db

TECH = ["ticket.*", "asset.*", "obj.*"]


@pytest.fixture
def tech():
    api, user, _ = api_for(TECH)
    api.user = user
    return api


@pytest.fixture
def ticket(client_a):
    return make_ticket(client_a)


@pytest.fixture
def asset(client_a):
    return make_asset(client_a, name="FS01", serial="SN-1")


def test_one_link_read_from_both_sides(tech, ticket, asset):
    row = data_of(tech.post(f"/api/v1/tickets/{ticket.pk}/assets", {"asset_id": str(asset.pk)}), 201)
    assert row["relationship_type"] == "affected" and row["asset_id"] == str(asset.pk) and row["asset_tag"] == "SN-1"
    assert [r["name"] for r in data_of(tech.get(f"/api/v1/tickets/{ticket.pk}/assets"))] == ["FS01"]
    (other_side,) = data_of(tech.get(f"/api/v1/assets/{asset.pk}/tickets"))
    assert other_side["ticket_id"] == str(ticket.pk) and other_side["link_id"] == row["link_id"]
    assert other_side["ticket_number"] == ticket.ticket_number and other_side["status_name"]
    line = TicketChange.objects.get(ticket=ticket, field="assets")
    assert line.new_display == "FS01 (affected)"
    assert AuditEvent.objects.filter(object_type="tickets.ticketassetlink", action="create").count() == 1


def test_duplicates_are_409_from_either_side(tech, ticket, asset):
    link_asset(ticket, asset)
    error = error_of(tech.post(f"/api/v1/tickets/{ticket.pk}/assets", {"asset_id": str(asset.pk)}), 409, "CONFLICT")
    assert error["message"] == "Asset is already linked to this ticket."
    error_of(tech.post(f"/api/v1/assets/{asset.pk}/tickets", {"ticket_id": str(ticket.pk)}), 409, "CONFLICT")


def test_link_from_the_asset_side_and_unlink(tech, ticket, asset):
    body = {"ticket_id": str(ticket.pk), "relationship_type": "related", "notes": "Same switch"}
    row = data_of(tech.post(f"/api/v1/assets/{asset.pk}/tickets", body), 201)
    assert row["relationship_type"] == "related" and row["notes"] == "Same switch"
    assert tech.delete(f"/api/v1/tickets/{ticket.pk}/assets/{asset.pk}").status_code == 204
    assert not TicketAssetLink.objects.exists()
    error_of(tech.delete(f"/api/v1/assets/{asset.pk}/tickets/{ticket.pk}"), 404, "NOT_FOUND")


def test_validation(tech, ticket, asset, client_b):
    base = f"/api/v1/tickets/{ticket.pk}/assets"
    assert error_paths(tech.post(base, {})) == [["asset_id"]]
    assert error_paths(tech.post(base, {"asset_id": "x"})) == [["asset_id"]]
    assert error_paths(tech.post(base, {"asset_id": str(asset.pk), "relationship_type": ""})) == [["relationship_type"]]
    assert error_paths(tech.post(base, {"asset_id": str(asset.pk), "relationship_type": "x" * 51})) == [
        ["relationship_type"]
    ]
    assert error_paths(tech.post(base, {"asset_id": str(asset.pk), "colour": "red"})) == [["colour"]]
    # An asset of another client is never linked.
    assert error_paths(tech.post(base, {"asset_id": str(make_asset(client_b).pk)})) == [["asset_id"]]
    assert error_paths(
        tech.post(f"/api/v1/assets/{asset.pk}/tickets", {"ticket_id": str(make_ticket(client_b).pk)})
    ) == [["ticket_id"]]


def test_permissions_follow_the_side_being_changed(ticket, asset):
    ticket_side, _, _ = api_for(["ticket.update", "asset.read", "obj.*"])
    data_of(ticket_side.post(f"/api/v1/tickets/{ticket.pk}/assets", {"asset_id": str(asset.pk)}), 201)
    error_of(ticket_side.delete(f"/api/v1/assets/{asset.pk}/tickets/{ticket.pk}"), 403, "FORBIDDEN")
    asset_side, _, _ = api_for(["asset.update", "ticket.read", "obj.*"])
    assert asset_side.delete(f"/api/v1/assets/{asset.pk}/tickets/{ticket.pk}").status_code == 204
    error_of(asset_side.post(f"/api/v1/tickets/{ticket.pk}/assets", {"asset_id": str(asset.pk)}), 403, "FORBIDDEN")
    no_assets, _, _ = api_for(["ticket.read", "obj.*"])
    error_of(no_assets.get(f"/api/v1/tickets/{ticket.pk}/assets"), 403, "FORBIDDEN")
    anonymous = api_for([])[0]
    anonymous.credentials()
    error_of(anonymous.get(f"/api/v1/tickets/{ticket.pk}/assets"), 401, "UNAUTHORIZED")


def test_scope(client_a, client_b):
    scoped, _, _ = api_for(TECH, clients=[client_a])
    theirs_ticket, theirs_asset = make_ticket(client_b), make_asset(client_b)
    link_asset(theirs_ticket, theirs_asset)
    error_of(scoped.get(f"/api/v1/tickets/{theirs_ticket.pk}/assets"), 404, "NOT_FOUND")
    error_of(scoped.get(f"/api/v1/assets/{theirs_asset.pk}/tickets"), 404, "NOT_FOUND")
    mine = make_ticket(client_a)
    assert error_paths(scoped.post(f"/api/v1/tickets/{mine.pk}/assets", {"asset_id": str(theirs_asset.pk)})) == [
        ["asset_id"]
    ]


def test_list_query_counts_do_not_grow(tech, ticket, asset, client_a):
    link_asset(ticket, asset)
    urls = [f"/api/v1/tickets/{ticket.pk}/assets", f"/api/v1/assets/{asset.pk}/tickets"]
    for url in urls:
        tech.get(url)

    def count(url) -> int:
        tech.get(url, {"limit": 100})  # the first request after a change reloads the caller and reference caches
        with CaptureQueriesContext(connection) as captured:
            assert tech.get(url, {"limit": 100}).status_code == 200
        return len(captured)

    before = [count(url) for url in urls]
    for _ in range(8):
        link_asset(ticket, make_asset(client_a))
        link_asset(make_ticket(client_a, assigned_to=tech.user), asset)
    assert [count(url) for url in urls] == before


def test_ticket_from_asset(tech, asset, client_a):
    contact = make_contact(client_a)
    from clients.models import Location

    location = Location.objects.create(client=client_a, name="HQ")
    asset.contact, asset.location = contact, location
    asset.save()
    prefill = data_of(tech.get("/api/v1/tickets/from-asset", {"asset_id": str(asset.pk)}))
    assert prefill["client_id"] == str(client_a.pk) and prefill["contact_id"] == str(contact.pk)
    assert prefill["location_id"] == str(location.pk) and prefill["asset_name"] == "FS01"
    created = data_of(tech.post("/api/v1/tickets/from-asset", {"asset_id": str(asset.pk), "title": "Disk full"}), 201)
    ticket = Ticket.objects.get(pk=created["ticket_id"])
    assert (ticket.client, ticket.contact, ticket.location, ticket.source) == (client_a, contact, location, "asset")
    link = TicketAssetLink.objects.get(ticket=ticket)
    assert link.asset == asset and link.relationship_type == "affected"
    # AlgaPSA's contact_name_id is accepted.
    other = make_contact(client_a)
    body = {"asset_id": str(asset.pk), "title": "Again", "contact_name_id": str(other.pk)}
    assert data_of(tech.post("/api/v1/tickets/from-asset", body), 201)["contact_id"] == str(other.pk)


def test_ticket_from_asset_validation_is_atomic(tech, asset, client_b):
    assert error_paths(tech.get("/api/v1/tickets/from-asset")) == [["asset_id"]]
    assert error_paths(tech.get("/api/v1/tickets/from-asset", {"asset_id": "nope"})) == [["asset_id"]]
    assert error_paths(tech.post("/api/v1/tickets/from-asset", {"title": "x"})) == [["asset_id"]]
    body = {"asset_id": str(asset.pk), "title": "x", "client_id": str(client_b.pk)}
    assert error_paths(tech.post("/api/v1/tickets/from-asset", body)) == [["client_id"]]
    assert error_paths(tech.post("/api/v1/tickets/from-asset", {"asset_id": str(asset.pk)})) == [["title"]]
    assert error_paths(tech.post("/api/v1/tickets/from-asset", {"asset_id": str(asset.pk), "title": "x", "z": 1})) == [
        ["z"]
    ]
    assert not Ticket.objects.exists() and not TicketAssetLink.objects.exists()
    scoped, _, _ = api_for(TECH, clients=[client_b])
    assert error_paths(scoped.get("/api/v1/tickets/from-asset", {"asset_id": str(asset.pk)})) == [["asset_id"]]
    reader, _, _ = api_for(["ticket.read", "asset.read"])
    error_of(reader.post("/api/v1/tickets/from-asset", {"asset_id": str(asset.pk), "title": "x"}), 403, "FORBIDDEN")
