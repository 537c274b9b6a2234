"""The ticket pages: list with filters in the URL, bulk actions, ticket page edits and comments, new ticket form."""

from __future__ import annotations

import pytest
from django.test import Client as BrowserClient
from django.urls import reverse

from tests.factories import make_user
from tests.tickets.factories import make_board, make_comment, make_ticket, priority_named, status_named
from tickets.models import Status, Ticket

pytestmark = pytest.mark.django_db

TECH = ["ticket.*", "client.read", "contact.read", "obj.*"]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def browser_for(nodes=TECH, clients=()):
    user = make_user(list(nodes), list(clients), name="Tess Tech")
    browser = BrowserClient()
    browser.force_login(user)
    return browser, user


LIST = reverse("tickets:ticket_list")


def test_the_list_opens_on_my_open_tickets(client_a):
    browser, me = browser_for()
    mine = make_ticket(client_a, title="Mine and open", assigned_to=me)
    make_ticket(client_a, title="Mine and closed", assigned_to=me, status=status_named("Closed"))
    make_ticket(client_a, title="Someone else's")

    response = browser.get(LIST)
    assert response.status_code == 302 and response["Location"].endswith("?assigned_to=me&is_open=true")
    page = browser.get(response["Location"]).content.decode()
    assert "Mine and open" in page and mine.ticket_number in page
    assert "Mine and closed" not in page and "Someone else" not in page
    assert 'data-count="my_open">1<' in page


def test_list_filters_sorting_and_paging_live_in_the_url(client_a):
    browser, _ = browser_for()
    for i in range(3):
        make_ticket(client_a, title=f"Printer {i}", priority=priority_named("High" if i else "Low"))
    make_ticket(client_a, title="Laptop")
    page = browser.get(
        LIST, {"search": "printer", "assigned_to": "", "sort": "priority_name", "order": "asc"}
    ).content.decode()
    assert page.count("Printer ") >= 3 and "Laptop" not in page
    assert page.index("Printer 1") < page.index("Printer 0"), "High sorts before Low"
    assert 'aria-sort="ascending"' in page
    bad = browser.get(LIST, {"is_open": "maybe"})
    assert bad.status_code == 200 and "not valid" in bad.content.decode()


def test_list_needs_ticket_read_and_hides_other_clients(client_a, client_b):
    browser, _ = browser_for(["client.read"])
    assert browser.get(LIST + "?is_open=true").status_code == 403
    scoped, _ = browser_for(TECH, clients=[client_a])
    make_ticket(client_a, title="Visible one")
    hidden = make_ticket(client_b, title="Hidden one")
    page = scoped.get(LIST + "?assigned_to=").content.decode()
    assert "Visible one" in page and "Hidden one" not in page
    assert scoped.get(reverse("tickets:ticket_detail", args=[hidden.pk])).status_code == 404


def test_bulk_status_and_assignment(client_a):
    browser, me = browser_for()
    other_board = make_board("Projects")
    a, b = make_ticket(client_a), make_ticket(client_a)
    c = make_ticket(client_a, board=other_board)
    resolved = status_named("Resolved")
    response = browser.post(
        reverse("tickets:bulk_update"),
        {"ticket": [a.pk, b.pk, c.pk], "action": "status", "status_id": resolved.pk, "next": LIST + "?assigned_to="},
    )
    assert response.status_code == 302 and response["Location"] == LIST + "?assigned_to="
    assert Ticket.objects.get(pk=a.pk).is_closed and Ticket.objects.get(pk=b.pk).status == resolved
    assert Ticket.objects.get(pk=c.pk).status.board == other_board, "another board's ticket kept its status"
    browser.post(reverse("tickets:bulk_update"), {"ticket": [a.pk, c.pk], "action": "assign", "assigned_to": me.pk})
    assert set(Ticket.objects.filter(assigned_to=me).values_list("pk", flat=True)) == {a.pk, c.pk}
    browser.post(reverse("tickets:bulk_update"), {"ticket": [a.pk], "action": "assign", "assigned_to": ""})
    assert Ticket.objects.get(pk=a.pk).assigned_to is None
    # Off-site "next" targets are ignored.
    response = browser.post(
        reverse("tickets:bulk_update"), {"ticket": [a.pk], "action": "x", "next": "https://evil.example/"}
    )
    assert response["Location"] == LIST


def test_bulk_needs_ticket_update(client_a):
    browser, _ = browser_for(["ticket.read", "obj.*"])
    ticket = make_ticket(client_a)
    response = browser.post(
        reverse("tickets:bulk_update"),
        {"ticket": [ticket.pk], "action": "status", "status_id": status_named("Closed").pk},
    )
    assert response.status_code == 403
    assert not Ticket.objects.get(pk=ticket.pk).is_closed


def test_ticket_page_shows_internal_notes_differently_and_only_to_those_allowed(client_a):
    browser, me = browser_for()
    ticket = make_ticket(client_a, description="**Bold** move")
    make_comment(ticket, me, "Public words")
    make_comment(ticket, me, "Secret words", is_internal=True)
    page = browser.get(reverse("tickets:ticket_detail", args=[ticket.pk])).content.decode()
    assert "<strong>Bold</strong> move" in page
    assert "comment-internal" in page and "comment-public" in page and "Secret words" in page
    reader, _ = browser_for(["ticket.read", "obj.*", "client.read"])
    page = reader.get(reverse("tickets:ticket_detail", args=[ticket.pk])).content.decode()
    assert "Public words" in page and "Secret words" not in page


def test_plain_form_edits_and_comments(client_a):
    browser, me = browser_for()
    ticket = make_ticket(client_a)
    url = reverse("tickets:ticket_update", args=[ticket.pk])
    browser.post(url, {"status_id": status_named("Resolved").pk})
    browser.post(url, {"priority_id": priority_named("Critical").pk})
    browser.post(url, {"assigned_to": me.pk})
    browser.post(url, {"due_date": "2030-02-03T04:05"})
    ticket.refresh_from_db()
    assert ticket.is_closed and ticket.closed_by == me
    assert ticket.priority.name == "Critical" and ticket.assigned_to == me
    assert ticket.due_date.isoformat().startswith("2030-02-03T04:05")
    other = make_board("Other")
    browser.post(url, {"status_id": Status.objects.get(board=other, name="Open").pk})
    ticket.refresh_from_db()
    assert ticket.status.name == "Resolved", "a status of another board is refused"

    response = browser.post(
        reverse("tickets:comment_create", args=[ticket.pk]), {"comment_text": "Hello", "is_internal": "false"}
    )
    assert response.status_code == 302
    assert ticket.comments.get().is_internal is False
    reader, _ = browser_for(["ticket.read", "ticket.comment.create", "obj.*"])
    response = reader.post(
        reverse("tickets:comment_create", args=[ticket.pk]), {"comment_text": "Psst", "is_internal": "true"}
    )
    assert response.status_code == 403


def test_new_ticket_form(client_a):
    browser, me = browser_for()
    page = browser.get(reverse("tickets:ticket_create")).content.decode()
    assert "data-ticket-form" in page and 'data-board="' in page
    response = browser.post(
        reverse("tickets:ticket_create"),
        {"title": "From the form", "client_id": client_a.pk, "tags": "vip, printer", "description": "Help"},
    )
    ticket = Ticket.objects.get(title="From the form")
    assert response.status_code == 302 and response["Location"] == reverse("tickets:ticket_detail", args=[ticket.pk])
    assert ticket.source == "web" and ticket.entered_by == me
    assert sorted(t.text for t in ticket.tags.all()) == ["printer", "vip"]


def test_new_ticket_form_shows_the_apis_errors(client_a):
    browser, _ = browser_for()
    other = make_board("Other")
    response = browser.post(
        reverse("tickets:ticket_create"),
        {"title": "Bad", "client_id": client_a.pk, "board_id": status_named("New").board_id,
         "status_id": Status.objects.get(board=other, name="Open").pk},
    )  # fmt: skip
    assert response.status_code == 400
    assert "does not belong to the board" in response.content.decode()
    assert not Ticket.objects.filter(title="Bad").exists()
    assert browser_for(["ticket.read"])[0].get(reverse("tickets:ticket_create")).status_code == 403
