"""Comment HTML is rendered once on save and stored; the ticket page shows the latest comments, older on demand."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client as BrowserClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import make_user
from tests.tickets.factories import make_comment, make_ticket
from tickets import markdown
from tickets.models import Comment

pytestmark = pytest.mark.django_db

HOSTILE = 'Hi <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror="alert(2)"> **bold**'


def test_the_html_is_rendered_and_sanitised_on_save_and_on_edit(client_a):
    comment = make_comment(make_ticket(client_a), text=HOSTILE)
    stored = Comment.objects.values_list("text_html", flat=True).get(pk=comment.pk)
    assert stored == markdown.render(HOSTILE)
    assert "<strong>bold</strong>" in stored
    assert "<script" not in stored and "javascript:" not in stored and "onerror" not in stored
    comment.text = "Now *this*"
    comment.save(update_fields=["text"])
    assert Comment.objects.values_list("text_html", flat=True).get(pk=comment.pk) == "<p>Now <em>this</em></p>"


def test_a_save_that_leaves_the_text_alone_does_not_render_it(client_a):
    comment = make_comment(make_ticket(client_a), text="Kept")
    Comment.objects.filter(pk=comment.pk).update(text_html="<p>stored</p>")
    comment.refresh_from_db()
    comment.is_resolution = True
    comment.save(update_fields=["is_resolution"])
    assert Comment.objects.values_list("text_html", flat=True).get(pk=comment.pk) == "<p>stored</p>"


def test_the_data_migration_renders_existing_comments(client_a):
    ticket = make_ticket(client_a)
    comments = [make_comment(ticket, text=f"{HOSTILE} {i}") for i in range(3)]
    Comment.objects.update(text_html="")  # as the rows were before the migration
    migration = importlib.import_module("tickets.migrations.0007_perf_comment_html")
    migration.render_existing(apps, None)
    for comment in comments:
        assert Comment.objects.get(pk=comment.pk).text_html == markdown.render(comment.text)


def _page(browser, ticket, **params):
    response = browser.get(reverse("tickets:ticket_detail", args=[ticket.pk]), params)
    assert response.status_code == 200
    return response.content.decode()


def _page_queries(browser, ticket) -> int:
    _page(browser, ticket)
    with CaptureQueriesContext(connection) as captured:
        _page(browser, ticket)
    return len([q for q in captured if "ratelimitcounter" not in q["sql"].lower()])


def test_the_page_shows_the_latest_comments_and_the_rest_on_demand(client_a, settings):
    settings.TICKET_PAGE_COMMENTS = 3
    user = make_user(["ticket.*", "client.read", "contact.read", "obj.*"])
    browser = BrowserClient()
    browser.force_login(user)
    ticket = make_ticket(client_a)
    for i in range(5):
        make_comment(ticket, user, f"Words number {i} <script>x</script>")
    page = _page(browser, ticket)
    assert [f"Words number {i}" in page for i in range(5)] == [False, False, True, True, True]
    assert "Show 2 earlier comments" in page
    assert "<script>x" not in page
    everything = _page(browser, ticket, comments="all")
    assert all(f"Words number {i}" in everything for i in range(5))
    assert "earlier comment" not in everything


def test_the_page_does_not_query_more_for_a_longer_thread(client_a, settings):
    settings.TICKET_PAGE_COMMENTS = 3
    user = make_user(["ticket.*", "client.read", "contact.read", "obj.*"])
    browser = BrowserClient()
    browser.force_login(user)
    ticket = make_ticket(client_a)
    for i in range(4):
        make_comment(ticket, user, f"c{i}")
    four = _page_queries(browser, ticket)
    for i in range(20):
        make_comment(ticket, make_user(), f"more {i}")
    assert _page_queries(browser, ticket) == four
