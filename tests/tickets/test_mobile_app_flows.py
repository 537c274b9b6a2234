"""The AlgaPSA mobile app's Ticketing MVP, call for call (``reference/algapsa-mobile-app-calls.md``).

Each test sends the app's exact request (path, query, body, headers) and checks the fields the app reads.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.db import connection
from django.test import Client as BrowserClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from clients.models import Location
from psa.models import AuditEvent
from tests.factories import make_client, make_contact, make_key, make_user
from tests.psa.helpers import data_of, error_of, error_paths
from tests.tickets.factories import (
    default_board,
    make_category,
    make_comment,
    make_tag,
    make_ticket,
    priority_named,
    status_named,
)
from tickets.models import Ticket, TicketChange

pytestmark = pytest.mark.django_db

APP_HEADERS = {
    "HTTP_ACCEPT": "application/json",
    "HTTP_X_TENANT_ID": "default",
    "HTTP_X_ALGA_CLIENT": "mobile/tickets",
    "HTTP_X_CORRELATION_ID": "abc.1",
    "HTTP_X_ALGA_PLATFORM": "ios",
    "HTTP_X_ALGA_APP_VERSION": "1.4.0",
    "HTTP_X_ALGA_APP_BUILD": "42",
    "HTTP_X_ALGA_DEVICE_ID": "device-1",
}


def app(token: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_X_API_KEY=token, **APP_HEADERS)
    return api


@pytest.fixture
def phone(db):
    """The app signed in as a technician: a mobile-session key sent as x-api-key."""
    user = make_user(
        ["ticket.*", "client.read", "contact.read", "location.read", "user.read.other", "user.list.other", "obj.*"],
        name="Mo Bile",
    )
    _, token = make_key(user, purpose="mobile_session")
    return app(token), user


@pytest.fixture
def shop(db):
    blue = make_client("Blue Widgets", email="desk@blue.example", phone="+1 555 0100")
    red = make_client("Red Gadgets")
    old = make_client("Blue Archive", archived_at=timezone.now())
    cat = make_contact(blue, first_name="Cat", last_name="Zephyr", email="cat@blue.example", phone="+1 555 0101")
    ann = make_contact(blue, first_name="Ann", last_name="Young", mobile="+1 555 0102")
    gone = make_contact(blue, first_name="Old", last_name="Contact", is_active=False)
    hq = Location.objects.create(client=blue, name="HQ", address1="1 Main St", city="Springfield", state="IL")
    return {"blue": blue, "red": red, "old": old, "cat": cat, "ann": ann, "gone": gone, "hq": hq}


# ---- create a ticket with the pickers (R01-R07, W01) -----------------------------------------------------------


def test_board_picker(phone):
    api, _ = phone
    body = api.get("/api/v1/boards", {"limit": 100, "sort": "name", "order": "asc"}).json()
    names = [b["board_name"] for b in body["data"]]
    assert names == sorted(names, key=str.lower)
    board = next(b for b in body["data"] if b["is_default"])
    assert board["board_id"] == str(default_board().pk)
    assert board["default_assigned_to"] is None


def test_client_picker_honours_every_parameter(phone, shop):
    api, _ = phone
    body = api.get(
        "/api/v1/clients", {"limit": 50, "sort": "client_name", "order": "asc", "is_inactive": "false"}
    ).json()
    assert [c["client_name"] for c in body["data"]] == ["Blue Widgets", "Red Gadgets"]
    blue = body["data"][0]
    assert blue["client_id"] == str(shop["blue"].pk) and blue["email"] == "desk@blue.example"
    assert blue["logoUrl"] is None and blue["is_inactive"] is False
    searched = api.get(
        "/api/v1/clients", {"limit": 50, "sort": "client_name", "order": "asc", "is_inactive": "false", "search": "red"}
    )
    assert [c["client_name"] for c in data_of(searched)] == ["Red Gadgets"]
    archived = data_of(api.get("/api/v1/clients", {"is_inactive": "true"}))
    assert [c["client_name"] for c in archived] == ["Blue Archive"]


def test_clients_screen_filters_by_client_name(phone, shop):
    """C01: today's bug was that client_name=Blue returned every client."""
    api, _ = phone
    params = {"page": 1, "limit": 25, "sort": "client_name", "order": "asc", "is_inactive": "false"}
    body = api.get("/api/v1/clients", {**params, "client_name": "Blue"}).json()
    assert [c["client_name"] for c in body["data"]] == ["Blue Widgets"]
    assert body["pagination"]["total"] == 1
    desc = data_of(api.get("/api/v1/clients", {**params, "order": "desc"}))
    assert [c["client_name"] for c in desc] == ["Red Gadgets", "Blue Widgets"]


def test_contact_picker(phone, shop):
    api, _ = phone
    params = {"limit": 50, "sort": "full_name", "order": "asc", "is_inactive": "false"}
    body = api.get("/api/v1/contacts", {**params, "client_id": str(shop["blue"].pk)}).json()
    assert [c["full_name"] for c in body["data"]] == ["Ann Young", "Cat Zephyr"]
    ann, cat = body["data"]
    assert cat["contact_name_id"] == str(shop["cat"].pk) and cat["client_id"] == str(shop["blue"].pk)
    assert cat["email"] == "cat@blue.example" and cat["default_phone_number"] == "+1 555 0101"
    assert ann["default_phone_number"] == "+1 555 0102" and ann["avatarUrl"] is None
    assert [c["full_name"] for c in data_of(api.get("/api/v1/contacts", {**params, "search": "zeph"}))] == [
        "Cat Zephyr"
    ]


def test_client_contacts_and_locations(phone, shop):
    api, _ = phone
    contacts = api.get(f"/api/v1/clients/{shop['blue'].pk}/contacts", {"page": 1, "limit": 25}).json()
    assert {c["contact_name_id"] for c in contacts["data"]} == {str(shop[k].pk) for k in ("cat", "ann", "gone")}
    assert contacts["pagination"]["total"] == 3
    locations = data_of(api.get(f"/api/v1/clients/{shop['blue'].pk}/locations"))
    assert locations == [
        {
            **locations[0],
            "location_id": str(shop["hq"].pk),
            "location_name": "HQ",
            "address_line1": "1 Main St",
            "city": "Springfield",
            "state_province": "IL",
        }
    ]
    assert data_of(api.get(f"/api/v1/clients/{shop['red'].pk}/locations")) == []


def test_client_sub_lists_are_client_scoped_and_need_their_nodes(shop):
    scoped_user = make_user(["client.read", "contact.read", "location.read"], clients=[shop["red"]])
    _, token = make_key(scoped_user, purpose="mobile_session")
    api = app(token)
    error_of(api.get(f"/api/v1/clients/{shop['blue'].pk}/contacts"), 404, "NOT_FOUND")
    error_of(api.get(f"/api/v1/clients/{shop['blue'].pk}/locations"), 404, "NOT_FOUND")
    no_contacts = make_user(["client.read", "location.read"])
    _, token = make_key(no_contacts)
    error_of(app(token).get(f"/api/v1/clients/{shop['blue'].pk}/contacts"), 403, "FORBIDDEN")


def test_client_sub_list_query_counts_do_not_grow(phone, shop):
    api, _ = phone
    url = f"/api/v1/clients/{shop['blue'].pk}/contacts"
    api.get(url)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(url, {"limit": 100}).status_code == 200
        return len(captured)

    few = count()
    for _ in range(20):
        make_contact(shop["blue"])
    assert count() == few


def test_user_picker_and_search(phone):
    api, _ = phone
    make_user(name="Zed Alpha", login="zed")
    amy_user = make_user(name="Amy Beta", login="amy")
    amy_user.email = "amy@msp.example"
    amy_user.save(update_fields=["email"])
    make_user(name="Abe Inactive", login="abe", is_active=False)
    body = api.get(
        "/api/v1/users", {"user_type": "internal", "is_inactive": "false", "limit": 25, "sort": "first_name",
                          "order": "asc"},
    ).json()  # fmt: skip
    firsts = [u["first_name"] for u in body["data"]]
    assert "Abe" not in firsts and firsts.index("Amy") < firsts.index("Mo") < firsts.index("Zed")
    amy = next(u for u in body["data"] if u["username"] == "amy")
    assert amy["last_name"] == "Beta" and amy["email"] == "amy@msp.example" and amy["avatarUrl"] is None
    assert amy["user_id"] == amy["id"]
    assert data_of(api.get("/api/v1/users", {"user_type": "client"})) == []

    query = {"fields": "first_name,last_name,email,username", "user_type": "internal", "include_inactive": "false",
             "limit": 25}  # fmt: skip
    found = data_of(api.get("/api/v1/users/search", {**query, "query": "amy@"}))
    assert [u["username"] for u in found] == ["amy"]
    assert data_of(api.get("/api/v1/users/search", {**query, "query": "abe"})) == []
    with_inactive = data_of(api.get("/api/v1/users/search", {**query, "query": "abe", "include_inactive": "true"}))
    assert [u["username"] for u in with_inactive] == ["abe"]
    only_email = data_of(api.get("/api/v1/users/search", {**query, "query": "zed", "fields": "email"}))
    assert only_email == []


def test_picker_parameters_are_validated(phone):
    api, _ = phone
    assert error_paths(api.get("/api/v1/users", {"is_inactive": "maybe"})) == [["is_inactive"]]
    assert error_paths(api.get("/api/v1/users", {"user_type": "robot"})) == [["user_type"]]
    assert error_paths(api.get("/api/v1/users/search", {"fields": "password"})) == [["fields"]]
    assert error_paths(api.get("/api/v1/clients", {"is_inactive": "perhaps"})) == [["is_inactive"]]
    assert error_paths(api.get("/api/v1/contacts", {"sort": "nickname"})) == [["sort"]]
    assert error_paths(api.get("/api/v1/priorities", {"item_type": "invoice"})) == [["item_type"]]


def test_categories_and_priorities(phone):
    api, _ = phone
    board = default_board()
    network = make_category(board, "Network")
    make_category(board, "Wi-Fi", parent=network)
    categories = data_of(api.get("/api/v1/categories/ticket", {"limit": 100}))
    by_name = {c["category_name"]: c for c in categories}
    assert by_name["Network"]["category_id"] == str(network.pk) and by_name["Network"]["parent_category"] is None
    assert by_name["Wi-Fi"]["parent_category"] == str(network.pk)

    priorities = data_of(api.get("/api/v1/priorities", {"item_type": "ticket", "limit": 100}))
    assert {"priority_id", "priority_name", "color"} <= set(priorities[0])
    assert {p["priority_name"] for p in priorities} >= {"High", "Medium", "Low"}
    assert data_of(api.get("/api/v1/priorities", {"item_type": "project_task"})) == []
    statuses = data_of(api.get("/api/v1/tickets/statuses", {"board_id": str(board.pk)}))
    assert {"status_id", "board_id", "name", "is_closed"} <= set(statuses[0])


def test_create_ticket_as_the_create_screen_sends_it(phone, shop):
    api, me = phone
    board = default_board()
    body = {
        "title": "Printer on fire",
        "board_id": str(board.pk),
        "client_id": str(shop["blue"].pk),
        "status_id": str(status_named("New").pk),
        "priority_id": str(priority_named("High").pk),
        "contact_name_id": str(shop["cat"].pk),
        "location_id": str(shop["hq"].pk),
        "assigned_to": str(me.pk),
        "attributes": {"description": "Smoke everywhere"},
    }
    created = data_of(api.post("/api/v1/tickets", body, format="json"), 201)
    ticket = Ticket.objects.get(pk=created["ticket_id"])
    assert ticket.contact == shop["cat"] and ticket.location == shop["hq"] and ticket.source == "mobile"
    assert ticket.description == "Smoke everywhere"

    detail = data_of(api.get(f"/api/v1/tickets/{ticket.pk}"))
    assert detail["contact_name_id"] == detail["contact_id"] == str(shop["cat"].pk)
    assert detail["contact_email"] == "cat@blue.example" and detail["contact_phone"] == "+1 555 0101"
    assert detail["client_email"] == "desk@blue.example" and detail["client_phone"] == "+1 555 0100"
    assert detail["location_name"] == "HQ"
    assert detail["contact_avatar_url"] is None and detail["client_logo_url"] is None
    assert detail["attributes"]["description"] == "Smoke everywhere"
    for name in ("board_id", "priority_id", "assigned_to", "due_date"):
        assert name in detail


def test_ticket_detail_without_contact_has_nulls(phone, shop):
    api, _ = phone
    ticket = make_ticket(shop["red"], title="Bare")
    detail = data_of(api.get(f"/api/v1/tickets/{ticket.pk}"))
    for name in ("contact_email", "contact_phone", "client_email", "client_phone", "location_name",
                 "contact_avatar_url", "client_logo_url", "contact_name_id"):  # fmt: skip
        assert detail[name] is None, name


def test_create_validation_names_the_field(phone, shop):
    api, _ = phone
    base = {"title": "x", "client_id": str(shop["blue"].pk)}
    assert error_paths(api.post("/api/v1/tickets", {**base, "contact_name_id": "nope"}, format="json")) == [
        ["contact_name_id"]
    ]
    other = make_contact(shop["red"])
    assert error_paths(api.post("/api/v1/tickets", {**base, "contact_name_id": str(other.pk)}, format="json")) == [
        ["contact_id"]
    ]
    both = {**base, "contact_id": str(shop["cat"].pk), "contact_name_id": str(shop["ann"].pk)}
    assert error_paths(api.post("/api/v1/tickets", both, format="json")) == [["contact_name_id"]]
    flag = {**base, "suppressContactNotifications": "loud"}
    assert error_paths(api.post("/api/v1/tickets", flag, format="json")) == [["suppressContactNotifications"]]


# ---- detail writes with the "don't notify" switches (W10-W26) ------------------------------------------------


QUIET = {"suppressContactNotifications": True, "suppressInternalNotifications": True}


def last_audit(ticket) -> dict:
    return AuditEvent.objects.filter(object_id=str(ticket.pk), action="update").order_by("-created_at").first().changes


def test_status_assignment_and_update_accept_the_suppress_flags(phone, shop):
    api, me = phone
    ticket = make_ticket(shop["blue"], title="Quiet please")

    resolved = str(status_named("Resolved").pk)
    assert (
        api.put(f"/api/v1/tickets/{ticket.pk}/status", {"status_id": resolved, **QUIET}, format="json").status_code
        == 200
    )
    assert last_audit(ticket)["notifications_suppressed"] == {"old": None, "new": ["contact", "internal"]}

    body = {"assigned_to": str(me.pk), "suppressContactNotifications": True}
    assert api.put(f"/api/v1/tickets/{ticket.pk}/assignment", body, format="json").status_code == 200
    assert last_audit(ticket)["notifications_suppressed"]["new"] == ["contact"]

    body = {"contact_name_id": str(shop["ann"].pk), **QUIET}
    data = data_of(api.put(f"/api/v1/tickets/{ticket.pk}", body, format="json"))
    assert data["contact_name"] == "Ann Young" and data["contact_name_id"] == str(shop["ann"].pk)
    data = data_of(api.put(f"/api/v1/tickets/{ticket.pk}", {"contact_name_id": None}, format="json"))
    assert data["contact_id"] is None
    assert "notifications_suppressed" not in last_audit(ticket), "flags are recorded only on the change they came with"


def test_suppress_flags_false_record_nothing(phone, shop):
    api, _ = phone
    ticket = make_ticket(shop["blue"])
    body = {"priority_id": str(priority_named("High").pk), "suppressContactNotifications": False}
    assert api.put(f"/api/v1/tickets/{ticket.pk}", body, format="json").status_code == 200
    assert "notifications_suppressed" not in last_audit(ticket)


# ---- comments and reactions (T33, W03-W09) ----------------------------------------------------------------------


def test_comment_reactions_carry_the_apps_names(phone, shop):
    api, me = phone
    ticket = make_ticket(shop["blue"])
    other = make_user(["ticket.*"])
    comment = make_comment(ticket, other, "Looks good")
    url = f"/api/v1/tickets/{ticket.pk}/comments/{comment.pk}/reactions"
    assert api.post(url, {"emoji": "👍"}, format="json").status_code == 200
    _, other_token = make_key(other)
    app(other_token).post(url, {"emoji": "👍"}, format="json")
    app(other_token).post(url, {"emoji": "🎉"}, format="json")

    comments = data_of(api.get(f"/api/v1/tickets/{ticket.pk}/comments"))
    reactions = {r["emoji"]: r for r in comments[0]["reactions"]}
    thumbs = reactions["👍"]
    assert thumbs["count"] == 2 and set(thumbs["userIds"]) == {str(me.pk), str(other.pk)}
    assert thumbs["currentUserReacted"] is True and thumbs["reacted"] is True
    assert thumbs["user_ids"] == thumbs["userIds"]
    assert reactions["🎉"]["currentUserReacted"] is False and reactions["🎉"]["userIds"] == [str(other.pk)]
    for name in ("comment_id", "comment_text", "is_internal", "is_resolution", "created_by", "created_by_name",
                 "created_at", "thread_id", "parent_comment_id"):  # fmt: skip
        assert name in comments[0], name


def test_comments_without_paging_are_the_whole_thread(phone, shop, settings):
    api, _ = phone
    ticket = make_ticket(shop["blue"])
    author = make_user(["ticket.*"])
    for i in range(130):
        make_comment(ticket, author, f"Reply {i}")

    body = api.get(f"/api/v1/tickets/{ticket.pk}/comments").json()
    assert len(body["data"]) == 130 and body["pagination"]["hasNext"] is False
    assert body["data"][-1]["comment_text"] == "Reply 129"
    paged = api.get(f"/api/v1/tickets/{ticket.pk}/comments", {"page": 2, "limit": 50}).json()
    assert [c["comment_text"] for c in paged["data"]][:1] == ["Reply 50"] and paged["pagination"]["hasNext"] is True
    settings.MAX_THREAD_COMMENTS = 100
    capped = api.get(f"/api/v1/tickets/{ticket.pk}/comments").json()
    assert len(capped["data"]) == 100 and capped["pagination"]["hasNext"] is True
    assert capped["pagination"]["total"] == 130


def test_reply_and_edit_as_the_app_sends_them(phone, shop):
    api, _ = phone
    ticket = make_ticket(shop["blue"])
    root = data_of(
        api.post(f"/api/v1/tickets/{ticket.pk}/comments", {"comment_text": "Root", "is_internal": False}), 201
    )
    reply = data_of(
        api.post(
            f"/api/v1/tickets/{ticket.pk}/comments",
            {"comment_text": "Reply", "is_internal": False, "parent_comment_id": root["comment_id"]},
            format="json",
        ),
        201,
    )
    assert reply["thread_id"] == root["comment_id"] and reply["parent_comment_id"] == root["comment_id"]
    assert reply["created_by_name"] == "Mo Bile"
    resolution = {"comment_text": "Fixed", "is_internal": False, "is_resolution": True}
    assert data_of(api.post(f"/api/v1/tickets/{ticket.pk}/comments", resolution, format="json"), 201)["is_resolution"]
    edited = api.put(
        f"/api/v1/tickets/{ticket.pk}/comments/{root['comment_id']}", {"comment_text": "Root!"}, format="json"
    )
    assert edited.status_code == 200


# ---- tags (G01-G05) --------------------------------------------------------------------------------------------


def test_ticket_tags_read_add_remove(phone, shop):
    api, _ = phone
    vip = make_tag("vip", background_color="#FF0000", text_color="#FFFFFF")
    ticket = make_ticket(shop["blue"], tags=["vip"])
    url = f"/api/v1/tags/entity/ticket/{ticket.pk}"

    read = data_of(api.get(url))
    assert read["tags"] == [
        {"tag_id": str(vip.pk), "tag_text": "vip", "background_color": "#FF0000", "text_color": "#FFFFFF"}
    ]
    added = data_of(
        api.post(url, {"entity_id": str(ticket.pk), "entity_type": "ticket", "tags": ["Printer"]}, format="json"), 201
    )
    assert added["created_count"] == 1 and {t["tag_text"] for t in added["tags"]} == {"vip", "Printer"}
    again = data_of(
        api.post(url, {"entity_id": str(ticket.pk), "entity_type": "ticket", "tags": ["printer"]}, format="json"), 201
    )
    assert again["created_count"] == 0
    removed = data_of(
        api.delete(url, {"entity_id": str(ticket.pk), "entity_type": "ticket", "tag_ids": [str(vip.pk)]}, format="json")
    )
    assert removed["removed_count"] == 1 and [t["tag_text"] for t in removed["tags"]] == ["Printer"]
    history = TicketChange.objects.filter(ticket=ticket, field="tags").order_by("created_at")
    assert [c.new_display for c in history] == ["Printer, vip", "Printer"]
    listed = data_of(api.get("/api/v1/tickets", {"fields": "mobile_list", "tags": "printer"}))
    assert [t["ticket_id"] for t in listed] == [str(ticket.pk)]


def test_ticket_tags_errors_and_scope(phone, shop):
    api, _ = phone
    ticket = make_ticket(shop["blue"])
    url = f"/api/v1/tags/entity/ticket/{ticket.pk}"
    wrong = {"entity_id": str(shop["blue"].pk), "entity_type": "ticket", "tags": ["x"]}
    assert error_paths(api.post(url, wrong, format="json")) == [["entity_id"]]
    assert error_paths(api.post(url, {"entity_type": "asset", "tags": ["x"]}, format="json")) == [["entity_type"]]
    assert error_paths(api.post(url, {"tags": [""]}, format="json")) == [["tags"]]
    assert error_paths(api.delete(url, {"tag_ids": ["nope"]}, format="json")) == [["tag_ids", 0]]
    scoped = make_user(["ticket.*"], clients=[shop["red"]])
    _, token = make_key(scoped)
    error_of(app(token).get(url), 404, "NOT_FOUND")
    reader = make_user(["ticket.read"])
    _, token = make_key(reader)
    error_of(app(token).post(url, {"tags": ["x"]}, format="json"), 403, "FORBIDDEN")
    error_of(APIClient().get(url), 401, "UNAUTHORIZED")


def test_tag_cloud_and_search(phone, shop):
    api, _ = phone
    make_tag("vip", background_color="#FF0000")
    make_tag("vpn")
    make_tag("unused")
    make_ticket(shop["blue"], tags=["vip", "vpn"])
    make_ticket(shop["blue"], tags=["vip"])
    make_ticket(shop["red"], tags=["vpn", "vpn-red"])

    cloud = data_of(api.get("/api/v1/tags/cloud", {"entity_type": "ticket", "limit": 50}))["tags"]
    assert [(t["tag_text"], t["usage_count"]) for t in cloud][:2] == [("vip", 2), ("vpn", 2)]
    assert {"tag_text", "background_color", "text_color"} <= set(cloud[0])
    assert len(data_of(api.get("/api/v1/tags/cloud", {"entity_type": "ticket", "limit": 1}))["tags"]) == 1
    found = api.get("/api/v1/tags/search", {"search_term": "vp", "entity_type": "ticket", "limit": 50}).json()
    assert [t["tag_text"] for t in found["data"]] == ["vpn", "vpn-red"]
    assert error_paths(api.get("/api/v1/tags/cloud", {"entity_type": "asset"})) == [["entity_type"]]
    assert error_paths(api.get("/api/v1/tags/cloud", {"limit": 0})) == [["limit"]]

    scoped = make_user(["ticket.read"], clients=[shop["blue"]])
    _, token = make_key(scoped)
    counts = {t["tag_text"]: t["usage_count"] for t in data_of(app(token).get("/api/v1/tags/cloud"))["tags"]}
    assert counts["vpn"] == 1 and counts["vpn-red"] == 0, "another client's tickets are not counted"


# ---- the whole MVP, signed in through the browser handoff ---------------------------------------------------


def test_the_ticketing_mvp_end_to_end(shop):
    tech = make_user(["ticket.*", "user.read", "obj.*"], login="mvp", name="Mvp Tech")
    tech.set_password("correct horse battery staple")
    tech.save()
    ticket = make_ticket(shop["blue"], title="Cannot print", contact=shop["cat"])

    # Sign in: the system browser, the handoff, the exchange.
    state = "0123456789abcdef0123"
    callback = "http://testserver/auth/mobile/handoff?" + urlencode(
        {"redirect": "alga://auth/callback", "state": state}
    )
    browser = BrowserClient()
    browser.post(
        "/auth/signin", {"username": "mvp", "password": "correct horse battery staple", "callbackUrl": callback}
    )
    deep = urlsplit(browser.get(callback)["Location"])
    ott = parse_qs(deep.query)["ott"][0]
    device = {"platform": "android", "appVersion": "1.4.0", "buildVersion": "42", "deviceId": "pixel"}
    tokens = (
        APIClient()
        .post("/api/v1/mobile/auth/exchange", {"ott": ott, "state": state, "device": device}, format="json")
        .json()
    )
    api = app(tokens["accessToken"])

    # List, filter, open.
    params = {"page": 1, "limit": 25, "fields": "mobile_list", "sort": "entered_at", "order": "desc", "is_open": "true"}
    listed = api.get("/api/v1/tickets", params).json()
    assert listed["pagination"]["page"] == 1 and listed["pagination"]["hasNext"] is False
    assert [t["ticket_id"] for t in listed["data"]] == [str(ticket.pk)]
    assert (
        data_of(api.get("/api/v1/tickets", {**params, "client_id": str(shop["blue"].pk)}))[0]["title"] == "Cannot print"
    )
    assert data_of(api.get("/api/v1/tickets", {**params, "contact_name_id": str(shop["cat"].pk)}))
    detail = data_of(api.get(f"/api/v1/tickets/{ticket.pk}"))
    assert detail["contact_email"] == "cat@blue.example"

    # Comment, react.
    comment = data_of(
        api.post(f"/api/v1/tickets/{ticket.pk}/comments", {"comment_text": "On it", "is_internal": True}), 201
    )
    api.post(f"/api/v1/tickets/{ticket.pk}/comments/{comment['comment_id']}/reactions", {"emoji": "👍"}, format="json")
    reacted = data_of(api.get(f"/api/v1/tickets/{ticket.pk}/comments"))[0]["reactions"][0]
    assert reacted["currentUserReacted"] is True and reacted["userIds"] == [str(tech.pk)]

    # Status, assignee, priority.
    status_id = str(status_named("Resolved").pk)
    assert api.put(f"/api/v1/tickets/{ticket.pk}/status", {"status_id": status_id}, format="json").status_code == 200
    assert (
        api.put(f"/api/v1/tickets/{ticket.pk}/assignment", {"assigned_to": str(tech.pk)}, format="json").status_code
        == 200
    )
    high = str(priority_named("High").pk)
    assert (
        data_of(api.put(f"/api/v1/tickets/{ticket.pk}", {"priority_id": high}, format="json"))["priority_name"]
        == "High"
    )

    # Refresh (the expired key rides along), keep working, sign out.
    stale = APIClient()
    stale.credentials(HTTP_X_API_KEY=tokens["accessToken"])
    renewed = stale.post(
        "/api/v1/mobile/auth/refresh", {"refreshToken": tokens["refreshToken"], "device": device}, format="json"
    ).json()
    api = app(renewed["accessToken"])
    assert api.get(f"/api/v1/tickets/{ticket.pk}").status_code == 200
    out = APIClient().post("/api/v1/mobile/auth/revoke", {"refreshToken": renewed["refreshToken"]}, format="json")
    assert out.status_code == 200
    error_of(api.get(f"/api/v1/tickets/{ticket.pk}"), 401, "UNAUTHORIZED")
