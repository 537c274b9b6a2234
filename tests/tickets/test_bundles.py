"""Bundles (reference §1.12) on every path: the bundle routes, ticket updates and comments through the API."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import api_for, make_user
from tests.psa.helpers import data_of, error_of, error_paths, error_text
from tests.tickets.factories import make_board, make_comment, make_ticket, priority_named, status_named
from tests.tickets.link_factories import make_bundle
from tickets.bundle_models import BundleMirror, TicketBundle, TicketBundleChild
from tickets.models import Comment, Ticket, TicketChange

pytestmark = pytest.mark.django_db

TECH = ["ticket.*", "obj.*"]


@pytest.fixture
def tech():
    api, user, _ = api_for(TECH)
    api.user = user
    return api


@pytest.fixture
def master(client_a):
    return make_ticket(client_a, title="Outage")


@pytest.fixture
def children(client_a, client_b):
    return [make_ticket(client_a, title="Dup 1"), make_ticket(client_b, title="Dup 2")]


def url(ticket, *rest) -> str:
    return "/".join([f"/api/v1/tickets/{ticket.pk}/bundle", *map(str, rest)])


def bundle_lines(ticket) -> list[str]:
    changes = TicketChange.objects.filter(ticket=ticket, field="bundle").order_by("created_at", "id")
    return [c.new_display or c.old_display for c in changes]


def test_create_and_read_the_bundle_from_every_side(tech, master, children):
    body = {"child_ticket_ids": [str(c.pk) for c in children]}
    data = data_of(tech.post(url(master), body), 201)
    assert data["role"] == "master" and data["settings"] == {"mode": "sync_updates", "reopen_on_child_reply": False}
    assert [c["ticket_id"] for c in data["children"]] == [str(c.pk) for c in children]  # by ticket number
    assert set(data["children"][0]) >= {"ticket_id", "ticket_number", "title", "status_id", "client_id"}
    child = data_of(tech.get(url(children[0])))
    assert child["role"] == "child" and child["master_ticket_id"] == str(master.pk)
    assert child["master"]["ticket_number"] == master.ticket_number
    alone = data_of(tech.get(url(make_ticket(master.client))))
    assert alone == {"role": "standalone", "master_ticket_id": None, "master": None, "children": [], "settings": None}
    assert bundle_lines(master) == [f"Bundled {children[0].ticket_number}, {children[1].ticket_number} (sync updates)"]
    assert bundle_lines(children[0]) == [f"Bundled under {master.ticket_number}"]


def test_one_level_only(tech, master, children, client_a):
    data_of(tech.post(url(master), {"child_ticket_ids": [str(children[0].pk)]}), 201)
    other = make_ticket(client_a)
    # A child cannot become a master, a master cannot become a child, a ticket cannot join two bundles.
    error_of(tech.post(url(children[0]), {"child_ticket_ids": [str(other.pk)]}), 409, "CONFLICT")
    assert error_paths(tech.post(url(other), {"child_ticket_ids": [str(master.pk)]})) == [["child_ticket_ids", 0]]
    response = tech.post(url(other), {"child_ticket_ids": [str(children[1].pk), str(children[0].pk)]})
    assert error_paths(response) == [["child_ticket_ids", 1]] and "already bundled" in error_text(response)
    assert error_paths(tech.post(url(other), {"child_ticket_ids": [str(other.pk)]})) == [["child_ticket_ids", 0]]
    error_of(tech.post(url(master), {"child_ticket_ids": [str(other.pk)]}), 409, "CONFLICT")  # already a master


def test_validation(tech, master):
    assert error_paths(tech.post(url(master), {})) == [["child_ticket_ids"]]
    assert error_paths(tech.post(url(master), {"child_ticket_ids": []})) == [["child_ticket_ids"]]
    assert error_paths(tech.post(url(master), {"child_ticket_ids": ["nope"]})) == [["child_ticket_ids", 0]]
    missing = "00000000-0000-4000-8000-000000000000"
    assert error_paths(tech.post(url(master), {"child_ticket_ids": [missing]})) == [["child_ticket_ids", 0]]
    body = {"child_ticket_ids": [str(make_ticket(master.client).pk)], "mode": "mirror"}
    assert error_paths(tech.post(url(master), body)) == [["mode"]]
    assert error_paths(tech.post(url(master), {**body, "mode": "link_only", "extra": 1})) == [["extra"]]
    error_of(tech.put(url(master, "settings"), {"mode": "link_only"}), 409, "CONFLICT")  # no bundle yet
    make_bundle(master, make_ticket(master.client))
    assert error_paths(tech.put(url(master, "settings"), {})) == [[]]


def test_sync_updates_copies_status_assignee_and_priority(tech, master, children):
    make_bundle(master, *children)
    done = status_named("Closed")
    user = make_user(["ticket.read"])
    data_of(tech.put(f"/api/v1/tickets/{master.pk}/status", {"status_id": str(done.pk)}))
    data_of(tech.put(f"/api/v1/tickets/{master.pk}/assignment", {"assigned_to": str(user.pk)}))
    data_of(tech.put(f"/api/v1/tickets/{master.pk}", {"priority_id": str(priority_named("High").pk)}))
    for child in Ticket.objects.filter(pk__in=[c.pk for c in children]):
        assert child.status == done and child.is_closed and child.closed_at is not None
        assert child.assigned_to == user and child.priority.name == "High"
        fields = set(TicketChange.objects.filter(ticket=child, action="updated").values_list("field", flat=True))
        assert {"status", "assigned_to", "priority"} <= fields, "each copied change is in the child's history"


def test_children_on_another_board_get_the_matching_status(tech, master, client_a):
    board = make_board("Projects", statuses=(("New", False), ("Archived", True), ("Closed", True)))
    child = make_ticket(client_a, board=board)
    make_bundle(master, child)
    data_of(tech.put(f"/api/v1/tickets/{master.pk}/status", {"status_id": str(status_named("Closed").pk)}))
    child.refresh_from_db()
    assert child.status.board == board and child.status.name == "Closed" and child.is_closed
    # Without a status of the same name, the first of the same open/closed state.
    Ticket.objects.filter(pk=master.pk).update(status=status_named("In Progress"))
    data_of(tech.put(f"/api/v1/tickets/{master.pk}/status", {"status_id": str(status_named("Resolved").pk)}))
    child.refresh_from_db()
    assert child.status.name == "Archived"


def test_children_workflow_fields_are_locked_in_every_mode(tech, master, children):
    make_bundle(master, *children, mode=TicketBundle.Mode.LINK_ONLY)
    child = children[0]
    response = tech.put(f"/api/v1/tickets/{child.pk}/status", {"status_id": str(status_named("Closed").pk)})
    assert error_paths(response) == [["status_id"]] and master.ticket_number in error_text(response)
    assert error_paths(tech.put(f"/api/v1/tickets/{child.pk}/assignment", {"assigned_to": str(tech.user.pk)})) == [
        ["assigned_to"]
    ]
    body = {"priority_id": str(priority_named("High").pk), "title": "Renamed"}
    assert error_paths(tech.put(f"/api/v1/tickets/{child.pk}", body)) == [["priority_id"]]
    child.refresh_from_db()
    assert child.title == "Dup 1", "a refused update changes nothing"
    data_of(tech.put(f"/api/v1/tickets/{child.pk}", {"title": "Renamed"}))  # other fields stay editable


def test_link_only_only_groups(tech, master, children):
    make_bundle(master, *children, mode=TicketBundle.Mode.LINK_ONLY)
    data_of(tech.put(f"/api/v1/tickets/{master.pk}/status", {"status_id": str(status_named("Closed").pk)}))
    data_of(tech.post(f"/api/v1/tickets/{master.pk}/comments", {"comment_text": "Fixed", "is_internal": False}), 201)
    assert not Ticket.objects.filter(pk__in=[c.pk for c in children], is_closed=True).exists()
    assert not Comment.objects.filter(ticket__in=children).exists()


def test_public_master_comments_are_mirrored_once(tech, master, children):
    make_bundle(master, *children)
    comment = data_of(
        tech.post(f"/api/v1/tickets/{master.pk}/comments", {"comment_text": "We are on it", "is_resolution": True}),
        201,
    )
    data_of(tech.post(f"/api/v1/tickets/{master.pk}/comments", {"comment_text": "Note", "is_internal": True}), 201)
    for child in children:
        (copy,) = Comment.objects.filter(ticket=child)
        assert copy.text == "We are on it" and copy.is_system and not copy.is_internal and copy.is_resolution
        assert copy.author_user is None
    assert BundleMirror.objects.filter(source_comment_id=comment["id"]).count() == 2
    # Mirroring the same comment again adds nothing.
    from tickets import bundles

    bundles._mirror(None, TicketBundle.objects.get(master=master), Comment.objects.get(pk=comment["id"]))
    assert Comment.objects.filter(ticket__in=children).count() == 2


def test_reopen_on_child_reply(tech, master, children):
    make_bundle(master, *children, reopen=True)
    data_of(tech.put(f"/api/v1/tickets/{master.pk}/status", {"status_id": str(status_named("Closed").pk)}))
    data_of(tech.post(f"/api/v1/tickets/{children[0].pk}/comments", {"comment_text": "note", "is_internal": True}), 201)
    master.refresh_from_db()
    assert master.is_closed, "an internal note does not reopen"
    data_of(tech.post(f"/api/v1/tickets/{children[0].pk}/comments", {"comment_text": "Still broken"}), 201)
    master.refresh_from_db()
    assert not master.is_closed and master.closed_at is None and master.status.name == "New"
    assert bundle_lines(master)[-1] == f"Reopened by a public reply on {children[0].ticket_number}"
    # In sync mode the children follow the reopened master.
    assert not Ticket.objects.filter(pk__in=[c.pk for c in children], is_closed=True).exists()


def test_children_promote_settings_and_dissolve(tech, master, children, client_a):
    make_bundle(master, children[0])
    extra = make_ticket(client_a)
    data = data_of(tech.post(url(master, "children"), {"child_ticket_ids": [str(extra.pk)]}))
    assert [c["ticket_id"] for c in data["children"]] == [str(children[0].pk), str(extra.pk)]
    data = data_of(tech.put(url(master, "settings"), {"reopen_on_child_reply": True}))
    assert data["settings"] == {"mode": "sync_updates", "reopen_on_child_reply": True}
    # Promote: the settings move, the old master and the sibling are re-parented.
    data = data_of(tech.post(url(master, "promote"), {"new_master_ticket_id": str(extra.pk)}))
    assert data["master_ticket_id"] == str(extra.pk) and data["settings"]["reopen_on_child_reply"] is True
    assert {c["ticket_id"] for c in data["children"]} == {str(master.pk), str(children[0].pk)}
    assert TicketBundle.objects.get().master == extra
    assert error_paths(tech.post(url(extra, "promote"), {"new_master_ticket_id": str(extra.pk)})) == [
        ["new_master_ticket_id"]
    ]
    # Removing the last child removes the settings.
    data_of(tech.delete(url(extra, "children", master.pk)))
    error_of(tech.delete(url(extra, "children", master.pk)), 404, "NOT_FOUND")
    data = data_of(tech.delete(url(extra, "children", children[0].pk)))
    assert data["role"] == "standalone" and not TicketBundle.objects.exists()
    assert bundle_lines(extra)[-1] == "Bundle dissolved: no children left"


def test_delete_bundle_detaches_everything(tech, master, children):
    make_bundle(master, *children)
    assert data_of(tech.delete(url(master)))["role"] == "standalone"
    assert not TicketBundle.objects.exists() and not TicketBundleChild.objects.exists()
    error_of(tech.delete(url(master)), 409, "CONFLICT")


def test_permissions_and_scope(master, children, client_a, client_b):
    make_bundle(master, *children)
    reader, _, _ = api_for(["ticket.read", "obj.*"])
    error_of(reader.delete(url(master)), 403, "FORBIDDEN")
    scoped, _, _ = api_for(TECH, clients=[client_a])
    # A child of another client is neither shown nor reachable.
    assert [c["ticket_id"] for c in data_of(scoped.get(url(master)))["children"]] == [str(children[0].pk)]
    error_of(scoped.get(url(children[1])), 404, "NOT_FOUND")
    error_of(scoped.delete(url(master, "children", children[1].pk)), 404, "NOT_FOUND")
    other = make_ticket(client_b)
    assert error_paths(scoped.post(url(make_ticket(client_a)), {"child_ticket_ids": [str(other.pk)]})) == [
        ["child_ticket_ids", 0]
    ]
    anonymous = api_for([])[0]
    anonymous.credentials()
    error_of(anonymous.get(url(master)), 401, "UNAUTHORIZED")


def test_bundle_read_query_count_does_not_grow(tech, master, client_a):
    bundle = make_bundle(master, make_ticket(client_a))
    tech.get(url(master))

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert tech.get(url(master)).status_code == 200
        return len(captured)

    one = count()
    for _ in range(10):
        TicketBundleChild.objects.create(bundle=bundle, ticket=make_ticket(client_a))
    assert count() == one


def test_mirrored_comment_history_on_children(tech, master, children):
    make_bundle(master, children[0])
    make_comment(master, tech.user, "Public news")
    line = TicketChange.objects.filter(ticket=children[0], action="commented").get()
    assert line.new_display == f"public reply mirrored from {master.ticket_number}"
