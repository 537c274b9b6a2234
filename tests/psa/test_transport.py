"""Transport and headers (issue 8, section 8): CSP with no inline script or style, Permissions-Policy, HTTPS, idle sign-out.

Every page of the technician UI is fetched and checked for inline script, inline style and event-handler attributes,
which the Content-Security-Policy (``default-src 'self'``) would block in the browser; every template is scanned too.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client as BrowserClient
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from clients.models import Contact
from psa.middleware import SessionIdleMiddleware
from tests.factories import make_user
from tests.test_route_harness import build_world

ROOT = Path(settings.BASE_DIR)

# A <script> element that runs inline code: no src, and not a JSON data block (which never runs).
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
JAVASCRIPT_URL = re.compile(r"(?:href|src|action)\s*=\s*[\"']?\s*javascript:", re.I)


def inline_code(html: str) -> list[str]:
    found = []
    for name, pattern in (
        ("inline script", INLINE_SCRIPT),
        ("inline style", INLINE_STYLE),
        ("event handler attribute", EVENT_HANDLER),
        ("javascript: URL", JAVASCRIPT_URL),
    ):
        found += [f"{name}: {match.group(0)[:120]}" for match in pattern.finditer(html)]
    return found


def template_files() -> list[Path]:
    return sorted(p for p in (ROOT / "templates").rglob("*.html")) + sorted(ROOT.glob("*/templates/**/*.html"))


def test_no_template_holds_inline_script_or_style():
    offending = {
        str(path.relative_to(ROOT)): found for path in template_files() if (found := inline_code(path.read_text()))
    }
    assert template_files(), "no templates found"
    assert not offending, offending


# --- every page, fetched -------------------------------------------------------------------------------------------


def _page_kwargs(world) -> dict[str, dict]:
    """URL keywords for every UI page that takes any, from the route harness's objects."""
    from accounts.models import Role, User
    from assets.models import Asset, AssetInterface
    from credentials.models import Credential, CredentialType
    from tickets.models import Ticket

    client = world.client_a
    contact = world.objects[Contact]
    return {
        "user_detail": {"pk": world.objects[User].pk},
        "role_detail": {"pk": world.objects[Role].pk},
        "role_delete": {"pk": world.objects[Role].pk},
        "client_detail": {"pk": client.pk},
        "client_edit": {"pk": client.pk},
        "doc_list": {"pk": client.pk, "kind": "contacts"},
        "doc_create": {"pk": client.pk, "kind": "contacts"},
        "doc_detail": {"pk": client.pk, "kind": "contacts", "obj_pk": contact.pk},
        "doc_edit": {"pk": client.pk, "kind": "contacts", "obj_pk": contact.pk},
        "doc_delete": {"pk": client.pk, "kind": "contacts", "obj_pk": contact.pk},
        "asset_detail": {"pk": world.objects[Asset].pk},
        "asset_edit": {"pk": world.objects[Asset].pk},
        "interface_create": {"pk": world.objects[Asset].pk},
        "interface_edit": {"pk": world.objects[Asset].pk, "interface_pk": world.objects[AssetInterface].pk},
        "ticket_detail": {"pk": world.objects[Ticket].pk},
        "client_credentials": {"client_id": client.pk},
        "client_tickets": {"client_id": client.pk},
        "type_edit": {"pk": world.objects[CredentialType].pk},
        "type_delete": {"pk": world.objects[CredentialType].pk},
        "credential_detail": {"pk": world.objects[Credential].pk},
        "credential_edit": {"pk": world.objects[Credential].pk},
        "credential_delete": {"pk": world.objects[Credential].pk},
        "sub_credential_create": {"pk": world.objects[Credential].pk},
        "password_reset_confirm": {"uidb64": "MA", "token": "set-password"},
        "document_upload": {"holder_kind": "ticket", "pk": world.objects[Ticket].pk},
        "document_remove": {"holder_kind": "ticket", "pk": world.objects[Ticket].pk},
        "sso_start": {"key": "no-such-provider"},  # a 404 page: the harness configures no single sign-on
        **_unifi_kwargs(world),
    }


def _unifi_kwargs(world) -> dict[str, dict]:
    from integrations.unifi.models import UnifiSite

    wlan = {"client_id": world.client_a.pk, "site_pk": world.objects[UnifiSite].pk,
            "wlan_id": world.kwargs["wlan_id"][0].pk}  # fmt: skip
    pages = {"client_unifi": {"client_id": world.client_a.pk}}
    return pages | {name: wlan for name in ("wlan_edit", "ppsk_create", "passphrase")}


def _ui_patterns(patterns=None, namespace: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if str(pattern.pattern).startswith(("api/v1/", "admin/")):
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found += _ui_patterns(pattern.url_patterns, inner)
        elif pattern.name:
            found.append((f"{namespace}{pattern.name}", pattern))
    return found


def _page_urls(world) -> list[str]:
    """Every UI page, with the harness's objects where it has one (other ids are random: the page's 404 or 405)."""
    kwargs_for = _page_kwargs(world)
    urls = []
    for full_name, pattern in _ui_patterns():
        name = full_name.rsplit(":", 1)[-1]
        if name in ("healthz", "login"):
            continue
        kwargs = dict(kwargs_for.get(name, {}))
        for keyword, converter in pattern.pattern.converters.items():
            if keyword not in kwargs:
                if type(converter).__name__ != "UUIDConverter":
                    pytest.fail(f"the page {full_name} takes '{keyword}': add a value for it to _page_kwargs")
                kwargs[keyword] = uuid.uuid4()
        urls.append(reverse(full_name, kwargs=kwargs or None))
    return urls


@pytest.mark.django_db
def test_every_page_carries_the_policy_headers_and_no_inline_code(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = build_world()
    admin = make_user(["*"], is_staff=True, is_superuser=True)
    browser = BrowserClient()
    browser.force_login(admin)
    handoff = "/auth/mobile/handoff?redirect=alga://auth/callback&state=0123456789abcdef"
    urls = [*_page_urls(world), handoff, "/admin/", "/admin/accounts/user/", "/admin/psa/auditevent/", "/no-such-page/"]
    problems = {}
    for url in urls:
        response = browser.get(url, follow=True)
        # 400: a page that needs parameters; 405: a POST-only URL. Each still answers with the headers.
        assert response.status_code in (200, 400, 404, 405), f"{url}: {response.status_code}"
        policy = response.get("Content-Security-Policy", "")
        assert "default-src 'self'" in policy and "unsafe-inline" not in policy, (url, policy)
        assert "camera=()" in response.get("Permissions-Policy", ""), url
        if found := inline_code(response.content.decode()):
            problems[url] = found
    anonymous = BrowserClient().get(reverse("login"))
    problems.update({"login": found} if (found := inline_code(anonymous.content.decode())) else {})
    assert len(urls) > 40
    assert not problems, problems


@pytest.mark.django_db
def test_the_api_docs_load_their_start_up_script_from_a_file(db):
    browser = BrowserClient()
    browser.force_login(make_user(["*"]))
    page = browser.get("/api/docs/")
    script = browser.get("/api/docs/?script=")

    assert page.status_code == 200 and not inline_code(page.content.decode())
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


def test_api_responses_carry_the_headers_too(client, db):
    response = client.get("/api/v1/teapot")

    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["Permissions-Policy"]


# --- idle sign-out ---------------------------------------------------------------------------------------------------


def _session(browser) -> Session:
    return Session.objects.get(session_key=browser.cookies[settings.SESSION_COOKIE_NAME].value)


def test_sessions_expire_after_the_idle_time(db):
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_MINUTES * 60
    browser = BrowserClient()
    browser.force_login(make_user(["*"]))
    assert browser.get("/").status_code == 200
    # Idle for longer than PSA_SESSION_IDLE_MINUTES: the stored session has expired.
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))

    response = browser.get("/")

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_activity_renews_the_session_at_most_once_per_interval(db):
    browser = BrowserClient()
    browser.force_login(make_user(["*"]))
    browser.get("/")
    first = _session(browser).expire_date
    browser.get("/")
    assert _session(browser).expire_date == first, "a request within the interval wrote the session again"

    # The last renewal was long ago: the next request renews the expiry.
    session = browser.session
    session[SessionIdleMiddleware.SEEN_KEY] -= settings.SESSION_RENEW_INTERVAL + 1
    session.save()
    Session.objects.update(expire_date=timezone.now() + timedelta(minutes=1))
    browser.get("/")

    renewed = _session(browser).expire_date
    assert renewed > timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE - 120)


def test_api_key_requests_create_no_session(db):
    from tests.factories import api_for

    api, _, _ = api_for(["*"])
    assert api.get("/api/v1/users/@me").status_code == 200
    assert not Session.objects.exists()


# --- check --deploy ----------------------------------------------------------------------------------------------------


def _deploy_check(tmp_path, **env) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process; check --deploy warns about it; a production process never has it.
        if not key.startswith("PSA_") and key not in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    environment.update({"PSA_DATA_DIR": str(tmp_path), "PSA_ALLOWED_HOSTS": "psa.example.com", **env})
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_nothing_with_production_settings(tmp_path):
    result = _deploy_check(
        tmp_path, PSA_HTTPS="true", PSA_DEBUG="false", PSA_SECRET_KEY="k" + "x7Yq2-Zr9_LmN4pW8sT1vB6cD3fG0hJ5aE" * 2
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_names_what_is_missing_without_https(tmp_path):
    result = _deploy_check(tmp_path, PSA_DEBUG="false", PSA_SECRET_KEY="k" + "x7Yq2-Zr9_LmN4pW8sT1vB6cD3fG0hJ5aE" * 2)

    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr + result.stdout
