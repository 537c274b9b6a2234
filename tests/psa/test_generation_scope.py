"""Within one request each published cache generation is read once (psa.generations.request_scope)."""

from __future__ import annotations

import pytest

from psa import generations

pytestmark = pytest.mark.django_db


def test_a_generation_is_read_once_per_request_and_again_in_the_next():
    with generations.request_scope():
        before = generations.current(generations.ACCESS)
        generations._publish(generations.ACCESS)  # another process changes a key meanwhile
        assert generations.current(generations.ACCESS) == before
    assert generations.current(generations.ACCESS) != before
    with generations.request_scope():
        assert generations.current(generations.ACCESS) != before


def test_this_process_own_change_is_seen_at_once_within_the_request():
    with generations.request_scope():
        before = generations.current(generations.REFERENCE)
        generations.bump(generations.REFERENCE)
        assert generations.current(generations.REFERENCE) != before


def test_every_api_request_runs_in_a_request_scope(settings):
    assert settings.MIDDLEWARE[0] == "psa.middleware.RequestScopeMiddleware"
