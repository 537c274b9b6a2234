"""Per-request work the API skips when its outcome is known, with the same outcome (psa.api.viewsets
``JsonNegotiationMixin``; the request's copy of the cached caller, accounts.callers; the rate limiter's counter
statement on the driver's cursor, psa.ratelimit)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from accounts import callers
from accounts.models import parse_key
from assets.api.views import AssetViewSet
from assets.models import Asset
from psa import ratelimit
from psa.models import RateLimitCounter
from tests.factories import api_for, make_client, make_key, make_user
from tests.psa.helpers import data_of, error_of

pytestmark = pytest.mark.django_db

TABLE_COUNTER_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
ACCEPTS = [None, "*/*", "application/json", "application/json; indent=4", "application/*", "text/html", "*/*;q=0.8"]


def _negotiated(accept: str | None, path: str = "/api/v1/assets") -> tuple[AssetViewSet, Request]:
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().get(path, **headers))
    view = AssetViewSet(request=request, action="list", format_kwarg=None, kwargs={})
    return view, request


@pytest.mark.parametrize("accept", ACCEPTS)
def test_the_negotiated_renderer_and_media_type_are_drfs_for_every_accept_header(accept):
    view, request = _negotiated(accept)
    try:
        expected = DefaultContentNegotiation().select_renderer(request, view.get_renderers(), None)
    except NotAcceptable:
        with pytest.raises(NotAcceptable):
            view.perform_content_negotiation(request)
        return
    renderer, media_type = view.perform_content_negotiation(request)
    assert (type(renderer), media_type) == (type(expected[0]), expected[1])


def test_a_format_query_parameter_is_negotiated_by_drf():
    view, request = _negotiated(None, "/api/v1/assets?format=xml")
    with pytest.raises(Exception) as raised:  # DRF answers an unknown format with Http404
        view.perform_content_negotiation(request)
    assert type(raised.value).__name__ == "Http404"


def test_api_responses_are_the_same_for_each_plain_accept_header_and_refused_for_html():
    client = make_client()
    api, _, _ = api_for(["asset.read", "obj.*"], clients=[client])
    asset = Asset.objects.create(client=client, name="router")
    bodies = set()
    for accept in (None, "*/*", "application/json"):
        headers = {} if accept is None else {"HTTP_ACCEPT": accept}
        response = api.get(f"/api/v1/assets/{asset.pk}", **headers)
        assert data_of(response)["name"] == "router"
        assert response["Content-Type"] == "application/json"
        bodies.add(response.content)
    assert len(bodies) == 1
    indented = api.get(f"/api/v1/assets/{asset.pk}", HTTP_ACCEPT="application/json; indent=2")
    assert indented.status_code == 200 and b'\n  "data"' in indented.content
    error_of(api.get(f"/api/v1/assets/{asset.pk}", HTTP_ACCEPT="text/html"), 406, "NOT_ACCEPTABLE")


def test_each_request_gets_its_own_copy_of_the_cached_key_and_owner():
    user = make_user(["asset.read"])
    _key, plaintext = make_key(user)
    first, second = callers.authenticate(plaintext), callers.authenticate(plaintext)
    assert first is second  # the cached caller
    one, other = first.for_request(), first.for_request()
    assert one is not other and one.owner is not other.owner and one.owner is not first.key.owner
    assert one.owner_id == one.owner.pk == user.pk and one.owner._state.db == first.key.owner._state.db
    one.owner.name = "changed by one request"
    one._state.fields_cache.clear()
    assert first.key.owner.name == user.name and other.owner.name == user.name
    assert first.key._state.fields_cache["owner"] is first.key.owner
    assert callers.resolve_key(parse_key(plaintext).key_id) is first


@override_settings(CACHES=TABLE_COUNTER_CACHE)
def test_the_counter_upsert_counts_on_and_only_postgresql_counts_in_the_callers_transaction():
    """PostgreSQL: the counter table's upsert runs in the request's connection and transaction. SQLite: in the
    counter file, outside it (a hit is an attempt, whatever becomes of the request's transaction)."""
    rate = ratelimit.Rate(5, 60)
    with transaction.atomic():
        undone = transaction.savepoint()
        assert ratelimit.hit("test:in-transaction", rate).count == 1
        transaction.savepoint_rollback(undone)
    counts = [ratelimit.hit("test:in-transaction", rate).count for _ in range(3)]
    if connection.vendor == "sqlite":
        assert counts == [2, 3, 4] and not RateLimitCounter.objects.exists()
    else:
        assert counts == [1, 2, 3] and RateLimitCounter.objects.get(bucket="test:in-transaction").count == 3


@override_settings(CACHES=TABLE_COUNTER_CACHE)
def test_a_failing_counter_statement_is_djangos_database_error():
    counters = ratelimit._counter_file()
    if counters is None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {RateLimitCounter._meta.db_table}")  # undone with the test's transaction
    else:
        counters._run(f"DROP TABLE {counters.TABLE}", ())
    try:
        with pytest.raises(DatabaseError):
            ratelimit.hit("test:no-table", ratelimit.Rate(5, 60))
    finally:
        if counters is not None:
            counters.create_table()
