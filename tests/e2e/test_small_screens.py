"""At 375 px (a phone): the navigation folds behind a menu button, the ticket list is cards with the first ticket in
view, and the ticket, client and credential pages fit the width. Screenshots land in PSA_DATA_DIR/screenshots.
axe-core (the axe-playwright-python package ships it) checks each page for WCAG 2.1 A/AA violations."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from tests.credentials.factories import TOTP_SECRET, make_credential, make_type
from tests.e2e.conftest import TIMEOUT_MS, assert_accessible, sign_in
from tests.factories import make_client, make_user
from tests.tickets.factories import make_comment, make_ticket
from tickets.defaults import create_defaults

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
PHONE = {"width": 375, "height": 667}


def _shot(page, name: str) -> None:
    folder = Path(settings.DATA_DIR) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}-375.png"), full_page=True)


# Elements that stick out of the page's width without a scroll container of their own to clip them.
STICKING_OUT = """() => Array.from(document.querySelectorAll('body *')).filter(e => {
  if (e.getBoundingClientRect().right <= innerWidth + 1) return false;
  for (let n = e.parentElement; n && n !== document.body; n = n.parentElement)
    if (getComputedStyle(n).overflowX !== 'visible') return false;
  return true; }).slice(0, 6).map(e => e.tagName + '.' + e.className)"""


def _fits_the_width(page) -> None:
    assert page.evaluate("document.body.scrollWidth") <= PHONE["width"] + 1
    assert page.evaluate(STICKING_OUT) == []


def _no_axe_violations(page) -> None:
    assert_accessible(page)


def test_phone_layout_of_the_pages_a_technician_uses_most(chromium, live_server):
    create_defaults()
    me = make_user(["*"], login="pat", name="Pat Phone")
    me.set_password(PASSWORD)
    me.save()
    client = make_client("Acme Manufacturing")
    tickets = [make_ticket(client, title=f"Printer offline {n}", assigned_to=me) for n in range(12)]
    make_comment(tickets[-1], me, "Checked the cable; it was loose.")
    credential = make_credential(
        client, make_type(name="Portal login"), values={"username": "admin", "password": "s3cret", "mfa": TOTP_SECRET}
    )
    context = chromium.new_context(base_url=live_server.url, viewport=PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        sign_in(page, "pat", PASSWORD)
        sidenav, menu = page.locator("#sidenav"), page.get_by_role("button", name="Menu")
        assert sidenav.is_hidden() and menu.is_visible()
        menu.click()
        assert sidenav.is_visible() and menu.get_attribute("aria-expanded") == "true"
        page.keyboard.press("Escape")
        assert sidenav.is_hidden()

        page.goto("/tickets/")
        first = page.locator("tr[data-ticket-row]").first
        first.wait_for()
        box = first.bounding_box()
        assert box["y"] + box["height"] <= PHONE["height"], "the first ticket is below the fold"
        assert page.locator("details[data-fold-on-small]").get_attribute("open") is None  # filters folded away
        for text in ("TIC", "Printer offline", "Acme Manufacturing", "New", "Medium", "Pat Phone"):
            assert first.get_by_text(text, exact=False).first.is_visible(), text
        _fits_the_width(page)
        _shot(page, "ticket-list")
        _no_axe_violations(page)

        for name, url in (
            ("ticket", f"/tickets/{tickets[-1].pk}/"),
            ("client", f"/clients/{client.pk}/"),
            ("credential", f"/credentials/{credential.pk}/"),
        ):
            page.goto(url)
            page.locator("main h1").first.wait_for()
            _shot(page, name)
            _fits_the_width(page)
            _no_axe_violations(page)
    finally:
        context.close()
