"""The timer in headless Chromium: start it on a ticket, see it in the header on every page and after a reload,
stop it from the header, and find the time on the ticket and in My time."""

import pytest

from tests.catalog.factories import make_service
from tests.e2e.conftest import sign_in
from tests.factories import make_client, make_user
from tests.tickets.factories import make_ticket
from tickets.defaults import create_defaults
from tickets.time_models import TimeEntry, TimeTrackingSession

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
NODES = ["ticket.*", "client.read", "obj.*", "time_entry.read", "time_entry.create", "time_entry.delete",
         "material.*", "catalog.service.read", "catalog.product.read"]  # fmt: skip


def test_timer_survives_reloads_and_stops_from_the_header(page):
    create_defaults()  # another transactional test may have flushed the migrations' rows
    tech = make_user(NODES, login="tim", name="Tim Timer")
    tech.set_password(PASSWORD)
    tech.save()
    ticket = make_ticket(make_client("Acme Corp"), title="Slow laptop")
    make_service("Remote support")
    sign_in(page, "tim", PASSWORD)

    page.goto(f"/tickets/{ticket.pk}/")
    section = page.locator("#time")
    section.get_by_label("Timer service").select_option(label="Remote support")
    section.get_by_role("button", name="Start timer").click()
    header = page.locator("[data-timer]")
    header.get_by_text(f"Timer: {ticket.ticket_number}").wait_for()
    session = TimeTrackingSession.objects.get(user=tech)
    assert session.ticket == ticket and session.service.name == "Remote support"

    # The state comes from the server: another page, and a reload, still show the running timer.
    page.goto("/time/")
    header.get_by_text(f"Timer: {ticket.ticket_number}").wait_for()
    assert page.locator("main").get_by_text("Timer running").count() == 1
    page.reload()
    header.get_by_text(f"Timer: {ticket.ticket_number}").wait_for()
    assert header.locator("[data-timer-elapsed]").inner_text().startswith("0:0")

    # Stop from the header on the ticket page: the entry appears in the ticket's time section.
    page.goto(f"/tickets/{ticket.pk}/")
    header.get_by_role("button", name="Stop").click()
    page.locator("#time tr[data-entry-id]").first.wait_for()
    assert header.is_hidden()
    entry = TimeEntry.objects.get(user=tech)
    assert entry.ticket == ticket and entry.service.name == "Remote support" and entry.duration_minutes >= 1
    assert not TimeTrackingSession.objects.exists()

    # Log more time with the one-line form, and find both in My time.
    section.get_by_label("Minutes", exact=True).fill("25")
    section.get_by_label("Note", exact=True).fill("Cleaned up startup items")
    section.get_by_role("button", name="Log time").click()
    page.locator("#time").get_by_text("Cleaned up startup items").wait_for()
    page.get_by_role("link", name="My time").click()
    page.get_by_text("Cleaned up startup items").wait_for()
    assert TimeEntry.objects.filter(user=tech).count() == 2
