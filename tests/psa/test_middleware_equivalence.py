"""The cheaper middleware (psa.middleware.ContentSecurityPolicyMiddleware, LazyMessageMiddleware) answers with exactly
the headers and cookies of the library middleware it replaces, on the API and on UI pages."""

from __future__ import annotations

import pytest
from csp.constants import NONCE, SELF
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.test import Client as BrowserClient
from django.test import RequestFactory, override_settings
from django.utils.functional import empty

from psa.middleware import ContentSecurityPolicyMiddleware, LazyMessageMiddleware
from tests.factories import api_for, make_user

pytestmark = pytest.mark.django_db

LIBRARY = {
    "psa.middleware.ContentSecurityPolicyMiddleware": "csp.middleware.CSPMiddleware",
    "psa.middleware.LazyMessageMiddleware": "django.contrib.messages.middleware.MessageMiddleware",
}


def library_middleware() -> list[str]:
    return [LIBRARY.get(name, name) for name in settings.MIDDLEWARE]


def headers(response) -> list[tuple[str, str]]:
    # These follow the clock (and the rate limit's count): only their presence and place are compared.
    moving = {"RateLimit-Reset", "RateLimit-Remaining", "Expires"}
    return [(name, "" if name in moving else value) for name, value in response.headers.items()]


def test_the_replacements_are_in_place():
    assert set(LIBRARY) <= set(settings.MIDDLEWARE)


@pytest.mark.parametrize("path", ["/api/v1/clients", "/api/v1/no-such-route", "/api/v1/users/@me"])
def test_api_responses_carry_the_library_middlewares_headers_in_order(path):
    api, _, _ = api_for(["client.read", "obj.*"])
    ours = api.get(path)
    with override_settings(MIDDLEWARE=library_middleware()):
        theirs = api.get(path)
    assert ours.status_code == theirs.status_code
    assert headers(ours) == headers(theirs)
    assert "Content-Security-Policy" in ours.headers


@pytest.mark.parametrize("path", ["/login/", "/profile/", "/clients/", "/no-such-page/"])
def test_ui_pages_carry_the_library_middlewares_headers_and_cookies(path):
    browser = BrowserClient()
    browser.force_login(make_user(["client.read"]))
    ours = browser.get(path)
    with override_settings(MIDDLEWARE=library_middleware()):
        theirs = browser.get(path)
    assert ours.status_code == theirs.status_code
    assert headers(ours) == headers(theirs)
    assert sorted(ours.cookies) == sorted(theirs.cookies)


def _respond(request, **parts) -> HttpResponse:
    middleware = ContentSecurityPolicyMiddleware(lambda request: HttpResponse())
    middleware.process_request(request)
    response = HttpResponse()
    for name, value in parts.items():
        setattr(response, name, value)
    return middleware.process_response(request, response)


def test_a_views_own_policy_and_a_used_nonce_still_go_through_django_csp():
    factory = RequestFactory()
    updated = _respond(factory.get("/"), _csp_update={"img-src": ["https://example.test"]})
    assert "https://example.test" in updated["Content-Security-Policy"]
    policy = {"DIRECTIVES": {"script-src": [SELF, NONCE]}}
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        request = factory.get("/")
        middleware = ContentSecurityPolicyMiddleware(lambda request: HttpResponse())
        middleware.process_request(request)
        nonce = str(request.csp_nonce)
        response = middleware.process_response(request, HttpResponse())
        assert f"script-src 'self' 'nonce-{nonce}'" in response["Content-Security-Policy"]
        assert "nonce" not in _respond(factory.get("/"))["Content-Security-Policy"]  # no nonce asked for


def test_an_exempt_response_and_an_existing_header_are_left_alone():
    factory = RequestFactory()
    assert "Content-Security-Policy" not in _respond(factory.get("/"), _csp_exempt=True)
    middleware = ContentSecurityPolicyMiddleware(lambda request: HttpResponse())
    response = HttpResponse(headers={"Content-Security-Policy": "default-src 'none'"})
    assert middleware.process_response(factory.get("/"), response)["Content-Security-Policy"] == "default-src 'none'"


def test_a_changed_policy_setting_is_used_at_once():
    policy = {"DIRECTIVES": {"default-src": ["'none'"]}}
    with override_settings(CONTENT_SECURITY_POLICY=policy, CONTENT_SECURITY_POLICY_REPORT_ONLY=policy):
        response = _respond(RequestFactory().get("/"))
        assert response["Content-Security-Policy"] == "default-src 'none'"
        assert response["Content-Security-Policy-Report-Only"] == "default-src 'none'"
    assert "default-src 'self'" in _respond(RequestFactory().get("/"))["Content-Security-Policy"]


def test_a_nonce_asked_for_after_the_header_was_written_raises():
    from csp.exceptions import CSPNonceError

    request = RequestFactory().get("/")
    _respond(request)
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)


def _with_session(request):
    from django.contrib.sessions.middleware import SessionMiddleware

    SessionMiddleware(lambda request: HttpResponse()).process_request(request)
    return request


def test_message_storage_is_made_only_when_used_and_then_stores_and_shows_as_django_does():
    def add(request):
        messages.success(request, "Saved.")
        return HttpResponse()

    def show(request):
        return HttpResponse(",".join(str(message) for message in messages.get_messages(request)))

    untouched = _with_session(RequestFactory().get("/"))
    response = LazyMessageMiddleware(lambda request: HttpResponse())(untouched)
    assert untouched._messages._wrapped is empty
    assert "messages" not in response.cookies

    added = LazyMessageMiddleware(add)(_with_session(RequestFactory().get("/")))
    assert added.cookies["messages"].value  # the message went into the cookie storage, as Django's would
    next_page = _with_session(RequestFactory().get("/"))
    next_page.COOKIES["messages"] = added.cookies["messages"].value
    shown = LazyMessageMiddleware(show)(next_page)
    assert shown.content == b"Saved."
    assert shown.cookies["messages"]["max-age"] == 0  # read once: the cookie is cleared, as Django's would
