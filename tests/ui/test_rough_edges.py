"""Rough edges found walking the UI as a technician (issue 15), each pinned by a test."""

from __future__ import annotations

import datetime

import pytest
from django.template import Context, Template
from django.utils import timezone

from tests.assets.factories import make_asset, make_interface
from tests.factories import make_client
from tests.psa.helpers import error_paths

pytestmark = pytest.mark.django_db


def test_a_bad_address_gets_one_message_and_the_summary_counts_messages(browser_for):
    asset = make_asset(make_client("A"), name="PC")
    browser, _ = browser_for(["*"])
    response = browser.post(
        f"/assets/{asset.pk}/interfaces/new/", {"name": "", "mac": "zz", "ipv4": "999.1.1.1", "ipv6": "nope"}
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["ipv4"] == ["Enter a valid IPv4 address."]
    assert errors["ipv6"] == ["Enter a valid IPv6 address."]
    body = response.content.decode()
    assert "There are 4 problems" in body
    assert body.count('<li><a href="#id_') == 4
    assert "IPv4 or IPv6" not in body


def test_a_second_interface_with_the_same_mac_is_refused(admin_api, browser_for):
    api, _user, _key = admin_api
    asset = make_asset(make_client("A"), name="PC")
    make_interface(asset, name="eth0", mac="00:1a:2b:3c:4d:5e")
    response = api.post(
        f"/api/v1/assets/{asset.pk}/interfaces", {"name": "eth1", "mac": "00-1A-2B-3C-4D-5E"}, format="json"
    )
    assert response.status_code == 400 and error_paths(response) == [["mac"]]
    other = make_asset(asset.client, name="Laptop")
    assert (
        api.post(
            f"/api/v1/assets/{other.pk}/interfaces", {"name": "eth0", "mac": "00:1a:2b:3c:4d:5e"}, format="json"
        ).status_code
        == 201
    )
    browser, _ = browser_for(["*"])
    page = browser.post(f"/assets/{asset.pk}/interfaces/new/", {"name": "eth1", "mac": "001a.2b3c.4d5e"})
    assert page.status_code == 400 and "Another interface of this asset has this MAC address." in page.content.decode()


def test_one_placeholder_style_and_the_title_limit_is_shown(browser_for):
    make_client("A")
    browser, _ = browser_for(["*"])
    page = browser.get("/tickets/new/").content.decode()
    assert "---------" not in page
    assert "Choose a client" in page and ">—</option>" in page
    assert 'maxlength="255"' in page and "data-char-counter" in page and "Up to 255 characters." in page


def test_ticket_form_errors_answer_400(browser_for):
    browser, _ = browser_for(["*"])
    response = browser.post("/tickets/new/", {"title": ""})
    assert response.status_code == 400


def test_preferences_set_the_time_zone_and_turn_shortcuts_off(browser_for):
    browser, user = browser_for([])
    page = browser.get("/profile/").content.decode()
    assert 'id="preferences"' in page and 'data-shortcuts="on"' in page and 'id="shortcut-help"' in page
    response = browser.post("/profile/preferences/", {"time_zone": "America/Chicago"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.time_zone == "America/Chicago" and user.keyboard_shortcuts is False
    page = browser.get("/").content.decode()
    assert 'data-shortcuts="off"' in page and 'id="shortcut-help"' not in page
    assert browser.post("/profile/preferences/", {"time_zone": "Mars/Olympus"}).status_code == 302
    user.refresh_from_db()
    assert user.time_zone == "America/Chicago"  # an unknown zone changes nothing


def test_times_show_in_the_users_zone_with_the_zone_named(browser_for, rf):
    from psa import audit

    browser, user = browser_for(["audit.read"], time_zone="Asia/Tokyo")
    request = rf.get("/")
    request.user = user
    audit.record(request, "update", make_client("A"), changes={"name": {"old": "x", "new": "A"}})
    body = browser.get("/").content.decode()
    assert " JST" in body and "just now" in body


@pytest.mark.parametrize("page", ["ticket", "users", "profile"])
def test_pages_beyond_history_show_times_in_the_users_zone(browser_for, page):
    from tests.tickets.factories import make_ticket
    from tickets.defaults import create_defaults

    create_defaults()
    browser, user = browser_for(["*"], time_zone="Asia/Tokyo")
    ticket = make_ticket(make_client("Zoned"), title="Clock check")
    url = {"ticket": f"/tickets/{ticket.pk}/", "users": "/users/", "profile": "/profile/"}[page]
    if page != "ticket":
        browser.get("/")  # a sign-in time to show
        user.refresh_from_db()
        type(user).objects.filter(pk=user.pk).update(last_login=timezone.now())
    body = browser.get(url).content.decode()
    assert 'JST">' in body  # the exact time with the user's zone, on hover


def test_when_is_relative_with_the_exact_time_on_hover():
    then = timezone.now() - datetime.timedelta(hours=2, minutes=5)
    html = Template("{% load psa_time %}{% when value %}").render(Context({"value": then}))
    assert ">2 h ago</time>" in html and 'title="' in html and " UTC" in html
    old = datetime.datetime(2026, 1, 5, 9, 30, tzinfo=datetime.UTC)
    assert ">2026-01-05 09:30 UTC</time>" in Template("{% load psa_time %}{% when value %}").render(
        Context({"value": old})
    )


def test_contact_labels_and_phone_numbers_dial(browser_for):
    from tests.factories import make_contact

    client = make_client("A")
    contact = make_contact(client, first_name="Alice", phone="+1 (206) 555-0101", is_primary=True, is_billing=True)
    browser, _ = browser_for(["*"])
    detail = browser.get(f"/clients/{client.pk}/contacts/{contact.pk}/").content.decode()
    assert "Primary contact" in detail and "Billing contact" in detail
    assert "Is primary" not in detail and "Is billing" not in detail
    assert 'href="tel:+12065550101"' in detail
    listing = browser.get(f"/clients/{client.pk}/contacts/").content.decode()
    assert 'href="tel:+12065550101">+1 (206) 555-0101</a>' in listing


@pytest.mark.parametrize("country", ["US", ""])
def test_us_addresses_read_city_state_zip(browser_for, country):
    from clients.models import Location

    client = make_client("A")
    Location.objects.create(
        client=client, name="HQ", address1="1200 Western Ave", city="Seattle", state="WA", zip="98101", country=country
    )
    browser, _ = browser_for(["*"])
    page = browser.get(f"/clients/{client.pk}/locations/").content.decode()
    assert "1200 Western Ave, Seattle, WA 98101" in page and "98101 Seattle" not in page


def test_addresses_elsewhere_follow_their_country():
    from clients.addresses import format_address

    assert (
        format_address("Unter den Linden 1", "", "Berlin", "", "10117", "DE") == "Unter den Linden 1, 10117 Berlin, DE"
    )
    assert format_address("1 Main St", "", "Toronto", "ON", "M5H 2N2", "CA") == "1 Main St, Toronto, ON M5H 2N2, CA"


def test_admin_hides_django_groups_and_has_a_favicon(client, django_user_model):
    admin_user = django_user_model.objects.create_superuser("root", password="pw-for-tests-only")
    client.force_login(admin_user)
    index = client.get("/admin/").content.decode()
    assert "/admin/auth/group/" not in index
    assert 'rel="icon" href="/static/img/favicon.svg"' in index and "Back to PSA" in index


def test_api_docs_lead_back_to_the_app(browser_for):
    browser, _ = browser_for([])
    page = browser.get("/api/docs/").content.decode()
    assert 'href="/">&larr; Back to PSA</a>' in page


def _contrast(a: str, b: str) -> float:
    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_danger_buttons_have_enough_contrast_in_light_and_dark_mode():
    import pathlib
    import re

    css = (pathlib.Path(__file__).resolve().parents[2] / "static/css/app.css").read_text()
    light, dark = css.split("@media (prefers-color-scheme: dark)", 1)
    for scheme in (light, dark.split("}", 1)[0]):
        colours = dict(re.findall(r"--(danger|on-danger|danger-hover):\s*(#[0-9a-fA-F]{6})", scheme))
        assert _contrast(colours["danger"], colours["on-danger"]) >= 4.5
        assert _contrast(colours["danger-hover"], colours["on-danger"]) >= 4.5
    assert ".button-danger { background: var(--danger); border-color: var(--danger); color: var(--on-danger); }" in css
    assert "::-webkit-calendar-picker-indicator:focus-visible { outline: 3px solid var(--focus)" in css


@pytest.mark.parametrize(
    ("url", "purpose", "action"),
    [
        ("/clients/", "Clients are the companies you support", 'href="/clients/new/"'),
        ("/assets/", "Assets are your clients' devices", 'href="/assets/new/"'),
        ("/tickets/?is_open=true", "Tickets are the requests and incidents", 'href="/tickets/new/"'),
        ("/credentials/", "The vault keeps your clients' passwords", 'href="/credentials/new/"'),
        (
            "/users/?search=nobody-at-all",
            "Users are your technicians and admins",
            'href="/users/new/"',
        ),
        ("/roles/?search=no-such-role", "A role is a set of permission nodes", 'href="/roles/new/"'),
    ],
)
def test_empty_lists_say_what_they_are_for_and_offer_the_first_action(browser_for, url, purpose, action):
    browser, _ = browser_for(["*"])
    page = browser.get(url).content.decode()
    assert "data-empty-state" in page and purpose in page and action in page
    reader, _ = browser_for(
        ["client.read", "asset.read", "ticket.read", "credential.read", "user.read", "role.read", "obj.*"]
    )
    assert action not in reader.get(url).content.decode()  # no first action for someone who may not take it


def test_an_empty_integrations_page_says_what_a_source_is(browser_for):
    browser, _ = browser_for(["*"])
    page = browser.get("/integrations/").content.decode()
    assert "data-empty-state" in page and "A source is a system PSA mirrors" in page


@pytest.mark.parametrize(("kind", "purpose"), [("products", "Products are the hardware"), ("services", "Services are")])
def test_an_empty_catalog_list_says_what_it_holds(browser_for, kind, purpose):
    browser, _ = browser_for(["*"])
    page = browser.get("/catalog/", {"kind": kind, "search": "nothing-like-this"}).content.decode()
    assert "data-empty-state" in page and purpose in page
