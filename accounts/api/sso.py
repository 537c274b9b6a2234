"""Single sign-on for API clients and the provider's redirect (seed 004's ``/auth/uri``, ``/auth/redirect``,
``/auth/refresh``), under ``/api/v1``:

- ``GET /auth/uri?provider=`` starts a sign-in: ``{uri, callbackKey}``. The client opens ``uri`` in a browser and
  keeps ``callbackKey`` to itself.
- ``GET /auth/redirect?code=&state=`` is where the provider sends the browser (register it as the redirect URI). A
  browser sign-in (from the sign-in page) is signed in and returned to where it started; an API client's sign-in is
  marked finished and the browser is shown "return to your app".
- ``POST /auth/token`` ``{callbackKey}`` replaces seed 004's WebSocket: the client asks (every few seconds) until the
  sign-in is finished (409 until then) and gets ``{accessToken, refreshToken, expiresInSec, tenantId, user}`` once.
- ``POST /auth/refresh`` with ``x-refresh-token`` (or ``{refreshToken}``) rotates the pair, as mobile sign-in does;
  a refresh token used twice ends the whole session.

They take no credentials and are rate-limited per address (``PSA_SSO_RATE_LIMIT``). Every refusal is audited.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.response import Response

from accounts import mobile, oidc, sso
from accounts.api.mobile import DeviceSerializer, PublicMobileView, TokensSerializer, _act_as, _refused, _tokens_body
from accounts.mobile import MobileHandoff, TokenRefused
from accounts.sso import SsoLogin, SsoProvider, SsoRefused
from psa import audit, ratelimit
from psa.api.exceptions import error_response
from psa.api.schema import EnvelopeAutoSchema
from psa.api.serializers import PassiveSerializer

SSO_BACKEND = "django.contrib.auth.backends.ModelBackend"
HANDOFF_STATE_KEY = "psa_mobile_handoff_state"


def throttle(request, route: str) -> None:
    """``PSA_SSO_RATE_LIMIT`` requests per address on each sign-on route; past it, 429 with ``Retry-After``."""
    rate = ratelimit.parse_rate(settings.SSO_RATE_LIMIT)
    usage = ratelimit.hit(f"sso:{route}:{request.META.get('REMOTE_ADDR') or 'unknown'}", rate)
    if not usage.allowed:
        raise Throttled(wait=usage.reset)


def audit_refusal(request, refused: SsoRefused, provider: SsoProvider | None = None) -> None:
    provider = provider or (refused.attempt.provider if refused.attempt is not None else None)
    changes = {"reason": refused.reason, "provider": provider.key if provider else None}
    audit.record(request, "sso_refused", refused.attempt, object_type="accounts.ssologin", changes=changes,
                 outcome="denied")  # fmt: skip


class PublicSsoView(PublicMobileView):
    schema = EnvelopeAutoSchema()


class UriSerializer(serializers.Serializer):
    uri = serializers.CharField(help_text="Open this in a browser: the provider's sign-in page")
    callbackKey = serializers.CharField(help_text="Secret to this client: POST it to /auth/token for the tokens")
    userCode = serializers.CharField(
        help_text="Show this to the person: after signing in, the browser asks for it before handing the sign-in over"
    )


def provider_of(key: str | None) -> SsoProvider:
    active = SsoProvider.objects.filter(is_active=True)
    if key:
        found = active.filter(key=key).first()
        if found is None:
            raise ValidationError({"provider": [f"No active sign-in provider is called '{key[:40]}'."]})
        return found
    providers = list(active.order_by("name", "id")[:2])
    if len(providers) != 1:
        names = ", ".join(active.order_by("key").values_list("key", flat=True)) or "none is configured"
        raise ValidationError({"provider": [f"Name the provider ({names})."]})
    return providers[0]


class AuthUriView(PublicSsoView):
    @extend_schema(
        parameters=[OpenApiParameter("provider", str, description="The provider's key; optional when only one")],
        responses={200: UriSerializer},
        auth=[],
        summary="Start a single sign-on for an API client",
    )
    def get(self, request):
        throttle(request, "uri")
        key = request.query_params.get("provider")
        if key is not None and len(key) > 40:
            raise ValidationError({"provider": ["At most 40 characters."]})
        provider = provider_of(key)
        try:
            started = sso.start(provider, request, mode=SsoLogin.Mode.API)
        except oidc.OidcError as error:
            return error_response(502, "PROVIDER_ERROR", str(error))
        return Response({"uri": started.url, "callbackKey": started.callback_key, "userCode": started.user_code})


class RedirectQuerySerializer(PassiveSerializer):
    state = serializers.CharField(max_length=512)
    code = serializers.CharField(max_length=4096, required=False)
    error = serializers.CharField(max_length=200, required=False)
    error_description = serializers.CharField(max_length=2000, required=False)
    error_uri = serializers.CharField(max_length=2000, required=False)
    iss = serializers.CharField(max_length=300, required=False)
    # What providers add beside the protocol's own: Entra ID's session_state; Google's scope, authuser, prompt, hd.
    session_state = serializers.CharField(max_length=500, required=False)
    scope = serializers.CharField(max_length=2000, required=False)
    authuser = serializers.CharField(max_length=20, required=False)
    prompt = serializers.CharField(max_length=50, required=False)
    hd = serializers.CharField(max_length=255, required=False)


class AuthRedirectView(PublicSsoView):
    @extend_schema(
        parameters=[RedirectQuerySerializer],
        responses={302: OpenApiResponse(description="To where the sign-in started, or to the sign-in page")},
        auth=[],
        summary="The provider's redirect back (the OpenID Connect redirect URI)",
    )
    def get(self, request):
        throttle(request, "redirect")
        query = RedirectQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        data = query.validated_data
        if "code" not in data and "error" not in data:
            raise ValidationError({"code": ["This field is required."]})
        django_request = request._request
        try:
            if "error" in data:  # the person cancelled, or the provider refused: burn the state either way
                attempt = sso.claim(data["state"])
                sso._fail(attempt, "provider_refused")
                raise SsoRefused("provider_refused", f"{attempt.provider.name} did not sign you in.", attempt)
            attempt, user, _ = sso.finish(data["state"], data["code"], browser_attempts=_browser_attempts(request))
        except SsoRefused as refused:
            audit_refusal(request, refused)
            messages.error(django_request, str(refused))
            if refused.attempt is not None and refused.attempt.mode == SsoLogin.Mode.API:
                return HttpResponseRedirect(reverse("accounts:sso_done") + "?failed=1")
            return HttpResponseRedirect(reverse("login"))
        _act_as(request, user)
        _audit_link(request, attempt, user)
        if attempt.mode == SsoLogin.Mode.API:
            django_request.session[sso.CONFIRM_SESSION_KEY] = str(attempt.pk)
            return HttpResponseRedirect(reverse("accounts:sso_confirm"))
        login(django_request, user, backend=SSO_BACKEND)
        return HttpResponseRedirect(_safe_callback(django_request, attempt.callback))


def _browser_attempts(request) -> frozenset[str]:
    from accounts.sso_views import BROWSER_ATTEMPTS_KEY

    return frozenset(request._request.session.get(BROWSER_ATTEMPTS_KEY, []))


def _audit_link(request, attempt: SsoLogin, user) -> None:
    if getattr(user, "sso_created", False):
        audit.record(request, "sso_user_created", user, client_id=None, changes={"provider": attempt.provider.key})
    elif getattr(user, "sso_linked", False):
        audit.record(request, "sso_linked", user, client_id=None, changes={"provider": attempt.provider.key})


def _safe_callback(request, callback: str) -> str:
    """Where a browser sign-in returns: its same-origin callback (re-checked), else the dashboard. A mobile handoff
    callback may then send the app its token without asking again, as after a password sign-in."""
    allowed = url_has_allowed_host_and_scheme(callback, {request.get_host()}, require_https=request.is_secure())
    if not callback or not allowed:
        return reverse(settings.LOGIN_REDIRECT_URL)
    parts = urlsplit(callback)
    if parts.path == reverse("accounts:mobile_handoff"):
        state = (parse_qs(parts.query).get("state") or [None])[0]
        if state:
            request.session[HANDOFF_STATE_KEY] = state
    return callback


class TokenRequestSerializer(PassiveSerializer):
    callbackKey = serializers.CharField(max_length=200)
    device = DeviceSerializer(required=False)


class AuthTokenView(PublicSsoView):
    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokensSerializer},
        auth=[],
        summary="Collect the tokens of a finished single sign-on (409 while it is not finished)",
    )
    def post(self, request):
        throttle(request, "token")
        body = TokenRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            attempt = sso.redeem(body.validated_data["callbackKey"])
        except SsoRefused as refused:
            if refused.reason == "pending":
                return error_response(409, "CONFLICT", str(refused))
            audit_refusal(request, refused)
            return error_response(401, "UNAUTHORIZED", str(refused), headers={"WWW-Authenticate": "Bearer"})
        # The mobile session machinery issues the pair: a handoff minted and redeemed at once, bound to this attempt.
        state = f"sso-{attempt.pk}"
        _, ott = MobileHandoff.issue(attempt.user, state)
        issued = mobile.redeem_handoff(
            ott, state, body.validated_data.get("device", {}), request.META.get("REMOTE_ADDR")
        )
        _act_as(request, attempt.user, issued.access_key)
        changes = {**audit.diff({}, audit.snapshot(issued.session)), "provider": attempt.provider.key}
        audit.record(request, "sso_login", issued.session, changes=changes)
        return Response(_tokens_body(issued))


class RefreshRequestSerializer(PassiveSerializer):
    refreshToken = serializers.CharField(max_length=200, required=False)
    device = DeviceSerializer(required=False)


class AuthRefreshView(PublicSsoView):
    @extend_schema(
        request=RefreshRequestSerializer,
        parameters=[OpenApiParameter("x-refresh-token", OpenApiTypes.STR, OpenApiParameter.HEADER)],
        responses={200: TokensSerializer},
        auth=[],
        summary="Rotate the refresh token (seed 004's x-refresh-token header, or refreshToken in the body)",
    )
    def post(self, request):
        throttle(request, "refresh")
        body = RefreshRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        token = request.META.get("HTTP_X_REFRESH_TOKEN") or body.validated_data.get("refreshToken")
        if not token or len(token) > 200:
            raise ValidationError({"refreshToken": ["Send the refresh token in x-refresh-token or refreshToken."]})
        try:
            issued = mobile.rotate_refresh(
                token, body.validated_data.get("device", {}), request.META.get("REMOTE_ADDR")
            )
        except TokenRefused as refused:
            return _refused(request, refused)
        _act_as(request, issued.session.user, issued.access_key)
        audit.record(request, "refresh", issued.session, changes={"access_key": {"old": None, "new": "rotated"}})
        return Response(_tokens_body(issued))


urlpatterns = [
    path("auth/uri", AuthUriView.as_view(), name="sso-uri"),
    path("auth/redirect", AuthRedirectView.as_view(), name="sso-redirect"),
    path("auth/token", AuthTokenView.as_view(), name="sso-token"),
    path("auth/refresh", AuthRefreshView.as_view(), name="sso-refresh"),
]
