"""Mobile sign-in (seed 001): one-time handoff tokens, mobile sessions with rotating refresh tokens, push tokens.

The flow, as the AlgaPSA app drives it:

1. The app opens ``/auth/signin?callbackUrl=<handoff URL>`` in the system browser; the user signs in there.
2. ``/auth/mobile/handoff?redirect=alga://auth/callback&state=<random>`` mints a :class:`MobileHandoff` (the
   ``ott``), single-use, bound to the user and the state, valid ``MOBILE_OTT_TTL`` seconds, and sends the browser
   to ``alga://auth/callback?ott=...&state=...``.
3. The app posts ``{ott, state, device}`` to ``/api/v1/mobile/auth/exchange`` and gets an access token (an
   :class:`~accounts.models.ApiKey` of purpose ``mobile_session``, ``MOBILE_ACCESS_TTL`` seconds) and a refresh
   token. A :class:`MobileSession` ties both to the device.
4. ``/refresh`` rotates the refresh token and the access key. An old refresh token presented again means it was
   copied: the whole session (its family of tokens) is revoked and the attempt is audited.

Every secret (ott, refresh token) is stored only as an HMAC-SHA256 digest keyed by the API-key pepper.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from accounts.models import ApiKey, User
from psa import generations
from psa.models import BaseModel
from psa.nodes import category, node

OTT_PREFIX = "pso"
REFRESH_PREFIX = "psr"
TOKEN_BYTES = 32  # 256 bits

MOBILE = category("mobile", "Mobile App Permissions", "What the mobile app may do for its signed-in user")
node("mobile.push_token", "Register and remove the push token of your own devices", MOBILE)


def sso_providers(callback: str | None = None) -> list[dict]:
    """The single-sign-on providers configured for sign-in, as ``{key, name, start_url}``.

    ``accounts.sso`` lists the active OpenID Connect providers; each ``start_url`` returns to ``callback`` (a
    same-origin URL, e.g. the mobile handoff) after sign-in. The sign-in page and the mobile capabilities list them.
    """
    from accounts.sso import active_providers

    return active_providers(callback)


def token_digest(token: str, pepper_version: int) -> str:
    pepper = settings.API_KEY_PEPPERS[pepper_version]
    return hmac.new(pepper.encode(), token.encode(), hashlib.sha256).hexdigest()


def _new_token(prefix: str) -> tuple[str, str, int]:
    """A new token with its digest under the newest pepper: ``(token, digest, pepper_version)``."""
    version = max(settings.API_KEY_PEPPERS)
    token = f"{prefix}_{secrets.token_urlsafe(TOKEN_BYTES)}"
    return token, token_digest(token, version), version


def _digests(token: str) -> list[str]:
    """The token's digest under every pepper still configured, so a rotated pepper keeps old tokens working."""
    return [token_digest(token, version) for version in sorted(settings.API_KEY_PEPPERS)]


def state_digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


class MobileHandoff(BaseModel):
    """A one-time token (``ott``) minted by the browser handoff and redeemed once by ``/mobile/auth/exchange``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    state_digest = models.CharField(max_length=64, editable=False)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    session = models.ForeignKey(
        "accounts.MobileSession", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    audit_exclude = frozenset({"digest", "state_digest"})

    class Meta:
        ordering = ("-created_at", "id")

    def __str__(self) -> str:
        return f"Mobile handoff for {self.user_id}"

    @classmethod
    def issue(cls, user: User, state: str) -> tuple[MobileHandoff, str]:
        """Mint an ott for ``user`` bound to ``state``; returns it with the token, which is never stored."""
        token, digest, _ = _new_token(OTT_PREFIX)
        expires = timezone.now() + timedelta(seconds=settings.MOBILE_OTT_TTL)
        handoff = cls.objects.create(user=user, digest=digest, state_digest=state_digest(state), expires_at=expires)
        return handoff, token


class MobileSession(BaseModel):
    """One signed-in device: its current access key and the family of refresh tokens issued to it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mobile_sessions")
    device_id = models.CharField(max_length=200, blank=True)
    platform = models.CharField(max_length=50, blank=True)
    app_version = models.CharField(max_length=50, blank=True)
    build_version = models.CharField(max_length=50, blank=True)
    access_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_ip = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(max_length=50, blank=True)

    audit_exclude = frozenset({"last_used_at", "last_ip"})

    class Meta:
        ordering = ("-created_at", "id")
        indexes = [models.Index(fields=["user", "revoked_at"], name="mobilesession_user_revoked")]

    def __str__(self) -> str:
        return f"{self.device_label} ({self.user})"

    @property
    def device_label(self) -> str:
        parts = [p for p in (self.platform, self.app_version and f"app {self.app_version}") if p]
        return " · ".join(parts) or "Mobile device"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def last_activity(self):
        """When the device last called the API (the access key's last use) or refreshed, whichever is later."""
        moments = [m for m in (self.last_used_at, getattr(self.access_key, "last_used_at", None)) if m]
        return max(moments) if moments else None

    def revoke(self, reason: str) -> bool:
        """End the session: its access key stops working and no refresh token of its family is accepted."""
        now = timezone.now()
        ended = MobileSession.objects.filter(pk=self.pk, revoked_at__isnull=True).update(
            revoked_at=now, revoke_reason=reason[:50], updated_at=now
        )
        ApiKey.objects.filter(pk__in=self.keys_issued()).filter(is_active=True).update(
            is_active=False, revoked_at=now, updated_at=now
        )
        generations.bump(generations.ACCESS)  # update() sends no signal
        self.revoked_at, self.revoke_reason = (now, reason[:50]) if ended else (self.revoked_at, self.revoke_reason)
        return bool(ended)

    def keys_issued(self) -> models.QuerySet:
        return MobileRefreshToken.objects.filter(session=self, access_key__isnull=False).values("access_key")


class MobileRefreshToken(BaseModel):
    """One refresh token of a session's family; ``used_at`` is set when it was rotated into the next one."""

    session = models.ForeignKey(MobileSession, on_delete=models.CASCADE, related_name="refresh_tokens")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    access_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    audit_exclude = frozenset({"digest"})

    class Meta:
        ordering = ("-created_at", "id")

    def __str__(self) -> str:
        return f"Refresh token of {self.session_id}"


class PushToken(BaseModel):
    """A device's push-notification token (Expo), one per user and device. Sending push is not built yet."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_tokens")
    session = models.ForeignKey(MobileSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    device_id = models.CharField(max_length=200)
    platform = models.CharField(max_length=50)
    app_version = models.CharField(max_length=50, blank=True)
    token = models.CharField(max_length=500)

    audit_exclude = frozenset({"token"})

    class Meta:
        ordering = ("-updated_at", "id")
        constraints = [models.UniqueConstraint(fields=["user", "device_id"], name="unique_push_token_per_device")]

    def __str__(self) -> str:
        return f"Push token of {self.device_id}"


# ---- the token operations ------------------------------------------------------------------------------------


class TokenRefused(Exception):
    """An ott or refresh token that cannot be used. ``reason`` is for the audit log, never for the caller."""

    def __init__(self, reason: str, session: MobileSession | None = None) -> None:
        super().__init__(reason)
        self.reason, self.session = reason, session


@dataclass
class IssuedTokens:
    session: MobileSession
    access_token: str
    refresh_token: str
    access_key: ApiKey

    @property
    def expires_in(self) -> int:
        return settings.MOBILE_ACCESS_TTL


def _issue_pair(session: MobileSession) -> IssuedTokens:
    """A new access key and refresh token for ``session``; call inside its transaction."""
    now = timezone.now()
    key, access = ApiKey.issue(
        session.user,
        f"Mobile session: {session.device_label}"[:200],
        now + timedelta(seconds=settings.MOBILE_ACCESS_TTL),
        purpose=ApiKey.Purpose.MOBILE_SESSION,
    )
    refresh, digest, _ = _new_token(REFRESH_PREFIX)
    expires = now + timedelta(days=settings.MOBILE_REFRESH_TTL_DAYS)
    MobileRefreshToken.objects.create(session=session, digest=digest, access_key=key, expires_at=expires)
    session.access_key = key
    session.save(update_fields=["access_key", "updated_at"])
    return IssuedTokens(session, access, refresh, key)


def _device_fields(device: dict) -> dict:
    return {
        "device_id": device.get("deviceId", "")[:200],
        "platform": device.get("platform", "")[:50],
        "app_version": device.get("appVersion", "")[:50],
        "build_version": device.get("buildVersion", "")[:50],
    }


def redeem_handoff(ott: str, state: str, device: dict, ip: str | None) -> IssuedTokens:
    """Exchange an ott for a new session. Raises :class:`TokenRefused` for an unknown, expired, replayed or
    wrongly-stated ott; a replayed ott also ends the session it once started (its tokens may have leaked).

    The ott is claimed by a conditional UPDATE that commits on its own, so a refused attempt still burns it and a
    revocation is never rolled back with the refusal.
    """
    handoff = MobileHandoff.objects.select_related("user", "session").filter(digest__in=_digests(ott)).first()
    if handoff is None:
        raise TokenRefused("unknown_ott")
    now = timezone.now()
    if not MobileHandoff.objects.filter(pk=handoff.pk, used_at__isnull=True).update(used_at=now, updated_at=now):
        if handoff.session is not None:
            handoff.session.revoke("ott_replayed")
        raise TokenRefused("ott_replayed", handoff.session)
    if handoff.expires_at <= now:
        raise TokenRefused("ott_expired")
    if not hmac.compare_digest(handoff.state_digest, state_digest(state)):
        raise TokenRefused("state_mismatch")
    if not handoff.user.is_active:
        raise TokenRefused("user_inactive")
    with transaction.atomic():
        session = MobileSession.objects.create(
            user=handoff.user, last_used_at=now, last_ip=ip, **_device_fields(device)
        )
        MobileHandoff.objects.filter(pk=handoff.pk).update(session=session)
        return _issue_pair(session)


def rotate_refresh(refresh: str, device: dict, ip: str | None) -> IssuedTokens:
    """Swap a refresh token for a new pair. Presenting a token that was already rotated revokes the family.

    Claiming the token is a conditional UPDATE, so of two requests racing with one token exactly one wins and
    the other counts as reuse.
    """
    row = MobileRefreshToken.objects.select_related("session__user").filter(digest__in=_digests(refresh)).first()
    if row is None:
        raise TokenRefused("unknown_refresh_token")
    session, now = row.session, timezone.now()
    if session.revoked_at is not None:
        raise TokenRefused("session_revoked", session)
    if row.expires_at <= now or not session.user.is_active:
        raise TokenRefused("refresh_token_expired" if session.user.is_active else "user_inactive", session)
    if not MobileRefreshToken.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now, updated_at=now):
        session.revoke("refresh_token_reused")
        raise TokenRefused("refresh_token_reused", session)
    with transaction.atomic():
        if row.access_key_id:
            ApiKey.objects.filter(pk=row.access_key_id, is_active=True).update(
                is_active=False, revoked_at=now, updated_at=now
            )
            generations.bump(generations.ACCESS)  # update() sends no signal
        fields = {k: v for k, v in _device_fields(device).items() if v}
        for name, value in fields.items():
            setattr(session, name, value)
        session.last_used_at, session.last_ip = now, ip
        session.save(update_fields=[*fields, "last_used_at", "last_ip", "updated_at"])
        return _issue_pair(session)


def session_of_refresh(refresh: str) -> MobileSession | None:
    row = MobileRefreshToken.objects.select_related("session__user").filter(digest__in=_digests(refresh)).first()
    return row.session if row is not None else None


def end_sessions_of(user: User, reason: str) -> int:
    """Revoke every live mobile session of ``user``; returns how many ended."""
    ended = 0
    for session in MobileSession.objects.filter(user=user, revoked_at__isnull=True):
        ended += session.revoke(reason)
    return ended


@receiver(post_save, sender=User, dispatch_uid="accounts.mobile.end_sessions_of_inactive_user")
def _end_sessions_of_inactive_user(sender, instance: User, **kwargs) -> None:
    # Access keys already stop working with an inactive owner; revoking the sessions also kills their refresh
    # tokens, so reactivating the user does not bring a lost phone back to life.
    if not instance.is_active and not kwargs.get("raw"):
        end_sessions_of(instance, "user_deactivated")
