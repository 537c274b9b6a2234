"""The UI of time and materials: ticket-page sections, the plain-form paths, My time, the catalog list and the nav."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import Client as BrowserClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.catalog.factories import make_product, make_service
from tests.factories import make_user
from tests.tickets.factories import make_ticket
from tests.tickets.time_factories import make_entry, make_material, make_session
from tickets.time_models import TicketMaterial, TimeEntry, TimeTrackingSession

pytestmark = pytest.mark.django_db

TECH = [
    "ticket.*", "client.read", "contact.read", "obj.*", "time_entry.read", "time_entry.create", "time_entry.update",
    "time_entry.delete", "material.*", "catalog.service.read", "catalog.product.read",
]  # fmt: skip


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def browser_for(nodes=TECH, clients=()):
    user = make_user(list(nodes), list(clients), name="Tess Tech")
    browser = BrowserClient()
    browser.force_login(user)
    return browser, user


def _page(browser, ticket) -> str:
    response = browser.get(reverse("tickets:ticket_detail", args=[ticket.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_ticket_page_shows_time_and_materials_with_totals(client_a):
    browser, me = browser_for()
    ticket = make_ticket(client_a)
    make_entry(ticket, me, minutes=90, notes="Swapped the fuser")
    make_entry(ticket, make_user(), minutes=30)
    make_material(ticket, make_product("Toner", sku="TN-1", unit_price=4_550), quantity=2)
    page = _page(browser, ticket)
    assert 'id="time"' in page and "Swapped the fuser" in page and "1h 30m</strong> logged" not in page
    assert "<strong>2h 00m</strong> logged" in page and "mine 1h 30m (1)" in page
    assert "1 entries by other team members (30m) are counted but not shown." in page
    assert 'id="materials"' in page and "Toner" in page and "91.00 USD" in page
    assert f'action="/tickets/{ticket.pk}/time/"' in page and "Start timer" in page
    assert "<script>" not in page and " style=" not in page.split('id="time"')[1].split("Conversation")[0]


def test_sections_are_hidden_without_their_nodes(client_a):
    browser, _ = browser_for(["ticket.read", "client.read", "obj.*"])
    page = _page(browser, make_ticket(client_a))
    assert 'id="time"' not in page and 'id="materials"' not in page
    assert "My time" not in page and "Catalog" not in page


def test_log_time_form_with_a_duration_or_a_start_and_end(client_a, settings):
    settings.WORK_TIME_ZONE = "Europe/Berlin"
    browser, me = browser_for()
    ticket = make_ticket(client_a)
    service = make_service("Remote", is_billable=True)
    url = reverse("work:log_time", args=[ticket.pk])
    response = browser.post(url, {"duration_minutes": "20", "service_id": str(service.pk), "is_billable": "true"})
    assert response.status_code == 302 and response["Location"].endswith("#time")
    entry = TimeEntry.objects.get()
    assert entry.user == me and entry.duration_minutes == 20 and entry.is_billable and entry.service == service
    browser.post(url, {"start_time": "2026-03-02T09:00", "end_time": "2026-03-02T10:15", "notes": "Onsite"})
    entry = TimeEntry.objects.get(notes="Onsite")
    assert entry.start_time == datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)  # 09:00 in Berlin
    assert entry.duration_minutes == 75 and entry.is_billable is False  # the box was left unticked


def test_log_time_form_errors_come_back_as_messages(client_a):
    browser, _ = browser_for()
    ticket = make_ticket(client_a)
    response = browser.post(
        reverse("work:log_time", args=[ticket.pk]),
        {"start_time": "2026-03-02T10:00", "end_time": "2026-03-02T09:00"},
        follow=True,
    )
    assert "end_time: Must be after start_time." in response.content.decode()
    assert not TimeEntry.objects.exists()


def test_timer_forms_start_and_stop(client_a):
    browser, me = browser_for()
    ticket = make_ticket(client_a)
    browser.post(reverse("work:timer_start", args=[ticket.pk]), {"service_id": ""})
    assert TimeTrackingSession.objects.get().user == me
    page = _page(browser, ticket)
    assert "Timer running since" in page and "Stop timer" in page
    second = browser.post(reverse("work:timer_start", args=[make_ticket(client_a).pk]), follow=True)
    assert "You already have a running timer" in second.content.decode()
    response = browser.post(reverse("work:timer_stop"), {"next": f"/tickets/{ticket.pk}/#time"})
    assert response["Location"] == f"/tickets/{ticket.pk}/#time"
    assert not TimeTrackingSession.objects.exists() and TimeEntry.objects.get().ticket == ticket
    # An off-site "next" is not followed.
    assert browser.post(reverse("work:timer_stop"), {"next": "//evil.example/"})["Location"] == reverse("work:my_time")


def test_delete_entry_only_own(client_a):
    browser, me = browser_for()
    ticket = make_ticket(client_a)
    mine, theirs = make_entry(ticket, me), make_entry(ticket, make_user())
    browser.post(reverse("work:entry_delete", args=[mine.pk]))
    assert not TimeEntry.objects.filter(pk=mine.pk).exists()
    assert browser.post(reverse("work:entry_delete", args=[theirs.pk])).status_code == 404
    assert TimeEntry.objects.filter(pk=theirs.pk).exists()


def test_materials_form_adds_and_removes_with_stock(client_a):
    browser, _ = browser_for()
    ticket = make_ticket(client_a)
    product = make_product("SSD", on_hand=3)
    url = reverse("work:material_add", args=[ticket.pk])
    browser.post(url, {"item": f"product:{product.pk}", "quantity": "2"})
    product.refresh_from_db()
    assert product.on_hand == 1
    too_many = browser.post(url, {"item": f"product:{product.pk}", "quantity": "2"}, follow=True)
    assert "Only 1 of &#x27;SSD&#x27; on hand; 2 requested." in too_many.content.decode()
    material = TicketMaterial.objects.get()
    browser.post(reverse("work:material_delete", args=[ticket.pk, material.pk]))
    product.refresh_from_db()
    assert product.on_hand == 3 and not TicketMaterial.objects.exists()


def test_other_clients_tickets_are_404_on_every_form(client_a, client_b):
    browser, _ = browser_for(clients=[client_a])
    hidden = make_ticket(client_b)
    product = make_product(on_hand=5)
    for name in ("log_time", "timer_start", "material_add"):
        assert (
            browser.post(reverse(f"work:{name}", args=[hidden.pk]), {"item": f"product:{product.pk}"}).status_code
            == 404
        )
    assert not TimeEntry.objects.exists() and not TimeTrackingSession.objects.exists()


def test_my_time_shows_the_week_per_day(client_a):
    browser, me = browser_for()
    ticket = make_ticket(client_a, title="Server move")
    monday = datetime.datetime(2026, 3, 2, 9, tzinfo=datetime.UTC)
    make_entry(ticket, me, minutes=60, start=monday)
    make_entry(ticket, me, minutes=45, start=monday + datetime.timedelta(days=2), is_billable=False)
    make_entry(ticket, me, minutes=15, start=monday + datetime.timedelta(days=7))  # next week
    make_entry(ticket, make_user(), minutes=99, start=monday)  # someone else's
    response = browser.get(reverse("work:my_time"), {"week": "2026-03-04"})
    assert response.status_code == 200
    days = response.context["days"]
    assert [d["minutes"] for d in days] == [60, 0, 45, 0, 0, 0, 0]
    page = response.content.decode()
    assert "<span data-week-total>1h 45m</span> logged, 1h 00m billable" in page and "Server move" in page
    assert response.context["previous_week"] == datetime.date(2026, 2, 23)
    assert browser.get(reverse("work:my_time"), {"week": "garbage"}).status_code == 200


def test_my_time_query_count_does_not_grow(client_a):
    browser, me = browser_for()
    ticket = make_ticket(client_a)
    monday = datetime.datetime(2026, 3, 2, 9, tzinfo=datetime.UTC)
    make_session(ticket, me)
    make_entry(ticket, me, start=monday)
    with CaptureQueriesContext(connection) as few:
        browser.get(reverse("work:my_time"), {"week": "2026-03-02"})
    for i in range(10):
        make_entry(make_ticket(client_a), me, start=monday + datetime.timedelta(hours=i), service=make_service())
    with CaptureQueriesContext(connection) as many:
        browser.get(reverse("work:my_time"), {"week": "2026-03-02"})
    assert len(few) == len(many)


def test_catalog_list_and_nav(client_a):
    make_service("Remote support")
    make_service("Retired", is_active=False)
    make_product("Switch", sku="SW-24", on_hand=4, unit_price=19_999)
    browser, _ = browser_for()
    page = browser.get(reverse("catalog:catalog_list")).content.decode()
    assert "Remote support" in page and "Retired" not in page
    assert 'href="/catalog/"' in page and 'href="/time/"' in page and "data-timer" in page
    page = browser.get(reverse("catalog:catalog_list"), {"kind": "products", "search": "sw"}).content.decode()
    assert "SW-24" in page and "199.99 USD" in page
    page = browser.get(reverse("catalog:catalog_list"), {"is_active": ""}).content.decode()
    assert "Retired" in page
    nobody, _ = browser_for(["ticket.read"])
    assert nobody.get(reverse("catalog:catalog_list")).status_code == 403
