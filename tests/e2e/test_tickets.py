"""A technician works a ticket in headless Chromium: create it, change its status inline, add an internal note,
react, and close it."""

import pytest

from tests.e2e.conftest import sign_in
from tests.factories import make_client, make_user
from tickets.defaults import create_defaults
from tickets.models import Comment, Ticket, TicketChange

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def test_work_a_ticket_from_start_to_finish(page):
    create_defaults()  # another transactional test may have flushed the migrations' rows
    tech = make_user(["ticket.*", "client.read", "contact.read", "obj.*"], login="tess", name="Tess Tech")
    tech.set_password(PASSWORD)
    tech.save()
    make_client("Acme Corp")
    sign_in(page, "tess", PASSWORD)

    # The list opens on "my open tickets", which is empty; create one from there.
    page.goto("/tickets/")
    page.wait_for_url("**/tickets/?assigned_to=me&is_open=true")
    page.get_by_role("link", name="New ticket").click()
    page.get_by_label("Title").fill("Printer on fire")
    page.get_by_label("Description").fill("Smoke from **tray 2**")
    page.locator("main").get_by_label("Client").select_option(label="Acme Corp")
    page.get_by_label("Assignee").select_option(label="Tess Tech")
    page.get_by_role("button", name="Create ticket").click()
    page.get_by_role("heading", name="Printer on fire").wait_for()
    ticket = Ticket.objects.get(title="Printer on fire")
    assert ticket.source == "web" and ticket.status.name == "New"
    assert page.locator(".markdown strong").first.inner_text() == "tray 2"

    # Change the status inline: the select saves through the API without a page load.
    page.get_by_label("Status").select_option(label="In Progress")
    page.locator("[data-inline=status] .inline-status").get_by_text("Saved").wait_for()
    ticket.refresh_from_db()
    assert ticket.status.name == "In Progress" and ticket.is_closed is False

    # An internal note, shown as one.
    page.get_by_label("Your comment").fill("Unplugged it, waiting for the engineer.")
    page.get_by_label("Internal note").check()
    page.get_by_role("button", name="Add comment").click()
    note = page.locator(".comment-internal").filter(has_text="Unplugged it")
    note.wait_for()
    assert note.locator(".badge").first.inner_text() == "Internal note"
    comment = Comment.objects.get(ticket=ticket)
    assert comment.is_internal and comment.author_user == tech

    # React to it, then close the ticket inline.
    note.get_by_role("button", name="React with thumbs up").click()
    note.locator("button.reaction.is-mine").wait_for()
    assert comment.reactions.filter(user=tech, emoji="👍").exists()
    page.get_by_label("Status").select_option(label="Closed")
    page.locator("[data-closed-badge]").get_by_text("Closed").wait_for()
    ticket.refresh_from_db()
    assert ticket.is_closed and ticket.closed_by == tech and ticket.closed_at is not None

    # The history lists both status changes, and the closed ticket has left "my open tickets".
    changes = list(TicketChange.objects.filter(ticket=ticket, field="status").values_list("new_display", flat=True))
    assert sorted(changes) == ["Closed", "In Progress"]
    page.goto("/tickets/?assigned_to=me&is_open=true")
    assert page.get_by_text("Printer on fire").count() == 0
