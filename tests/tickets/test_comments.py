"""Comments: visibility of internal notes, threads, editing by the author only, system comments, reactions."""

from __future__ import annotations

import uuid

import pytest

from psa.models import AuditEvent
from tests.factories import api_for
from tests.psa.helpers import data_of, error_of, error_paths
from tests.tickets.factories import make_comment, make_ticket
from tickets.models import Comment, Reaction, Ticket

pytestmark = pytest.mark.django_db

TECH = ["ticket.*", "obj.*"]  # includes ticket.comment.internal
PUBLIC_ONLY = ["ticket.read", "ticket.comment.create", "ticket.comment.update", "ticket.comment.react", "obj.*"]


def url(ticket, *rest) -> str:
    return "/".join([f"/api/v1/tickets/{ticket.pk}/comments", *map(str, rest)])


@pytest.fixture
def ticket(client_a):
    return make_ticket(client_a)


@pytest.fixture
def tech():
    api, user, _ = api_for(TECH)
    api.user = user
    return api


@pytest.fixture
def outsider():
    api, user, _ = api_for(PUBLIC_ONLY)
    api.user = user
    return api


def texts(response) -> list[str]:
    return [c["comment_text"] for c in data_of(response)]


def test_internal_notes_are_invisible_without_the_node(tech, outsider, ticket):
    data_of(tech.post(url(ticket), {"comment_text": "Public", "is_internal": False}), 201)
    note = data_of(tech.post(url(ticket), {"comment_text": "Internal", "is_internal": True}), 201)

    assert texts(tech.get(url(ticket))) == ["Public", "Internal"]
    assert texts(outsider.get(url(ticket))) == ["Public"]
    assert outsider.get(url(ticket)).json()["pagination"]["total"] == 1, "hidden before paging, not after"
    # Nothing about the note reaches the outsider, by any route.
    error_of(outsider.put(url(ticket, note["id"]), {"comment_text": "x"}), 404, "NOT_FOUND")
    error_of(outsider.post(url(ticket, note["id"], "reactions"), {"emoji": "👍"}), 404, "NOT_FOUND")
    assert error_paths(outsider.post(url(ticket), {"comment_text": "re", "parent_comment_id": note["id"]})) == [
        ["parent_comment_id"]
    ]


def test_writing_an_internal_note_needs_the_node(outsider, ticket):
    error_of(outsider.post(url(ticket), {"comment_text": "Psst", "is_internal": True}), 403, "FORBIDDEN")
    assert not Comment.objects.exists()


def test_a_reply_takes_the_visibility_of_its_thread_root(tech, outsider, ticket):
    root = data_of(tech.post(url(ticket), {"comment_text": "Root note", "is_internal": True}), 201)
    reply = data_of(
        tech.post(url(ticket), {"comment_text": "Reply", "is_internal": False, "parent_comment_id": root["id"]}), 201
    )
    deeper = data_of(tech.post(url(ticket), {"comment_text": "Deeper", "parent_comment_id": reply["id"]}), 201)

    assert reply["is_internal"] is True and deeper["is_internal"] is True
    assert reply["thread_id"] == root["id"] and deeper["thread_id"] == root["id"]
    assert deeper["parent_comment_id"] == reply["id"]
    assert texts(outsider.get(url(ticket))) == []

    public = data_of(tech.post(url(ticket), {"comment_text": "Public root"}), 201)
    answer = data_of(
        outsider.post(url(ticket), {"comment_text": "Answer", "is_internal": True, "parent_comment_id": public["id"]}),
        201,
    )
    assert answer["is_internal"] is False, "is_internal is ignored on a reply"


def test_reply_parent_must_be_on_the_same_ticket(tech, ticket, client_a):
    elsewhere = make_comment(make_ticket(client_a), text="Elsewhere")
    for parent in (str(elsewhere.pk), str(uuid.uuid4())):
        response = tech.post(url(ticket), {"comment_text": "Re", "parent_comment_id": parent})
        assert error_paths(response) == [["parent_comment_id"]]


@pytest.mark.parametrize(
    "body, path",
    [
        ({}, "comment_text"),
        ({"comment_text": ""}, "comment_text"),
        ({"comment_text": "   "}, "comment_text"),
        ({"comment_text": "x" * 20_001}, "comment_text"),
        ({"comment_text": "ok", "is_internal": "maybe"}, "is_internal"),
        ({"comment_text": "ok", "parent_comment_id": "nope"}, "parent_comment_id"),
        ({"comment_text": "ok", "time_spent": 5}, "time_spent"),
    ],
)
def test_comment_validation(tech, ticket, body, path):
    assert [path] in error_paths(tech.post(url(ticket), body, format="json"))


def test_the_longest_comment_is_accepted(tech, ticket):
    assert len(data_of(tech.post(url(ticket), {"comment_text": "x" * 20_000}), 201)["comment_text"]) == 20_000


def test_adding_a_comment_touches_the_ticket_and_is_recorded(tech, ticket):
    before = Ticket.objects.get(pk=ticket.pk).updated_at
    comment = data_of(tech.post(url(ticket), {"comment_text": "Done", "is_resolution": True}), 201)
    ticket.refresh_from_db()

    assert comment["is_resolution"] is True
    assert ticket.updated_at > before and ticket.updated_by == tech.user
    assert AuditEvent.objects.filter(action="create", object_id=comment["id"], client=ticket.client).exists()
    assert ticket.changes.filter(action="commented").exists()


def test_only_the_author_edits(tech, outsider, ticket):
    mine = data_of(outsider.post(url(ticket), {"comment_text": "Typo"}), 201)
    error_of(tech.put(url(ticket, mine["id"]), {"comment_text": "Hijack"}), 403, "FORBIDDEN")

    edited = data_of(outsider.put(url(ticket, mine["id"]), {"comment_text": "Fixed"}))
    assert edited["comment_text"] == "Fixed" and edited["edited_at"] is not None
    assert error_paths(outsider.put(url(ticket, mine["id"]), {"comment_text": ""})) == [["comment_text"]]
    assert error_paths(outsider.put(url(ticket, mine["id"]), {"comment_text": "a", "is_internal": True})) == [
        ["is_internal"]
    ]


def test_system_comments_cannot_be_edited(tech, ticket):
    system = Comment.objects.create(
        ticket=ticket, author_user=tech.user, text="Merged", is_system=True, author_type="system"
    )
    error_of(tech.put(url(ticket, system.pk), {"comment_text": "No"}), 403, "FORBIDDEN")
    assert Comment.objects.get(pk=system.pk).text == "Merged"


def test_a_comment_of_another_ticket_is_404(tech, ticket, client_a):
    other = make_comment(make_ticket(client_a), tech.user, "Other")
    error_of(tech.put(url(ticket, other.pk), {"comment_text": "x"}), 404, "NOT_FOUND")
    error_of(tech.post(url(ticket, other.pk, "reactions"), {"emoji": "👍"}), 404, "NOT_FOUND")


def test_reactions_toggle(tech, outsider, ticket):
    comment = make_comment(ticket, tech.user, "Nice")
    assert data_of(tech.post(url(ticket, comment.pk, "reactions"), {"emoji": "👍"})) == {"added": True}
    assert data_of(outsider.post(url(ticket, comment.pk, "reactions"), {"emoji": "👍"})) == {"added": True}
    assert data_of(tech.post(url(ticket, comment.pk, "reactions"), {"emoji": "🎉"})) == {"added": True}

    listed = data_of(tech.get(url(ticket)))[0]["reactions"]
    thumbs = next(r for r in listed if r["emoji"] == "👍")
    assert thumbs["count"] == 2 and thumbs["reacted"] is True
    assert data_of(tech.post(url(ticket, comment.pk, "reactions"), {"emoji": "👍"})) == {"added": False}
    assert Reaction.objects.filter(comment=comment, emoji="👍").count() == 1


@pytest.mark.parametrize("emoji", ["", "ok", "👍👍x", "<script>", "a" * 40])
def test_reactions_need_an_emoji(tech, ticket, emoji):
    comment = make_comment(ticket, tech.user)
    assert error_paths(tech.post(url(ticket, comment.pk, "reactions"), {"emoji": emoji})) == [["emoji"]]


@pytest.mark.parametrize("emoji", ["👍", "❤️", "👍🏽", "👨‍👩‍👧", "🇬🇧"])
def test_real_emoji_are_accepted(tech, ticket, emoji):
    comment = make_comment(ticket, tech.user)
    assert data_of(tech.post(url(ticket, comment.pk, "reactions"), {"emoji": emoji})) == {"added": True}


def test_comments_order_and_paging(tech, ticket):
    for i in range(5):
        make_comment(ticket, tech.user, f"c{i}")
    assert texts(tech.get(url(ticket), {"order": "desc"})) == ["c4", "c3", "c2", "c1", "c0"]
    assert texts(tech.get(url(ticket), {"limit": 2, "page": 3})) == ["c4"]
    assert error_paths(tech.get(url(ticket), {"order": "random"})) == [["order"]]
    assert error_paths(tech.get(url(ticket), {"limit": 500})) == [["limit"]]


def test_comment_markdown_is_rendered_safely(tech, ticket):
    data = data_of(
        tech.post(url(ticket), {"comment_text": "Hi <script>alert(1)</script> [x](javascript:alert(1))"}), 201
    )
    assert "<script>" not in data["comment_html"]
    assert "javascript:" not in data["comment_html"]
