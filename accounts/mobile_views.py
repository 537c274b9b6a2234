"""The browser half of mobile sign-in: ``/auth/signin`` and ``/auth/mobile/handoff`` (seed 001).

``/auth/signin?callbackUrl=`` is the ordinary sign-in page; after sign-in it returns to ``callbackUrl`` only when
that is on this site (Django's ``url_has_allowed_host_and_scheme``: no other host, no ``//host``, no backslash
tricks, no ``javascript:``), otherwise to the dashboard.

``/auth/mobile/handoff?redirect=&state=`` sends the browser to the app's deep link with a one-time token. It does
so at once right after the user signed in for this very request (the sign-in page remembers the state it was
sent back for); a browser that was already signed in is asked to confirm with a POST first, so a link planted on
another site cannot silently hand a token to whatever app claims the scheme on that device.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.forms import LoginForm
from accounts.mobile import MobileHandoff, MobileSession, sso_providers
from accounts.two_factor_views import HANDOFF_STATE_KEY, TwoFactorLoginMixin
from psa import audit

# Schemes that would turn the handoff into an open redirect to the web, whatever the allow-list says.
WEB_SCHEMES = frozenset({"http", "https", "javascript", "data", "file", "vbscript", "ftp", "blob", "about"})
STATE_PATTERN = re.compile(r"^[A-Za-z0-9._~-]{8,512}$")
REDIRECT_MAX_LENGTH = 500
SESSION_STATE_KEY = HANDOFF_STATE_KEY


class DeepLinkRedirect(HttpResponseRedirect):
    """A redirect to the app's own scheme (Django allows only http, https and ftp by default)."""

    def __init__(self, url: str, scheme: str) -> None:
        self.allowed_schemes = [scheme]
        super().__init__(url)


def allowed_redirect(value: str | None) -> str | None:
    """``value`` if it is a deep link on ``PSA_MOBILE_REDIRECT_SCHEMES``, else ``None``."""
    if not value or len(value) > REDIRECT_MAX_LENGTH or any(c.isspace() or ord(c) < 32 for c in value):
        return None
    if "\\" in value:
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    allowed = {s.strip().lower() for s in settings.MOBILE_REDIRECT_SCHEMES} - WEB_SCHEMES
    if scheme not in allowed or parts.fragment or "@" in parts.netloc:
        return None
    return value


def valid_state(value: str | None) -> bool:
    return bool(value) and STATE_PATTERN.match(value) is not None


def deep_link(redirect_to: str, **params: str) -> DeepLinkRedirect:
    parts = urlsplit(redirect_to)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return DeepLinkRedirect(urlunsplit(parts._replace(query=query)), parts.scheme.lower())


class SignInView(TwoFactorLoginMixin, auth_views.LoginView):
    """The login page under seed 001's path, returning to ``callbackUrl`` when it is same-origin."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True
    redirect_field_name = "callbackUrl"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            form_action=self.request.path,
            redirect_field_name=self.redirect_field_name,
            redirect_to=self.get_redirect_url(),
            sso_providers=sso_providers(self.get_redirect_url()),
        )
        return context

    def handoff_state(self) -> str | None:
        return _handoff_state(self.get_redirect_url())

    def form_valid(self, form):
        response = super().form_valid(form)  # with a second factor, the code step signs in (and sets the state)
        state = self.handoff_state()
        if state is not None and self.request.user.is_authenticated:
            # Signed in for this handoff: it may send the token without asking again.
            self.request.session[SESSION_STATE_KEY] = state
        return response


def _handoff_state(callback: str) -> str | None:
    """The ``state`` of a same-origin callback that is the mobile handoff, else ``None``."""
    if not callback:
        return None
    parts = urlsplit(callback)
    if parts.path != reverse("accounts:mobile_handoff"):
        return None
    values = parse_qs(parts.query).get("state") or [None]
    return values[0] if valid_state(values[0]) else None


def _refuse(request, message: str):
    return render(request, "accounts/mobile_handoff.html", {"error": message}, status=400)


@never_cache
@require_http_methods(["GET", "POST"])
def mobile_handoff(request):
    params = request.POST if request.method == "POST" else request.GET
    redirect_to = allowed_redirect(params.get("redirect"))
    state = params.get("state")
    if redirect_to is None:
        return _refuse(request, "This sign-in link does not lead back to an app PSA knows, so it was not followed.")
    if not valid_state(state):
        return _refuse(request, "This sign-in link is incomplete (its state is missing or malformed). Start again.")
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:signin')}?{urlencode({'callbackUrl': request.get_full_path()})}")
    return _handoff_signed_in(request, redirect_to, state)


def _handoff_signed_in(request, redirect_to: str, state: str):
    fresh = request.session.pop(SESSION_STATE_KEY, None) == state
    if request.method == "GET" and not fresh:
        context = {"redirect": redirect_to, "state": state, "app": urlsplit(redirect_to).scheme}
        return render(request, "accounts/mobile_handoff.html", context)
    handoff, ott = MobileHandoff.issue(request.user, state)
    audit.record(request, "mobile_handoff", handoff, changes={"redirect": {"old": None, "new": redirect_to}})
    return deep_link(redirect_to, ott=ott, state=state)


def sessions_of(user) -> list[MobileSession]:
    """The user's mobile sessions for the profile page, live ones first."""
    recent = MobileSession.objects.filter(user=user).select_related("access_key").order_by("-created_at", "id")
    sessions = list(recent[:100])
    live = [s for s in sessions if s.is_active]
    ended = [s for s in sessions if not s.is_active][:20]
    return live + ended


@require_http_methods(["POST"])
@never_cache
def revoke_session(request, pk):
    """Sign one of the user's own devices out (a POST from the profile page)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    session = get_object_or_404(MobileSession, pk=pk, user=request.user)
    with transaction.atomic():
        if session.revoke("revoked_by_user"):
            audit.record(
                request, "revoke", session, changes={"revoked_at": {"old": None, "new": str(session.revoked_at)}}
            )
            messages.success(request, f"Signed out {session.device_label}. The app on it must sign in again.")
        else:
            messages.info(request, "That mobile session had already ended.")
    return redirect(reverse("accounts:profile") + "#mobile-sessions")
