"""The ticket page after creation (edit, tags, people, bundle, assets, documents) and the ticket panels of the
client, asset and contact pages; the same rules as the API, through plain form posts."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client as BrowserClient
from django.test.utils import CaptureQueriesContext

from clients.models import Location
from tests.assets.factories import make_asset
from tests.factories import make_contact, make_user
from tests.tickets.factories import make_board, make_ticket, status_named
from tests.tickets.link_factories import PNG_BYTES, link_asset, make_bundle, make_document
from tickets.asset_link_models import TicketAssetLink
from tickets.bundle_models import TicketBundle
from tickets.document_models import Document
from tickets.models import Ticket, TicketChange

pytestmark = pytest.mark.django_db

TECH = ["ticket.*", "client.*", "contact.read", "asset.*", "credential.read", "obj.*"]


@pytest.fixture(autouse=True)
def fast_passwords(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }


def browser_for(nodes=TECH, clients=()):
    user = make_user(list(nodes), list(clients), name="Tess Tech")
    browser = BrowserClient()
    browser.force_login(user)
    return browser, user


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_edit_everything_after_creation(client_a, client_b):
    browser, _ = browser_for()
    ticket = make_ticket(client_a, title="Old", contact=make_contact(client_a))
    board = make_board("Projects", statuses=(("Planned", False), ("Done", True)))
    contact_b = make_contact(client_b)
    location_b = Location.objects.create(client=client_b, name="Plant")
    body = {
        "title": "New title",
        "description": "**Bold** words",
        "client_id": str(client_b.pk),
        "contact_id": str(contact_b.pk),
        "location_id": str(location_b.pk),
        "board_id": str(board.pk),
        "status_id": str(status_named("Planned", board).pk),
        "category_id": "",
        "subcategory_id": "",
    }
    response = browser.post(f"/tickets/{ticket.pk}/edit/", body, follow=True)
    assert messages_of(response) == ["Ticket saved."]
    ticket.refresh_from_db()
    assert (ticket.title, ticket.client, ticket.contact, ticket.location, ticket.board) == (
        "New title", client_b, contact_b, location_b, board,
    )  # fmt: skip
    assert "<strong>Bold</strong>" in page(response)
    fields = set(TicketChange.objects.filter(ticket=ticket).values_list("field", flat=True))
    assert {"title", "description", "client", "contact", "location", "board", "status"} <= fields


def test_edit_errors_name_the_field_and_change_nothing(client_a):
    browser, _ = browser_for()
    ticket = make_ticket(client_a, title="Kept")
    other_board = make_board("Other")
    body = {"title": "Changed", "board_id": str(other_board.pk), "status_id": str(ticket.status_id)}
    response = browser.post(f"/tickets/{ticket.pk}/edit/", body, follow=True)
    assert any(m.startswith("status_id:") for m in messages_of(response))
    ticket.refresh_from_db()
    assert ticket.title == "Kept" and ticket.board != other_board


def test_tags_people_and_assign_to_me(client_a):
    browser, me = browser_for()
    colleague = make_user(["ticket.read"], name="Col League")
    ticket = make_ticket(client_a)
    browser.post(f"/tickets/{ticket.pk}/tags/", {"action": "add", "tags": "vip, network"})
    assert sorted(t.text for t in ticket.tags.all()) == ["network", "vip"]
    vip = ticket.tags.get(text="vip")
    browser.post(f"/tickets/{ticket.pk}/tags/", {"action": "remove", "tag_id": str(vip.pk)})
    assert [t.text for t in ticket.tags.all()] == ["network"]
    browser.post(f"/tickets/{ticket.pk}/people/", {"action": "assign_me"})
    ticket.refresh_from_db()
    assert ticket.assigned_to == me
    browser.post(f"/tickets/{ticket.pk}/people/", {"action": "add_agent", "user_id": str(colleague.pk)})
    assert list(ticket.agents.values_list("user_id", flat=True)) == [colleague.pk]
    browser.post(f"/tickets/{ticket.pk}/people/", {"action": "add_watcher", "email": "boss@example.com"})
    browser.post(f"/tickets/{ticket.pk}/people/", {"action": "add_watcher", "user_id": str(colleague.pk)})
    assert ticket.watchers.count() == 2
    browser.post(f"/tickets/{ticket.pk}/people/", {"action": "remove_watcher", "user_id": str(colleague.pk)})
    browser.post(f"/tickets/{ticket.pk}/people/", {"action": "remove_agent", "user_id": str(colleague.pk)})
    assert ticket.watchers.count() == 1 and not ticket.agents.exists()
    html = page(browser.get(f"/tickets/{ticket.pk}/"))
    assert 'list="tag-suggestions"' in html and "boss@example.com" in html
    response = browser.post(f"/tickets/{ticket.pk}/people/", {"action": "add_agent"}, follow=True)
    assert messages_of(response) == ["user_id: Choose a user."]


def test_read_only_users_get_no_edit_forms_and_a_403(client_a):
    browser, _ = browser_for(["ticket.read", "obj.*"])
    ticket = make_ticket(client_a)
    html = page(browser.get(f"/tickets/{ticket.pk}/"))
    assert "/edit/" not in html and "Assign to me" not in html and "Bundle with" not in html
    assert browser.post(f"/tickets/{ticket.pk}/edit/", {"title": "x"}).status_code == 403
    assert browser.post(f"/tickets/{ticket.pk}/bundle/", {"action": "dissolve"}).status_code == 403


def test_bundle_with_from_the_ticket_page(client_a):
    browser, _ = browser_for()
    master, child = make_ticket(client_a), make_ticket(client_a)
    response = browser.post(
        f"/tickets/{master.pk}/bundle/", {"action": "create", "tickets": child.ticket_number.lower()}, follow=True
    )
    assert messages_of(response) == ["Bundle saved."]
    assert TicketBundle.objects.get().master == master
    assert child.ticket_number in page(response)
    child_page = page(browser.get(f"/tickets/{child.pk}/"))
    assert "Bundled under" in child_page and master.ticket_number in child_page
    # The child's locked status is refused on the UI path too, with the reason.
    response = browser.post(f"/tickets/{child.pk}/update/", {"status_id": str(status_named("Closed").pk)}, follow=True)
    assert any("locked" in m for m in messages_of(response))
    child.refresh_from_db()
    assert not child.is_closed
    response = browser.post(f"/tickets/{master.pk}/bundle/", {"action": "create", "tickets": "NOPE1"}, follow=True)
    assert messages_of(response) == ["child_ticket_ids: No ticket 'NOPE1'."]


def test_bundle_settings_promote_and_join(client_a):
    browser, _ = browser_for()
    master, child, other = make_ticket(client_a), make_ticket(client_a), make_ticket(client_a)
    make_bundle(master, child)
    browser.post(
        f"/tickets/{master.pk}/bundle/", {"action": "settings", "mode": "link_only", "reopen_on_child_reply": "on"}
    )
    bundle = TicketBundle.objects.get()
    assert (bundle.mode, bundle.reopen_on_child_reply) == ("link_only", True)
    browser.post(f"/tickets/{other.pk}/bundle/", {"action": "join", "master": master.ticket_number})
    assert set(bundle.children.values_list("ticket_id", flat=True)) == {child.pk, other.pk}
    response = browser.post(f"/tickets/{master.pk}/bundle/", {"action": "promote", "child_id": str(child.pk)})
    assert response["Location"].endswith(f"/tickets/{child.pk}/#bundle")
    browser.post(f"/tickets/{child.pk}/bundle/", {"action": "dissolve"})
    assert not TicketBundle.objects.exists()


def test_bulk_bundle_under_the_oldest_selected(client_a):
    browser, _ = browser_for()
    first, second, third = make_ticket(client_a), make_ticket(client_a), make_ticket(client_a)
    response = browser.post(
        "/tickets/bulk/", {"action": "bundle", "ticket": [str(third.pk), str(first.pk), str(second.pk)]}
    )
    assert response["Location"] == f"/tickets/{first.pk}/"
    bundle = TicketBundle.objects.get()
    assert bundle.master == first and set(bundle.children.values_list("ticket_id", flat=True)) == {second.pk, third.pk}
    response = browser.post("/tickets/bulk/", {"action": "bundle", "ticket": [str(first.pk)]}, follow=True)
    assert messages_of(response)[-1] == "Select at least two tickets to bundle."
    # A bulk status change skips the bundled children instead of failing.
    response = browser.post(
        "/tickets/bulk/",
        {"action": "status", "status_id": str(status_named("Closed").pk), "ticket": [str(second.pk)]},
        follow=True,
    )
    assert "kept their status" in messages_of(response)[0]


def test_link_assets_from_the_ticket_and_unlink_from_the_asset(client_a, client_b):
    browser, _ = browser_for()
    ticket, asset = make_ticket(client_a), make_asset(client_a, name="NAS")
    html = page(browser.get(f"/tickets/{ticket.pk}/"))
    assert f'value="{asset.pk}"' in html
    browser.post(
        f"/tickets/{ticket.pk}/assets/", {"action": "link", "asset_id": str(asset.pk), "relationship_type": "related"}
    )
    assert TicketAssetLink.objects.get().relationship_type == "related"
    asset_page = page(browser.get(f"/assets/{asset.pk}/"))
    assert ticket.ticket_number in asset_page and "New ticket for this asset" in asset_page
    response = browser.post(
        f"/tickets/{ticket.pk}/assets/", {"action": "link", "asset_id": str(make_asset(client_b).pk)}, follow=True
    )
    assert messages_of(response) == ["asset_id: The asset and the ticket belong to different clients."]
    response = browser.post(
        f"/tickets/{ticket.pk}/assets/", {"action": "unlink", "asset_id": str(asset.pk), "side": "asset"}
    )
    assert response["Location"] == f"/assets/{asset.pk}/#tickets"
    assert not TicketAssetLink.objects.exists()


def test_new_ticket_for_an_asset(client_a):
    browser, _ = browser_for()
    contact = make_contact(client_a)
    location = Location.objects.create(client=client_a, name="HQ")
    asset = make_asset(client_a, name="Printer", contact=contact, location=location)
    form = page(browser.get(f"/tickets/new/?asset_id={asset.pk}"))
    assert f'name="asset_id" value="{asset.pk}"' in form and "Printer" in form
    response = browser.post(
        "/tickets/new/",
        {"asset_id": str(asset.pk), "title": "Jammed", "client_id": str(client_a.pk), "contact_id": str(contact.pk)},
    )
    ticket = Ticket.objects.get(title="Jammed")
    assert response["Location"] == f"/tickets/{ticket.pk}/"
    assert ticket.location == location and ticket.contact == contact
    assert TicketAssetLink.objects.get().asset == asset


def test_documents_upload_and_remove_without_javascript(client_a):
    browser, _ = browser_for()
    ticket = make_ticket(client_a)
    upload = SimpleUploadedFile("shot.png", PNG_BYTES, content_type="image/png")
    response = browser.post(
        f"/tickets/documents/ticket/{ticket.pk}/", {"file": upload, "next": f"/tickets/{ticket.pk}/"}, follow=True
    )
    assert messages_of(response) == ["Uploaded 1 file(s)."]
    document = Document.objects.get()
    html = page(response)
    assert f"/api/v1/tickets/{ticket.pk}/documents/{document.pk}?inline=true" in html  # the thumbnail
    response = browser.post(f"/tickets/documents/ticket/{ticket.pk}/{document.pk}/remove/", follow=True)
    assert messages_of(response) == ["Removed shot.png."] and not Document.objects.exists()
    response = browser.post(f"/tickets/documents/ticket/{ticket.pk}/", {}, follow=True)
    assert messages_of(response) == ["file: Choose a file to upload."]
    assert browser.post(f"/tickets/documents/nothing/{ticket.pk}/").status_code == 404


def test_documents_on_client_and_asset_pages_follow_nodes_and_scope(client_a, client_b):
    asset = make_asset(client_a)
    make_document(client_a, name="contract.pdf")
    make_document(asset, name="manual.pdf")
    browser, _ = browser_for()
    assert "contract.pdf" in page(browser.get(f"/clients/{client_a.pk}/"))
    assert "manual.pdf" in page(browser.get(f"/assets/{asset.pk}/"))
    reader, _ = browser_for(["client.read", "asset.read", "obj.*"])
    html = page(reader.get(f"/clients/{client_a.pk}/"))
    assert "contract.pdf" in html and "Drop files here" not in html
    assert reader.post(f"/tickets/documents/client/{client_a.pk}/", {}).status_code == 403
    scoped, _ = browser_for(TECH, clients=[client_b])
    assert scoped.post(f"/tickets/documents/client/{client_a.pk}/", {}).status_code == 404


def test_client_overview_counts_and_tickets_tab(client_a):
    browser, _ = browser_for()
    make_ticket(client_a, title="Open one")
    make_ticket(client_a, title="Closed one", status=status_named("Closed"))
    overview = browser.get(f"/clients/{client_a.pk}/")
    counts = {item["key"]: item["count"] for item in overview.context["counts"]}
    assert counts["tickets"] == 1 and counts["credentials"] == 0
    assert f'href="/tickets/new/?client_id={client_a.pk}"' in page(overview)
    tab = page(browser.get(f"/tickets/clients/{client_a.pk}/"))
    assert "Open one" in tab and "Closed one" not in tab
    assert "Closed one" in page(browser.get(f"/tickets/clients/{client_a.pk}/?state=closed"))
    # The new-ticket form preselects the client.
    assert browser.get(f"/tickets/new/?client_id={client_a.pk}").context["form"].initial["client_id"] == str(
        client_a.pk
    )


def test_tickets_tab_scope_and_query_count(client_a, client_b):
    scoped, _ = browser_for(TECH, clients=[client_a])
    assert scoped.get(f"/tickets/clients/{client_b.pk}/").status_code == 404
    browser, user = browser_for()
    make_ticket(client_a, assigned_to=user)
    url = f"/tickets/clients/{client_a.pk}/"
    browser.get(url)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(url).status_code == 200
        return len(captured)

    one = count()
    for _ in range(10):
        make_ticket(client_a, assigned_to=user)
    assert count() == one


def test_contact_page_shows_tickets_assets_and_credentials(client_a):
    browser, _ = browser_for()
    contact = make_contact(client_a)
    make_ticket(client_a, title="Contact's ticket", contact=contact)
    make_asset(client_a, name="Contact laptop", contact=contact)
    html = page(browser.get(f"/clients/{client_a.pk}/contacts/{contact.pk}/"))
    assert "Contact&#x27;s ticket" in html and "Contact laptop" in html and "contact-credentials-heading" in html
    bare, _ = browser_for(["client.read", "contact.read", "obj.*"])
    html = page(bare.get(f"/clients/{client_a.pk}/contacts/{contact.pk}/"))
    assert "contact-tickets-heading" not in html and "contact-assets-heading" not in html


def test_ticket_page_query_count_does_not_grow_with_its_sections(client_a):
    browser, _ = browser_for()
    ticket = make_ticket(client_a)
    url = f"/tickets/{ticket.pk}/"
    browser.get(url)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(url).status_code == 200
        return len(captured)

    one = count()
    children = [make_ticket(client_a) for _ in range(5)]
    make_bundle(ticket, *children)
    for _ in range(5):
        link_asset(ticket, make_asset(client_a))
        make_document(ticket)
    more = count()
    assert more <= one + 4, (one, more)  # the bundle, link and document queries, once each
    before = more
    for child in [make_ticket(client_a) for _ in range(5)]:
        TicketBundle.objects.get().children.create(ticket=child)
        link_asset(ticket, make_asset(client_a))
        make_document(ticket)
    assert count() == before
