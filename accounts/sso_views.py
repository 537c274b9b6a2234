"""The browser side of single sign-on: the sign-in page's "Sign in with …" buttons, and the page an API client's
sign-in ends on. The provider's redirect itself is ``/api/v1/auth/redirect`` (accounts.api.sso)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts import oidc, sso
from accounts.sso import SsoLogin, SsoProvider
from psa import audit, ratelimit

BROWSER_ATTEMPTS_KEY = "psa_sso_attempts"


@never_cache
@require_GET
def start(request, key: str):
    """Send the browser to the provider; after sign-in it returns to ``callbackUrl`` when that is same-origin."""
    provider = SsoProvider.objects.filter(key=key, is_active=True).first()
    if provider is None:
        raise Http404("No such sign-in provider.")
    rate = ratelimit.parse_rate(settings.SSO_RATE_LIMIT)
    usage = ratelimit.hit(f"sso:start:{request.META.get('REMOTE_ADDR') or 'unknown'}", rate)
    if not usage.allowed:
        response = render(request, "accounts/sso_done.html", {"too_many": True}, status=429)
        response["Retry-After"] = str(usage.reset)
        return response
    callback = request.GET.get("callbackUrl", "")
    safe = url_has_allowed_host_and_scheme(callback, {request.get_host()}, require_https=request.is_secure())
    try:
        started = sso.start(provider, request, mode=SsoLogin.Mode.BROWSER, callback=callback if safe else "")
    except oidc.OidcError as error:
        messages.error(request, f"Sign-in with {provider.name} is not available right now: {error}")
        return redirect("login")
    # The attempt belongs to this browser: a redirect carrying its state in another browser is refused, so nobody can
    # sign someone else in as themselves by sending them a finished link (login CSRF).
    request.session[BROWSER_ATTEMPTS_KEY] = [
        *request.session.get(BROWSER_ATTEMPTS_KEY, [])[-4:],
        str(started.attempt.pk),
    ]
    return redirect(started.url)


@never_cache
@require_GET
def done(request):
    """Where an API client's sign-in ends in the browser (seed 004 closes the window here)."""
    return render(request, "accounts/sso_done.html", {"failed": "failed" in request.GET})


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request):
    """Before an API client gets the tokens of a sign-in, the person types the code the client shows. Whoever sent
    someone a sign-in link has no way to type it for them: the code is on the sender's screen, not the victim's."""
    attempt = sso.awaiting_confirmation(request.session.get(sso.CONFIRM_SESSION_KEY))
    if attempt is None:
        return redirect("accounts:sso_done")
    # Plain values: the person signing in is not a PSA caller with nodes, so the page shows only what is theirs.
    context = {
        "login": attempt.user.login, "provider_name": attempt.provider.name, "started_from": attempt.started_from,
        "started_at": attempt.created_at, "wrong": False,
    }  # fmt: skip
    if request.method == "POST":
        if "decline" in request.POST:
            sso.decline(attempt)
            _audit(request, attempt, "sso_refused", {"reason": "declined"}, "denied")
            return _finished(request, failed=True)
        try:
            if sso.confirm(attempt, request.POST.get("code", "")[:40]):
                _audit(request, attempt, "sso_api_confirmed", {"provider": attempt.provider.key}, "success")
                return _finished(request, failed=False)
        except sso.SsoRefused as refused:
            _audit(request, attempt, "sso_refused", {"reason": refused.reason}, "denied")
            messages.error(request, str(refused))
            return _finished(request, failed=True)
        _audit(request, attempt, "sso_confirm_code_wrong", {"provider": attempt.provider.key}, "denied")
        context["wrong"] = True
    return render(request, "accounts/sso_confirm.html", context, status=400 if context["wrong"] else 200)


def _audit(request, attempt: SsoLogin, action: str, changes: dict, outcome: str) -> None:
    audit.record(request, action, attempt, object_type="accounts.ssologin", changes=changes, outcome=outcome)


def _finished(request, *, failed: bool):
    request.session.pop(sso.CONFIRM_SESSION_KEY, None)
    return redirect(reverse("accounts:sso_done") + ("?failed=1" if failed else ""))
