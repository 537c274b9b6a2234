"""The UI's pages take a list's total from its count source when it answers one, and count the rows otherwise."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from clients.models import Client
from psa.views import paginate
from tests.factories import make_client, make_user

pytestmark = pytest.mark.django_db


def _request(query: dict):
    request = RequestFactory().get("/clients/", query)
    request.user = make_user(["client.read"])
    return request


def test_a_total_from_the_count_source_is_not_counted():
    for n in range(3):
        make_client(f"C{n}")
    asked = []

    def source(params, scope):
        asked.append((params.dict(), scope))
        return 3

    request = _request({"page": "2"})
    with CaptureQueriesContext(connection) as captured:
        page = paginate(request, Client.objects.order_by("name"), per_page=2, count_source=source)
        rows = list(page)
    assert asked == [({"page": "2"}, None)]
    assert (page.number, page.paginator.count, page.paginator.num_pages, [c.name for c in rows]) == (2, 3, 2, ["C2"])
    assert not any("COUNT(" in query["sql"].upper() for query in captured), captured.captured_queries


def test_no_answer_from_the_source_counts_the_rows():
    for n in range(3):
        make_client(f"C{n}")
    page = paginate(_request({}), Client.objects.order_by("name"), per_page=2, count_source=lambda params, scope: None)
    assert (page.paginator.count, [c.name for c in page]) == (3, ["C0", "C1"])
