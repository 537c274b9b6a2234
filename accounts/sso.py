"""OpenID Connect single sign-on: providers an administrator configures, sign-in attempts, and linked identities.

A sign-in runs the authorization code flow with PKCE (``S256``), a random ``state`` and a random ``nonce``:

1. :func:`start` records a :class:`SsoLogin` (only the state's digest; the nonce and the PKCE verifier stay on
   the server) and returns the provider's authorization URL. The browser flow starts at
   ``/auth/sso/<key>/start``; API clients call ``GET /api/v1/auth/uri`` and get a ``callbackKey`` besides.
2. The provider sends the browser to ``/api/v1/auth/redirect`` (the redirect URI to register with it).
   :func:`finish` claims the attempt by its state exactly once (a replayed state is refused), trades the code for
   tokens, checks the ID token (``accounts.oidc``) and finds the user (:func:`match_user`).
3. A browser attempt signs the browser in; an API attempt waits for ``POST /api/v1/auth/token`` with its
   ``callbackKey``, which returns the same access and refresh tokens as mobile sign-in.

Users are found by the provider's ``sub`` once linked (:class:`SsoIdentity`); the first time, by a verified email
whose domain is allowed, linking the account; otherwise, when the provider may create users, a new user with the
provider's default role and no password. A deactivated user never signs in. The client secret is encrypted with
the vault's envelope scheme and never shown again, in the admin or anywhere else.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from accounts import oidc
from accounts.models import Role, User
from credentials.sealed import SealedSecret
from psa.models import BaseModel

SECRET_FIELD = "client_secret"
PRESET_ISSUERS = {
    "microsoft": "https://login.microsoftonline.com/<tenant id>/v2.0",
    "google": "https://accounts.google.com",
}
LOGIN_RE = re.compile(r"[^\w.@+-]")


class SsoProvider(SealedSecret, BaseModel):
    sealed_field = SECRET_FIELD

    class Preset(models.TextChoices):
        GENERIC = "generic", "Any OpenID Connect provider"
        MICROSOFT = "microsoft", "Microsoft Entra ID"
        GOOGLE = "google", "Google"

    key = models.SlugField(max_length=40, unique=True, help_text="Short name in URLs, e.g. entra.")
    name = models.CharField(max_length=100, help_text="Shown on the sign-in button: “Sign in with …”.")
    preset = models.CharField(max_length=20, choices=Preset.choices, default=Preset.GENERIC)
    issuer = models.URLField(
        max_length=300,
        help_text="The issuer URL; its /.well-known/openid-configuration is read. Entra: "
        "https://login.microsoftonline.com/<tenant id>/v2.0; Google: https://accounts.google.com.",
    )
    client_id = models.CharField(max_length=300)
    wrapped_key = models.BinaryField(null=True, editable=False)
    key_version = models.PositiveSmallIntegerField(null=True, editable=False)
    secret_ciphertext = models.BinaryField(null=True, editable=False)
    scopes = models.CharField(max_length=300, default="openid email profile")
    allowed_domains = models.JSONField(
        default=list, blank=True, help_text="Email domains that may sign in (empty: any verified address)."
    )
    create_users = models.BooleanField(
        default=False, help_text="Create a user on first sign-in when no user has the address."
    )
    default_role = models.ForeignKey(
        Role, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="Given to created users."
    )
    is_active = models.BooleanField(default=True)

    audit_exclude = frozenset({"wrapped_key", "key_version", "secret_ciphertext"})

    class Meta:
        ordering = ("name", "id")

    def __str__(self) -> str:
        return self.name

    def sealed_aad_id(self) -> str:
        return f"sso-provider-{self.pk}"

    set_client_secret = SealedSecret.seal
    client_secret = SealedSecret.unseal

    @property
    def has_client_secret(self) -> bool:
        return bool(self.secret_ciphertext)

    def domain_allowed(self, email: str) -> bool:
        domains = {d.strip().lower().lstrip("@") for d in self.allowed_domains or [] if d.strip()}
        return not domains or email.rsplit("@", 1)[-1].lower() in domains


class SsoIdentity(BaseModel):
    """A user's account at a provider (``sub``), linked on the first sign-in."""

    provider = models.ForeignKey(SsoProvider, on_delete=models.CASCADE, related_name="identities")
    subject = models.CharField(max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identities")
    email = models.EmailField(blank=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    audit_exclude = frozenset({"last_login_at"})

    class Meta:
        ordering = ("-created_at", "id")
        constraints = [models.UniqueConstraint(fields=["provider", "subject"], name="sso_identity_unique_subject")]

    def __str__(self) -> str:
        return f"{self.provider} identity of {self.user}"


class SsoLogin(BaseModel):
    """One sign-in attempt, from the authorization URL to the ID token (and, for API clients, the tokens)."""

    class Mode(models.TextChoices):
        BROWSER = "browser", "Browser"
        API = "api", "API client"

    provider = models.ForeignKey(SsoProvider, on_delete=models.CASCADE, related_name="+")
    mode = models.CharField(max_length=10, choices=Mode.choices)
    state_digest = models.CharField(max_length=64, unique=True, editable=False)
    nonce = models.CharField(max_length=64, editable=False)
    code_verifier = models.CharField(max_length=128, editable=False)
    redirect_uri = models.CharField(max_length=500, editable=False)
    callback = models.CharField(max_length=500, blank=True, help_text="Where a browser sign-in returns to.")
    callback_key_digest = models.CharField(max_length=64, blank=True, editable=False)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    failure = models.CharField(max_length=64, blank=True)
    redeemed_at = models.DateTimeField(null=True, blank=True)
    # An API client's sign-in is handed over only once the person types the code the client shows (RFC 8628's
    # user code): a sign-in link someone else sent cannot quietly give them your tokens.
    user_code = models.CharField(max_length=9, blank=True, editable=False)
    started_from = models.GenericIPAddressField(null=True, blank=True, editable=False)
    confirm_failures = models.PositiveSmallIntegerField(default=0, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    audit_exclude = frozenset({"state_digest", "nonce", "code_verifier", "callback_key_digest", "user_code"})

    class Meta:
        ordering = ("-created_at", "id")

    def __str__(self) -> str:
        return f"Sign-in through {self.provider_id}"


class SsoRefused(Exception):
    """A sign-in that must not go through. ``reason`` is for the audit log; the message is for the person."""

    def __init__(self, reason: str, message: str, attempt: SsoLogin | None = None) -> None:
        super().__init__(message)
        self.reason, self.attempt = reason, attempt


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def active_providers(callback: str | None = None) -> list[dict]:
    """The active providers for the sign-in page and the mobile capabilities: ``{key, name, preset, start_url}``."""
    query = f"?{urlencode({'callbackUrl': callback})}" if callback else ""
    return [
        {
            "key": p.key,
            "name": p.name,
            "preset": p.preset,
            "start_url": reverse("accounts:sso_start", kwargs={"key": p.key}) + query,
        }
        for p in SsoProvider.objects.filter(is_active=True).order_by("name", "id")
    ]


def redirect_uri(request) -> str:
    return request.build_absolute_uri(reverse("sso-redirect"))


@dataclass(frozen=True)
class Started:
    url: str
    attempt: SsoLogin
    callback_key: str | None
    user_code: str | None = None


CONFIRM_SESSION_KEY = "psa_sso_confirm"
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"  # RFC 8628 §6.1: consonants only, no look-alikes, no words


def new_user_code() -> str:
    letters = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(8))
    return f"{letters[:4]}-{letters[4:]}"


def normalise_user_code(value: str) -> str:
    return "".join(ch for ch in value.upper() if ch.isalnum())


def start(provider: SsoProvider, request, *, mode: str, callback: str = "") -> Started:
    """Record a new attempt and return the provider's authorization URL (and an API client's callback key)."""
    meta = oidc.metadata(provider.issuer)
    state, nonce, pkce = secrets.token_urlsafe(32), secrets.token_urlsafe(32), oidc.new_pkce()
    callback_key = secrets.token_urlsafe(32) if mode == SsoLogin.Mode.API else None
    user_code = new_user_code() if mode == SsoLogin.Mode.API else ""
    attempt = SsoLogin.objects.create(
        provider=provider,
        mode=mode,
        state_digest=_digest(state),
        nonce=nonce,
        code_verifier=pkce.verifier,
        redirect_uri=redirect_uri(request),
        callback=callback[:500],
        callback_key_digest=_digest(callback_key) if callback_key else "",
        user_code=user_code,
        started_from=request.META.get("REMOTE_ADDR") or None,
        expires_at=timezone.now() + timedelta(seconds=settings.SSO_LOGIN_TTL),
    )
    extra = {"prompt": "select_account"} if provider.preset in ("microsoft", "google") else {}
    url = oidc.authorization_url(
        meta, client_id=provider.client_id, redirect_uri=attempt.redirect_uri, scope=provider.scopes, state=state,
        nonce=nonce, challenge=pkce.challenge, extra=extra,
    )  # fmt: skip
    return Started(url, attempt, callback_key, user_code or None)


def claim(state: str) -> SsoLogin:
    """The attempt of ``state``, claimed for this request only: a state seen before, or expired, is refused."""
    attempt = SsoLogin.objects.select_related("provider").filter(state_digest=_digest(state)).first()
    if attempt is None:
        raise SsoRefused("unknown_state", "This sign-in link is not known. Start signing in again.")
    now = timezone.now()
    if not SsoLogin.objects.filter(pk=attempt.pk, used_at__isnull=True).update(used_at=now, updated_at=now):
        raise SsoRefused("replayed_state", "This sign-in was already used. Start signing in again.", attempt)
    if attempt.expires_at <= now:
        raise SsoRefused("expired_state", "This sign-in took too long. Start signing in again.", attempt)
    if not attempt.provider.is_active:
        raise SsoRefused("provider_inactive", "This sign-in provider is turned off.", attempt)
    return attempt


def finish(state: str, code: str, browser_attempts: frozenset[str] = frozenset()) -> tuple[SsoLogin, User, dict]:
    """Complete the attempt of ``state`` with the provider's ``code``: the attempt, the user and the ID token claims.

    A browser attempt must come back to the browser that started it (``browser_attempts``, from its session).
    """
    attempt = claim(state)
    provider = attempt.provider
    if attempt.mode == SsoLogin.Mode.BROWSER and str(attempt.pk) not in browser_attempts:
        _fail(attempt, "other_browser")
        raise SsoRefused("other_browser", "This sign-in was started in another browser. Start again here.", attempt)
    try:
        meta = oidc.metadata(provider.issuer)
        id_token = oidc.exchange_code(
            meta, client_id=provider.client_id, client_secret=provider.client_secret(), code=code,
            redirect_uri=attempt.redirect_uri, verifier=attempt.code_verifier,
        )  # fmt: skip
        claims = oidc.validate_id_token(meta, id_token, client_id=provider.client_id, nonce=attempt.nonce)
    except oidc.OidcError as error:
        _fail(attempt, error.reason)
        raise SsoRefused(error.reason, f"Sign-in with {provider.name} failed: {error}", attempt) from None
    provider.rewrap_if_stale()
    try:
        user = match_user(provider, claims)
    except SsoRefused as refused:
        _fail(attempt, refused.reason)
        refused.attempt = attempt
        raise
    SsoLogin.objects.filter(pk=attempt.pk).update(user=user, code_verifier="", nonce="", updated_at=timezone.now())
    attempt.user = user
    return attempt, user, claims


def _fail(attempt: SsoLogin, reason: str) -> None:
    SsoLogin.objects.filter(pk=attempt.pk).update(failure=reason[:64], code_verifier="", updated_at=timezone.now())


def verified_email(provider: SsoProvider, claims: dict[str, Any]) -> str | None:
    """The address the provider vouches for. Entra ID sends no ``email_verified``: there an address counts only
    within the provider's allowed domains, which must then be set (the tenant's own domains)."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        return None
    if claims.get("email_verified") is True:
        return email
    if provider.preset == SsoProvider.Preset.MICROSOFT and provider.allowed_domains and "email_verified" not in claims:
        return email
    return None


def match_user(provider: SsoProvider, claims: dict[str, Any]) -> User:
    subject = str(claims["sub"])[:255]
    identity = SsoIdentity.objects.select_related("user").filter(provider=provider, subject=subject).first()
    if identity is not None:
        _refuse_inactive(identity.user)
        SsoIdentity.objects.filter(pk=identity.pk).update(last_login_at=timezone.now())
        return identity.user
    email = verified_email(provider, claims)
    if email is None:
        raise SsoRefused("email_not_verified", f"{provider.name} did not confirm an email address for you.")
    if not provider.domain_allowed(email):
        raise SsoRefused("domain_not_allowed", f"Addresses at {email.rsplit('@', 1)[-1]} may not sign in here.")
    matches = list(User.objects.filter(email__iexact=email)[:2])
    if len(matches) > 1:
        raise SsoRefused("email_ambiguous", "More than one PSA user has this email address. Ask an administrator.")
    with transaction.atomic():
        if matches:
            user = matches[0]
            _refuse_inactive(user)
            created = False
        elif provider.create_users:
            user, created = _create_user(provider, email, claims), True
        else:
            raise SsoRefused("no_such_user", "No PSA user has this email address. Ask an administrator for access.")
        SsoIdentity.objects.create(
            provider=provider, subject=subject, user=user, email=email, last_login_at=timezone.now()
        )
    user.sso_created = created
    user.sso_linked = True
    return user


def _refuse_inactive(user: User) -> None:
    if not user.is_active:
        raise SsoRefused("user_inactive", "This account is deactivated.")


def _create_user(provider: SsoProvider, email: str, claims: dict[str, Any]) -> User:
    base = LOGIN_RE.sub("", email.split("@", 1)[0])[:140] or "user"
    login, n = base, 1
    while User.objects.filter(login__iexact=login).exists():
        n += 1
        login = f"{base}{n}"
    name = claims.get("name") if isinstance(claims.get("name"), str) else ""
    user = User.objects.create_user(login=login, email=email, password=None, name=name[:200])
    if provider.default_role is not None:
        user.roles.add(provider.default_role)
    return user


def redeem(callback_key: str) -> SsoLogin:
    """The finished API attempt of ``callback_key``, redeemed once. Raises :class:`SsoRefused` (``pending`` while
    the person has not finished signing in)."""
    attempt = (
        SsoLogin.objects.select_related("user", "provider")
        .filter(callback_key_digest=_digest(callback_key), mode=SsoLogin.Mode.API)
        .first()
    )
    if attempt is None or attempt.expires_at <= timezone.now() - timedelta(seconds=settings.SSO_LOGIN_TTL):
        raise SsoRefused("unknown_callback_key", "This sign-in is not known or has expired. Start again.")
    if attempt.failure:
        raise SsoRefused(attempt.failure, "This sign-in failed. Start again.", attempt)
    if attempt.user is None or attempt.confirmed_at is None:
        raise SsoRefused("pending", "The sign-in in the browser is not finished yet.", attempt)
    now = timezone.now()
    if not SsoLogin.objects.filter(pk=attempt.pk, redeemed_at__isnull=True).update(redeemed_at=now, updated_at=now):
        raise SsoRefused("callback_key_replayed", "This sign-in was already used. Start again.", attempt)
    if not attempt.user.is_active:
        raise SsoRefused("user_inactive", "This account is deactivated.", attempt)
    return attempt


def awaiting_confirmation(attempt_id: str | None) -> SsoLogin | None:
    """The API attempt a browser finished and has yet to confirm, while it may still be confirmed."""
    if not attempt_id:
        return None
    attempt = (
        SsoLogin.objects.select_related("user", "provider")
        .filter(pk=attempt_id, mode=SsoLogin.Mode.API, user__isnull=False, confirmed_at__isnull=True, failure="")
        .first()
    )
    if attempt is None or attempt.expires_at <= timezone.now() - timedelta(seconds=settings.SSO_LOGIN_TTL):
        return None  # the client stops collecting then too
    return attempt


def confirm(attempt: SsoLogin, typed_code: str) -> bool:
    """Hand the sign-in over to the API client when ``typed_code`` is its user code. Too many wrong codes
    (``PSA_SSO_CONFIRM_ATTEMPTS``) fail the attempt: the client must start again."""
    if hmac.compare_digest(normalise_user_code(typed_code), normalise_user_code(attempt.user_code)):
        now = timezone.now()
        return bool(
            SsoLogin.objects.filter(pk=attempt.pk, confirmed_at__isnull=True, failure="").update(
                confirmed_at=now, updated_at=now
            )
        )
    counted = SsoLogin.objects.filter(pk=attempt.pk)
    counted.update(confirm_failures=models.F("confirm_failures") + 1)
    if counted.values_list("confirm_failures", flat=True).get() >= settings.SSO_CONFIRM_ATTEMPTS:
        _fail(attempt, "confirm_code_wrong")
        raise SsoRefused("confirm_code_wrong", "Too many wrong codes. Start signing in again from your app.", attempt)
    return False


def decline(attempt: SsoLogin) -> None:
    _fail(attempt, "declined")
