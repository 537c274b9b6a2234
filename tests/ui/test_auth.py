"""Sign-in, sign-out and the layout every page shares."""

import pytest
from django.urls import reverse

from tests.factories import make_user

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/profile/",
    "/users/",
    "/users/new/",
    "/roles/",
    "/roles/new/",
    "/clients/",
    "/audit/",
]


@pytest.mark.parametrize("path", PAGES)
def test_pages_send_anonymous_visitors_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{reverse('login')}?next=")


def test_login_page_renders_form(client):
    response = client.get("/login/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="username"' in body and 'name="password"' in body
    assert "csrfmiddlewaretoken" in body
    assert 'class="skip-link" href="#main"' in body


def test_login_with_good_password_opens_the_dashboard(client):
    user = make_user(["client.read"], login="alice")
    user.set_password("correct horse battery")
    user.save()
    response = client.post("/login/", {"username": "alice", "password": "correct horse battery"})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")
    assert client.get("/").status_code == 200


def test_login_with_bad_password_says_what_is_wrong_and_keeps_the_login(client):
    user = make_user([], login="alice")
    user.set_password("correct horse battery")
    user.save()
    response = client.post("/login/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "do not match an active account" in body
    assert 'value="alice"' in body


def test_inactive_user_cannot_sign_in(client):
    user = make_user([], login="gone", is_active=False)
    user.set_password("correct horse battery")
    user.save()
    response = client.post("/login/", {"username": "gone", "password": "correct horse battery"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_login_redirects_to_next(client):
    user = make_user(["client.read"], login="alice")
    user.set_password("correct horse battery")
    user.save()
    response = client.post(
        "/login/?next=/clients/", {"username": "alice", "password": "correct horse battery", "next": "/clients/"}
    )
    assert response["Location"] == "/clients/"


def test_logout_needs_post(browser_for):
    browser, _ = browser_for([])
    assert browser.get("/logout/").status_code == 405
    response = browser.post("/logout/")
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert browser.get("/").status_code == 302


def test_logout_without_csrf_token_is_refused(db):
    from django.test import Client

    user = make_user([])
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    response = browser.post("/logout/")
    assert response.status_code == 403
    assert browser.get("/").status_code == 200


def test_navigation_shows_only_permitted_entries(browser_for):
    browser, _ = browser_for(["client.read"])
    body = browser.get("/").content.decode()
    assert 'href="/clients/"' in body
    assert 'href="/users/"' not in body
    assert 'href="/roles/"' not in body
    assert 'href="/audit/"' not in body
    assert 'href="/admin/"' not in body
    assert 'href="/profile/"' in body

    assert 'href="/tickets/"' not in body and 'href="/credentials/"' not in body

    browser, _ = browser_for(
        ["user.read.other", "role.read", "audit.read", "ticket.read", "credential.read"], is_staff=True
    )
    body = browser.get("/").content.decode()
    assert 'href="/clients/"' not in body
    for path in ("/users/", "/roles/", "/audit/", "/admin/", "/tickets/", "/credentials/"):
        assert f'href="{path}"' in body


def test_current_section_is_marked(browser_for):
    browser, _ = browser_for(["client.read"])
    body = browser.get("/clients/").content.decode()
    assert 'href="/clients/" aria-current="page"' in body


def test_unknown_page_is_a_friendly_404(browser_for):
    browser, _ = browser_for([])
    response = browser.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
