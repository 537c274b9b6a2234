"""The timer (one running session per user, stopping makes an entry) and ticket materials (stock on hand)."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from psa.models import AuditEvent
from tests.catalog.factories import make_product, make_service
from tests.factories import api_client, api_for, make_user
from tests.tickets.factories import make_ticket
from tests.tickets.time_factories import make_material, make_session
from tickets.time_models import TicketMaterial, TimeEntry, TimeTrackingSession

pytestmark = pytest.mark.django_db

TECH = ["ticket.read", "time_entry.read", "time_entry.create", "obj.*"]
STOCK = ["ticket.read", "material.read", "material.create", "material.delete", "obj.*"]


@pytest.fixture
def ticket(client_a):
    return make_ticket(client_a, title="Laptop rebuild")


def _start(api, ticket, **body):
    payload = {"work_item_type": "ticket", "work_item_id": str(ticket.pk), **body}
    return api.post("/api/v1/time-entries/start-tracking", payload, format="json")


# ---- the timer -------------------------------------------------------------------------------------------------------


def test_start_show_and_stop_the_timer(ticket):
    api, me, _ = api_for(TECH)
    service = make_service("Bench work", is_billable=False)
    assert api.get("/api/v1/time-entries/active-session").json() == {"data": None}
    started = _start(api, ticket, service_id=str(service.pk), notes="Reimaging")
    assert started.status_code == 201, started.content
    session = started.json()["data"]
    assert session["work_item_id"] == str(ticket.pk) and session["user_id"] == str(me.pk)
    assert session["service_name"] == "Bench work" and session["elapsed_minutes"] == 0
    active = api.get("/api/v1/time-entries/active-session").json()["data"]
    assert active["session_id"] == session["session_id"] and active["ticket_number"] == ticket.ticket_number
    # A running timer is a row: it survives a restart; fake 40 minutes of work.
    TimeTrackingSession.objects.filter(pk=session["session_id"]).update(
        start_time=timezone.now() - datetime.timedelta(minutes=40)
    )
    stopped = api.post(f"/api/v1/time-entries/stop-tracking/{session['session_id']}", {}, format="json")
    assert stopped.status_code == 200, stopped.content
    entry = stopped.json()["data"]
    assert entry["duration_minutes"] == 40 and entry["is_billable"] is False and entry["notes"] == "Reimaging"
    assert not TimeTrackingSession.objects.exists() and TimeEntry.objects.get().user == me
    assert AuditEvent.objects.filter(object_type="tickets.timetrackingsession", action="delete").exists()
    assert api.get("/api/v1/time-entries/active-session").json()["data"] is None


def test_a_second_timer_is_409_and_the_database_refuses_it_too(ticket):
    api, me, _ = api_for(TECH)
    assert _start(api, ticket).status_code == 201
    response = _start(api, make_ticket(ticket.client))
    assert response.status_code == 409 and response.json()["error"]["code"] == "CONFLICT"
    with pytest.raises(IntegrityError), transaction.atomic():
        TimeTrackingSession.objects.create(user=me, ticket=ticket, start_time=timezone.now())


def test_stop_takes_changes_and_validates_them(ticket):
    api, me, _ = api_for(TECH)
    session = make_session(ticket, me, minutes_ago=90)
    url = f"/api/v1/time-entries/stop-tracking/{session.pk}"
    too_early = (session.start_time - datetime.timedelta(minutes=1)).isoformat()
    for body, field in (
        ({"end_time": too_early}, "end_time"),
        ({"end_time": (timezone.now() + datetime.timedelta(hours=1)).isoformat()}, "end_time"),
        ({"service_id": "x"}, "service_id"),
        ({"minutes": 3}, "minutes"),
    ):
        response = api.post(url, body, format="json")
        assert response.status_code == 400 and response.json()["error"]["details"][0]["path"] == [field], body
    assert TimeTrackingSession.objects.filter(pk=session.pk).exists()
    end = (session.start_time + datetime.timedelta(minutes=60)).isoformat()
    service = make_service("Remote")
    entry = api.post(url, {"end_time": end, "service_id": str(service.pk), "notes": "Done"}, format="json")
    assert entry.json()["data"]["duration_minutes"] == 60 and entry.json()["data"]["service_id"] == str(service.pk)
    assert entry.json()["data"]["is_billable"] is True
    assert api.post(url, {}, format="json").status_code == 404  # already stopped


def test_a_forgotten_timer_is_refused_beyond_the_limit(ticket, settings):
    settings.TIME_ENTRY_MAX_MINUTES = 60
    api, me, _ = api_for(TECH)
    session = make_session(ticket, me, minutes_ago=120)
    url = f"/api/v1/time-entries/stop-tracking/{session.pk}"
    response = api.post(url, {}, format="json")
    assert response.status_code == 400 and "at most 60 minutes" in response.json()["error"]["message"]
    end = (session.start_time + datetime.timedelta(minutes=45)).isoformat()
    assert api.post(url, {"end_time": end}, format="json").status_code == 200


def test_only_the_owner_stops_or_discards_a_timer(ticket):
    api, me, _ = api_for(["*"])
    others = make_session(ticket, make_user(["ticket.read"]))
    assert api.post(f"/api/v1/time-entries/stop-tracking/{others.pk}", {}, format="json").status_code == 404
    assert api.delete("/api/v1/time-entries/active-session").status_code == 404
    mine = make_session(ticket, me)
    assert api.delete("/api/v1/time-entries/active-session").status_code == 204
    assert not TimeTrackingSession.objects.filter(pk=mine.pk).exists() and not TimeEntry.objects.exists()


def test_timer_access_and_scope(ticket, client_b):
    assert api_client().get("/api/v1/time-entries/active-session").status_code == 401
    reader, _, _ = api_for(["ticket.read", "time_entry.read"])
    assert _start(reader, ticket).status_code == 403
    scoped, me, _ = api_for(TECH, key_clients=[ticket.client])
    response = _start(scoped, make_ticket(client_b))
    assert response.status_code == 400 and response.json()["error"]["details"][0]["path"] == ["work_item_id"]
    # A timer on a ticket the key no longer reaches is invisible to that key.
    session = make_session(make_ticket(client_b), me)
    assert scoped.get("/api/v1/time-entries/active-session").json()["data"] is None
    assert scoped.post(f"/api/v1/time-entries/stop-tracking/{session.pk}", {}, format="json").status_code == 404


# ---- materials -------------------------------------------------------------------------------------------------------


def _add(api, ticket, **body):
    return api.post(f"/api/v1/tickets/{ticket.pk}/materials", body, format="json")


def test_adding_a_product_takes_it_from_stock_and_deleting_puts_it_back(ticket):
    api, me, _ = api_for(STOCK)
    product = make_product("SSD", sku="SSD-1", unit_price=9_900, on_hand=5)
    response = _add(api, ticket, product_id=str(product.pk), quantity=3, description="For the rebuild")
    assert response.status_code == 201, response.content
    material = response.json()["data"]
    assert material["service_name"] == "SSD" and material["sku"] == "SSD-1" and material["item_type"] == "product"
    assert material["rate"] == 9_900 and material["currency_code"] == "USD" and material["total"] == 29_700
    assert material["is_billed"] is False and material["created_by"] == str(me.pk)
    product.refresh_from_db()
    assert product.on_hand == 2
    assert AuditEvent.objects.filter(object_type="catalog.product", changes__on_hand={"old": 5, "new": 2}).exists()
    assert api.delete(f"/api/v1/tickets/{ticket.pk}/materials/{material['id']}").status_code == 204
    product.refresh_from_db()
    assert product.on_hand == 5 and not TicketMaterial.objects.exists()


def test_stock_never_goes_negative(ticket):
    api, _, _ = api_for(STOCK)
    product = make_product("Router", on_hand=2)
    response = _add(api, ticket, product_id=str(product.pk), quantity=3)
    assert response.status_code == 409
    assert response.json()["error"]["message"] == "Only 2 of 'Router' on hand; 3 requested."
    product.refresh_from_db()
    assert product.on_hand == 2 and not TicketMaterial.objects.exists()
    assert _add(api, ticket, product_id=str(product.pk), quantity=2).status_code == 201
    assert _add(api, ticket, product_id=str(product.pk), quantity=1).status_code == 409


def test_service_id_takes_a_service_or_a_product_as_the_mobile_app_sends_it(ticket):
    api, _, _ = api_for(STOCK)
    service = make_service("Onsite", default_rate=15_000, currency="EUR")
    product = make_product("Cable", on_hand=10)
    body = api.post(
        f"/api/v1/tickets/{ticket.pk}/materials",
        {"service_id": str(service.pk), "quantity": 2, "rate": 14_000, "currency_code": "eur"},
        format="json",
    ).json()["data"]
    assert body["item_type"] == "service" and body["rate"] == 14_000 and body["currency_code"] == "EUR"
    assert _add(api, ticket, service_id=str(product.pk), quantity=4).json()["data"]["item_type"] == "product"
    product.refresh_from_db()
    assert product.on_hand == 6
    listing = api.get(f"/api/v1/tickets/{ticket.pk}/materials").json()
    assert [row["item_type"] for row in listing["data"]] == ["product", "service"]  # newest first
    assert listing["meta"]["totals"] == [
        {"currency_code": "EUR", "amount": 28_000, "quantity": 2},
        {"currency_code": "USD", "amount": 10_000, "quantity": 4},
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"quantity": 1}, "service_id"),
        ({"quantity": 0, "product_id": "PRODUCT"}, "quantity"),
        ({"quantity": 1, "product_id": "PRODUCT", "service_id": "PRODUCT"}, "service_id"),
        ({"quantity": 1, "product_id": "not-a-uuid"}, "product_id"),
        ({"quantity": 1, "product_id": "PRODUCT", "currency_code": "EUR"}, "rate"),
        ({"quantity": 1, "product_id": "PRODUCT", "rate": -5}, "rate"),
        ({"quantity": 1, "product_id": "INACTIVE"}, "product_id"),
        ({"quantity": 1, "product_id": "PRODUCT", "unit_id": "x"}, "unit_id"),
    ],
)
def test_material_validation_names_the_field(ticket, body, field):
    api, _, _ = api_for(STOCK)
    ids = {"PRODUCT": str(make_product(on_hand=9).pk), "INACTIVE": str(make_product(is_active=False).pk)}
    body = {key: ids.get(value, value) if isinstance(value, str) else value for key, value in body.items()}
    response = _add(api, ticket, **body)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["details"][0]["path"] == [field]


def test_billed_materials_stay(ticket):
    api, _, _ = api_for(STOCK)
    material = make_material(ticket, make_product(on_hand=1), is_billed=True)
    response = api.delete(f"/api/v1/tickets/{ticket.pk}/materials/{material.pk}")
    assert response.status_code == 409 and TicketMaterial.objects.filter(pk=material.pk).exists()


def test_material_access_and_scope(ticket, client_b):
    assert api_client().get(f"/api/v1/tickets/{ticket.pk}/materials").status_code == 401
    reader, _, _ = api_for(["ticket.read", "material.read"])
    product = make_product(on_hand=5)
    assert _add(reader, ticket, product_id=str(product.pk), quantity=1).status_code == 403
    scoped, _, _ = api_for(STOCK, clients=[ticket.client])
    hidden_ticket = make_ticket(client_b)
    hidden = make_material(hidden_ticket, product)
    assert scoped.get(f"/api/v1/tickets/{hidden_ticket.pk}/materials").status_code == 404
    assert _add(scoped, hidden_ticket, product_id=str(product.pk), quantity=1).status_code == 404
    assert scoped.delete(f"/api/v1/tickets/{hidden_ticket.pk}/materials/{hidden.pk}").status_code == 404
    # A material id of another ticket is not found under this one.
    assert scoped.delete(f"/api/v1/tickets/{ticket.pk}/materials/{hidden.pk}").status_code == 404
    product.refresh_from_db()
    assert product.on_hand == 5
