"""In headless Chromium: attach a file to a ticket by picking it (uploaded through the API by documents.js), and
bundle a duplicate under a master whose status change then reaches the child."""

import pytest

from tests.e2e.conftest import sign_in
from tests.factories import make_client, make_user
from tests.tickets.factories import make_ticket
from tests.tickets.link_factories import PNG_BYTES
from tickets.bundle_models import TicketBundle
from tickets.defaults import create_defaults
from tickets.document_models import Document
from tickets.models import Ticket

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


@pytest.fixture
def tech(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }
    create_defaults()  # another transactional test may have flushed the migrations' rows
    user = make_user(["ticket.*", "client.read", "contact.read", "asset.read", "obj.*"], login="tess", name="Tess")
    user.set_password(PASSWORD)
    user.save()
    return user


def test_upload_a_document_and_see_its_thumbnail(page, tech, tmp_path):
    ticket = make_ticket(make_client("Acme"), title="Broken screen")
    sign_in(page, "tess", PASSWORD)
    page.goto(f"/tickets/{ticket.pk}/")
    picture = tmp_path / "crack.png"
    picture.write_bytes(PNG_BYTES)
    page.locator("[data-documents] input[type=file]").set_input_files(str(picture))
    item = page.locator("[data-document-list] li").filter(has_text="crack.png")
    item.wait_for()
    assert "PNG image" in item.inner_text() and "Tess" in item.inner_text()
    document = Document.objects.get()
    assert document.mime_type == "image/png" and document.uploaded_by == tech
    thumbnail = item.locator("img.document-thumb")
    assert thumbnail.get_attribute("src").endswith(f"/documents/{document.pk}?inline=true")
    preview = page.request.get(thumbnail.get_attribute("src"))
    assert preview.status == 200 and preview.headers["content-type"] == "image/png"
    assert preview.headers["content-disposition"].startswith("inline") and preview.body() == PNG_BYTES
    # Remove it again, through the API, without a page load.
    page.on("dialog", lambda dialog: dialog.accept())
    item.get_by_role("button", name="Remove crack.png").click()
    item.wait_for(state="detached")
    assert not Document.objects.exists()


def test_bundle_a_duplicate_and_close_both_from_the_master(page, tech):
    client = make_client("Acme")
    master = make_ticket(client, title="Internet down")
    duplicate = make_ticket(client, title="No internet either")
    sign_in(page, "tess", PASSWORD)
    page.goto(f"/tickets/{master.pk}/")
    page.get_by_label("Bundle with…").fill(duplicate.ticket_number)
    page.get_by_role("button", name="Bundle under this ticket").click()
    page.locator("[data-bundle-children]").get_by_role("link", name=duplicate.ticket_number).wait_for()
    assert TicketBundle.objects.get().master == master

    # The master's inline status change reaches the child (sync updates).
    page.locator("[data-inline=status] select").select_option(label="Closed")
    page.locator("[data-closed-badge]").get_by_text("Closed").wait_for()
    duplicate.refresh_from_db()
    assert duplicate.is_closed and duplicate.status.name == "Closed"

    # On the child, the bundle is shown and its status is set by the master.
    page.goto(f"/tickets/{duplicate.pk}/")
    assert master.ticket_number in page.locator("[data-bundle-role=child]").inner_text()
    page.locator("[data-inline=status] select").select_option(label="New")
    status = page.locator("[data-inline=status] .inline-status")
    status.get_by_text("locked").wait_for()
    assert Ticket.objects.get(pk=duplicate.pk).is_closed
