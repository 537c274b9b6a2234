"""The real UI in headless Chromium: API keys from the profile page, and role administration."""

import httpx
import pytest

from accounts.models import ApiKey, Role, User
from psa.models import AuditEvent
from tests.e2e.conftest import sign_in
from tests.factories import make_user

# Transactional: the live server's thread must see the rows a test creates. Like every transactional test, these
# start from a database whose migration-made rows (the built-in roles) an earlier transactional test may have
# flushed, so they create all they need themselves.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def user_with_password(nodes, login, **fields):
    user = make_user(nodes, login=login, **fields)
    user.set_password(PASSWORD)
    user.save()
    return user


def test_create_api_key_in_profile_and_call_the_api(page, live_server):
    user_with_password(
        ["user.read", "obj.user.*", "api_key.read", "api_key.create", "api_key.delete"], "tess", name="Tess Tech"
    )
    sign_in(page, "tess", PASSWORD)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Profile").click()
    page.get_by_role("heading", name="Your profile").wait_for()
    page.get_by_label("Description").fill("e2e script")
    page.get_by_label("Purpose").select_option("integration")
    page.get_by_role("button", name="Create key").click()

    key = page.locator("#new-api-key").inner_text().strip()
    assert key.startswith("psa_")
    response = httpx.get(f"{live_server.url}/api/v1/users/@me", headers={"X-API-Key": key}, timeout=10)
    assert response.status_code == 200
    assert response.json()["data"]["login"] == "tess"

    # Shown once: reloading the profile shows the key's prefix but never the key again.
    page.goto("/profile/")
    assert page.locator("#new-api-key").count() == 0
    assert key not in page.content()
    stored = ApiKey.objects.get(owner__login="tess")
    assert stored.prefix in page.content() and stored.purpose == "integration"

    # Revoke it from the page (accepting the confirmation) and the API refuses it.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke the key e2e script").click()
    page.get_by_text("Revoked the key").wait_for()
    response = httpx.get(f"{live_server.url}/api/v1/users/@me", headers={"X-API-Key": key}, timeout=10)
    assert response.status_code == 401
    assert AuditEvent.objects.filter(object_type="accounts.apikey", action__in=["create", "deactivate"]).count() == 2


def test_admin_creates_a_role_and_assigns_it(page):
    user_with_password(["*"], "ada", name="Ada Admin")
    alice = make_user([], login="alice", name="Alice Agent")
    sign_in(page, "ada", PASSWORD)

    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Roles").click()
    page.get_by_role("link", name="New role").click()
    page.get_by_role("textbox", name="Title", exact=True).fill("Helpdesk")
    page.get_by_role("textbox", name="Moniker", exact=True).fill("helpdesk")
    page.get_by_role("textbox", name="Description", exact=True).fill("First-line support")
    page.locator("summary", has_text="Client Permissions").click()
    page.locator("input[value='client.read']").check()
    page.locator("summary", has_text="Contact Permissions").click()
    page.locator("input[value='contact.read']").check()
    page.get_by_role("button", name="Create role").click()
    page.get_by_text("Created the role Helpdesk.").wait_for()

    role = Role.objects.get(moniker="helpdesk")
    assert role.permissions == ["client.read", "contact.read"]

    nav.get_by_role("link", name="Users").click()
    page.locator("main").get_by_label("Search").fill("alice")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name="alice").click()
    page.get_by_role("group", name="Roles").get_by_label("Helpdesk").check()
    page.get_by_role("button", name="Save changes").click()
    page.get_by_text("Saved the user alice.").wait_for()

    alice = User.objects.get(pk=alice.pk)
    assert list(alice.roles.values_list("moniker", flat=True)) == ["helpdesk"]
    assert alice.has_node("client.read")
    assert AuditEvent.objects.filter(action="create", object_type="accounts.role", object_id=str(role.pk)).exists()
    assert AuditEvent.objects.filter(action="update", object_type="accounts.user", object_id=str(alice.pk)).exists()


def test_keyboard_user_can_skip_to_content_and_sign_out(page):
    user_with_password(["client.read"], "kim")
    sign_in(page, "kim", PASSWORD)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    assert skip.evaluate("el => el === document.activeElement")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login/")
    page.goto("/")
    assert "/login/" in page.url
