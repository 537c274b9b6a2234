"""The Hudu client against the simulator: the key header, paging, typed errors, retries and rate-limit pacing."""

from __future__ import annotations

import pytest

from integrations.http import AuthenticationError, MalformedResponseError, UpstreamError
from integrations.hudu.client import Pacer, PasswordAccessDenied, api_base
from integrations.hudu.simulator import DEMO_NO_PASSWORDS_KEY, HuduSimulator, Size
from tests.hudu.conftest import make_hudu_client


def test_the_key_goes_in_x_api_key_and_a_bad_one_is_an_authentication_error(sim, fake_time):
    client = make_hudu_client(sim, fake_time, api_key="wrong")
    with pytest.raises(AuthenticationError) as caught:
        client.api_info()
    assert caught.value.status == 401 and "Unauthorized" in caught.value.message
    assert "wrong" not in str(caught.value)


def test_a_key_without_password_access_is_its_own_error(sim, fake_time):
    client = make_hudu_client(sim, fake_time, api_key=DEMO_NO_PASSWORDS_KEY)
    assert client.first_page("companies")
    with pytest.raises(PasswordAccessDenied) as caught:
        client.first_page("asset_passwords")
    assert caught.value.status == 403


def test_websites_are_a_bare_array_and_envelopes_are_checked(sim, hudu):
    pages = list(hudu.iter_pages("websites"))
    assert sum(len(p) for p in pages) == len(sim.data["websites"])
    sim.fail_next(200, malformed=True, match="/companies")
    with pytest.raises(MalformedResponseError):
        list(hudu.iter_pages("companies"))


def test_a_page_repeating_the_previous_one_ends_the_loop(fake_time):
    """Some Hudu endpoints ignore ``page``: the same rows again mean the end, not an endless loop."""
    big = HuduSimulator(Size(companies=30, assets=1, passwords=1, websites=1), clock=fake_time.clock)
    big.ignores_page.add("companies")
    pages = list(make_hudu_client(big, fake_time).iter_pages("companies"))
    assert len(pages) == 1 and len(pages[0]) == 25
    assert len(big.log("/companies")) == 2


def test_updated_at_is_an_open_range_and_the_simulator_filters_it(sim, hudu):
    from datetime import UTC, datetime

    since = datetime(2026, 1, 1, 0, 0, 3, tzinfo=UTC)
    rows = [r for page in hudu.iter_pages("companies", updated_since=since) for r in page]
    assert [r["id"] for r in rows] == [3, 4]
    assert sim.log("/companies")[0].query["updated_at"] == "2026-01-01T00:00:03Z,"


def test_429_with_retry_after_and_5xx_are_retried(sim, hudu, fake_time):
    sim.fail_next(429, headers={"Retry-After": "7"}, match="/companies")
    sim.fail_next(503, match="/companies")
    assert len(hudu.first_page("companies")) == 4
    assert 7 in fake_time.sleeps and len(sim.log("/companies")) == 3


def test_a_4xx_is_not_retried(sim, hudu):
    sim.fail_next(422, body={"error": "Unable to process request"}, match="/companies")
    with pytest.raises(UpstreamError) as caught:
        hudu.first_page("companies")
    assert "Unable to process request" in caught.value.message and len(sim.log("/companies")) == 1


def test_the_pacer_keeps_a_full_minute_under_the_limit(fake_time):
    pacer = Pacer(280, clock=fake_time.clock, sleep=fake_time.sleep)
    for _ in range(280):
        pacer.wait()
    assert fake_time.sleeps == []
    pacer.wait()  # the 281st within the minute waits until the first leaves the window
    assert fake_time.sleeps == [60.0]


def test_a_long_pull_causes_no_429(db, fake_time):
    """1,000 assets are 41 pages; with a limit of 20 a minute the pacer waits and Hudu never answers 429."""
    sim = HuduSimulator(Size(companies=2, assets=1000, passwords=1, websites=1), clock=fake_time.clock)
    sim.rate_limit = 20
    client = make_hudu_client(sim, fake_time, per_minute=18)
    rows = [r for page in client.iter_pages("assets") for r in page]
    assert len(rows) == 1000
    assert sim.throttled == 0 and all(r.status == 200 for r in sim.requests)
    assert client.pacer.waited > 0


def test_without_pacing_the_simulator_answers_429(db, fake_time):
    sim = HuduSimulator(Size(companies=2, assets=1000, passwords=1, websites=1), clock=fake_time.clock)
    sim.rate_limit = 20
    client = make_hudu_client(sim, fake_time, per_minute=10_000)
    list(client.iter_pages("assets"))  # Retry-After makes it finish anyway
    assert sim.throttled > 0


def test_the_base_url_takes_the_instance_or_the_api_path():
    assert api_base("https://acme.huducloud.com") == "https://acme.huducloud.com/api/v1/"
    assert api_base("https://acme.huducloud.com/api/v1/") == "https://acme.huducloud.com/api/v1/"
