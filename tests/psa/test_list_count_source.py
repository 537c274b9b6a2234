"""``EnvelopePagination`` takes a list's total from its viewset's declared count source when it answers."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from rest_framework.request import Request

from psa.api.pagination import EnvelopePagination
from tests.factories import make_user

pytestmark = pytest.mark.django_db
asked: list = []


def seven_unless_told(params, scope):
    asked.append((dict(params.items()), scope))
    return None if "count" in params else 7


class View:
    list_count_source = seven_unless_told  # a plain function: read from the class, so not bound to the view

    def __init__(self, action: str) -> None:
        self.action = action


def _page(action: str, query: str) -> EnvelopePagination:
    request = Request(RequestFactory().get(f"/x?{query}"))
    request.user = make_user(["*"])
    request._request.user = request.user
    paginator = EnvelopePagination()
    paginator.paginate_queryset(list(range(3)), request, View(action))
    return paginator


def test_the_list_total_comes_from_the_source():
    asked.clear()
    assert _page("list", "limit=2").total == 7
    assert asked == [({"limit": "2"}, None)]  # the parameters and the caller's scope (every client)


def test_a_source_that_does_not_answer_leaves_the_count():
    assert _page("list", "count=1").total == 3


def test_other_actions_do_not_ask_the_source():
    asked.clear()
    assert _page("history", "").total == 3
    assert asked == []
