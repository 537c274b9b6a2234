"""The shared HTTP client base, met through the ConnectWise simulator in-process (no patching of our client)."""

from __future__ import annotations

import email.utils
import logging
import threading

import httpx
import pytest

from integrations.connectwise.simulator import DEMO_PRIVATE_KEY, DEMO_PUBLIC_KEY
from integrations.http import (
    ApiClient,
    AuthenticationError,
    MalformedResponseError,
    NotFoundError,
    RateLimitedError,
    RetryPolicy,
    UpstreamError,
    in_order,
    parse_retry_after,
    read_ahead,
    redact_headers,
    redact_url,
)
from tests.integrations.conftest import make_cw_client


def test_429_with_retry_after_seconds_is_honoured(sim, cw, sleeps):
    sim.fail_next(429, times=2, headers={"Retry-After": "7"})
    assert cw.system_info()["version"]
    assert sleeps == [7.0, 7.0]
    assert [r.status for r in sim.log("system/info")] == [429, 429, 200]


def test_retry_after_as_an_http_date(sim, sleeps):
    now = 1_800_000_000.0
    client = make_cw_client(sim, sleeps, clock=lambda: now)
    sim.fail_next(503, headers={"Retry-After": email.utils.formatdate(now + 12, usegmt=True)})
    client.system_info()
    assert sleeps == [12.0]


def test_exponential_backoff_with_jitter_without_retry_after(sim, sleeps):
    client = make_cw_client(
        sim,
        sleeps,
        retry=RetryPolicy(attempts=4, base_delay=1, max_delay=3),
    )
    client.rng = lambda: 0.0  # the lowest jitter: half of each delay
    sim.fail_next(502, times=3)
    client.system_info()
    assert sleeps == [0.5, 1.0, 1.5]  # 1, 2, 4 capped at 3, each halved by the jitter


def test_gives_up_after_the_last_attempt_with_a_typed_error(sim, cw, sleeps):
    sim.fail_next(429, times=10, headers={"Retry-After": "1"})
    with pytest.raises(RateLimitedError) as caught:
        cw.system_info()
    assert caught.value.retry_after == 1.0
    assert len(sim.log("system/info")) == 4 and len(sleeps) == 3


def test_a_retry_after_longer_than_allowed_is_not_slept(sim, cw, sleeps):
    sim.fail_next(429, headers={"Retry-After": "3600"})
    with pytest.raises(RateLimitedError):
        cw.system_info()
    assert sleeps == []


@pytest.mark.parametrize(
    ("status", "error"), [(400, UpstreamError), (404, NotFoundError), (409, UpstreamError), (422, UpstreamError)]
)
def test_other_4xx_are_not_retried(sim, cw, sleeps, status, error):
    sim.fail_next(status, body={"code": "InvalidObject", "message": "bad thing"})
    with pytest.raises(error) as caught:
        cw.system_info()
    assert caught.value.status == status and "bad thing" in str(caught.value)
    assert sleeps == [] and len(sim.log("system/info")) == 1


def test_500_is_an_upstream_error_not_retried(sim, cw, sleeps):
    sim.fail_next(500, body={"code": "Error", "message": "NullReferenceException"})
    with pytest.raises(UpstreamError) as caught:
        cw.system_info()
    assert caught.value.status == 500 and sleeps == []


def test_connectwise_500_saying_timeout_is_retried(sim, cw, sleeps):
    sim.fail_next(500, body={"code": "ConnectWiseApi", "message": "The operation has timed out (Timeout)."})
    assert cw.system_info()["version"]
    assert len(sleeps) == 1


def test_bad_keys_are_an_authentication_error(sim, sleeps):
    client = make_cw_client(sim, sleeps, private_key="wrong")
    with pytest.raises(AuthenticationError):
        client.system_info()
    assert sleeps == []


def test_a_malformed_page_is_a_typed_error(sim, cw):
    sim.fail_next(200, malformed=True)
    with pytest.raises(MalformedResponseError):
        list(cw.iter_records("company/companies"))


def test_connection_errors_are_retried_then_raised(sleeps):
    client = make_cw_client(None, sleeps, base_url="http://127.0.0.1:9")
    with pytest.raises(UpstreamError, match="Could not connect"):
        client.system_info()
    assert len(sleeps) == 3


def test_a_slow_answer_past_the_timeout_is_retried_then_raised(loopback, sleeps):
    simulator, base_url = loopback
    client = make_cw_client(None, sleeps, base_url=base_url, timeout=httpx.Timeout(0.2), retry=RetryPolicy(attempts=2))
    simulator.fail_next(0, times=2, delay=0.6)
    with pytest.raises(UpstreamError, match="Timed out"):
        client.system_info()
    assert len(sleeps) == 1
    client.close()


def test_slow_once_then_fine(loopback, sleeps):
    simulator, base_url = loopback
    client = make_cw_client(None, sleeps, base_url=base_url, timeout=httpx.Timeout(0.2))
    simulator.fail_next(0, delay=0.6)
    assert client.system_info()["version"]
    client.close()


def test_secrets_never_reach_a_log_line(sim, cw, caplog):
    caplog.set_level(logging.DEBUG)
    sim.fail_next(503, headers={"Retry-After": "0"})
    cw.system_info()
    list(cw.iter_records("company/companies"))
    text = caplog.text
    assert "system/info" in text
    assert DEMO_PRIVATE_KEY not in text and DEMO_PUBLIC_KEY not in text and "Basic " not in text


def test_redaction_helpers():
    headers = redact_headers({"Authorization": "Basic abc", "X-API-KEY": "k", "Cookie": "s=1", "Accept": "json"})
    assert headers == {
        "Authorization": "[REDACTED]",
        "X-API-KEY": "[REDACTED]",
        "Cookie": "[REDACTED]",
        "Accept": "json",
    }
    url = redact_url("https://u:p@host/path?api_key=1&password=2&page=3")
    assert url == "https://host/path?api_key=%5BREDACTED%5D&password=%5BREDACTED%5D&page=3"


def test_parse_retry_after():
    assert parse_retry_after("5", 0) == 5
    assert parse_retry_after("garbage", 0) is None
    assert parse_retry_after(None, 0) is None
    assert parse_retry_after(email.utils.formatdate(100, usegmt=True), 200) == 0


def _answer(content: bytes, content_type: str = "application/json") -> httpx.Response:
    return httpx.Response(200, content=content, headers={"Content-Type": content_type},
                          request=httpx.Request("GET", "http://x/page"))  # fmt: skip


def test_decoding_falls_back_for_what_orjson_refuses():
    assert ApiClient.decode(_answer(b'[{"id": 1, "name": "caf\xc3\xa9"}]')) == [{"id": 1, "name": "café"}]
    utf16 = '[{"name": "café"}]'.encode("utf-16")
    assert ApiClient.decode(_answer(utf16, "application/json; charset=utf-16")) == [{"name": "café"}]
    assert ApiClient.decode(_answer(b'{"ratio": NaN}'))["ratio"] != 0  # NaN: the standard library reads it
    with pytest.raises(MalformedResponseError):
        ApiClient.decode(_answer(b'[{"id": 1, "name": "trunc'))


def test_an_integer_beyond_64_bits_is_read_exactly():
    body = b'[{"id": 123456789012345678901234567, "small": 7, "serial": "00000000000000000000"}]'
    decoded = ApiClient.decode(_answer(body))
    assert decoded == [{"id": 123456789012345678901234567, "small": 7, "serial": "00000000000000000000"}]
    assert isinstance(decoded[0]["id"], int)  # orjson alone gives 1.2345678901234568e+26
    assert ApiClient.decode(_answer(b'{"id": 18446744073709551615}')) == {"id": 2**64 - 1}


def test_read_ahead_yields_everything_in_order_from_another_thread():
    threads = []

    def pages():
        for number in range(5):
            threads.append(threading.current_thread())
            yield [number]

    assert list(read_ahead(pages(), 2)) == [[0], [1], [2], [3], [4]]
    assert threading.current_thread() not in threads
    threads.clear()
    assert list(read_ahead(pages(), 0)) == [[0], [1], [2], [3], [4]]
    assert threads == [threading.current_thread()] * 5  # depth 0: no thread


def test_read_ahead_raises_the_producers_error_where_it_happened():
    def pages():
        yield 1
        yield 2
        raise UpstreamError("HTTP 502")

    seen = []
    with pytest.raises(UpstreamError, match="502"):
        for page in read_ahead(pages(), 2):
            seen.append(page)
    assert seen == [1, 2]


def test_read_ahead_stops_the_producer_when_the_consumer_stops():
    closed = threading.Event()

    def pages():
        try:
            number = 0
            while True:
                number += 1
                yield number
        finally:
            closed.set()

    for page in read_ahead(pages(), 2):
        if page == 3:
            break
    assert closed.is_set()  # read_ahead joined the producer, which closed the generator


def test_in_order_runs_the_work_in_threads_and_yields_in_the_keys_order():
    started, release, threads = [], threading.Event(), set()

    def work(key: int) -> int:
        started.append(key)
        threads.add(threading.current_thread())
        if key == 2:
            release.set()
        if key == 0:
            assert release.wait(5)  # the first key finishes only once the third has started: they run at once
        return key * 10

    assert list(in_order(work, range(8), 3)) == [0, 10, 20, 30, 40, 50, 60, 70]
    assert sorted(started) == list(range(8)) and threading.current_thread() not in threads
    assert list(in_order(lambda key: key + 1, [1, 2], 1)) == [2, 3]  # 1 worker: in the caller's thread


def test_in_order_raises_the_error_where_its_result_would_have_been_and_cancels_the_rest():
    ran = []

    def work(key: int) -> int:
        ran.append(key)
        if key == 2:
            raise UpstreamError("HTTP 502")
        return key

    seen = []
    with pytest.raises(UpstreamError, match="502"):
        for value in in_order(work, range(100), 2):
            seen.append(value)
    assert seen == [0, 1]
    assert len(ran) < 100  # the window bounds how far ahead it ran


def test_every_verifying_client_shares_one_tls_context_per_ca_bundle():
    import ssl

    from integrations.http import tls_context

    first, second = ApiClient("https://cw.example"), ApiClient("https://hudu.example")
    try:
        shared = tls_context()
        assert isinstance(shared, ssl.SSLContext) and shared.verify_mode == ssl.CERT_REQUIRED
        assert shared.check_hostname is True
        for client in (first, second):  # the pool's context: built once, not loaded from the bundle per client
            assert client.http._transport._pool._ssl_context is shared
    finally:
        first.close()
        second.close()
    unverified = ApiClient("https://console.local", verify=False)
    try:
        assert unverified.http._transport._pool._ssl_context is not shared
    finally:
        unverified.close()
