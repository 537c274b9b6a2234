"""TOTP two-factor sign-in for local accounts (issue 10): authenticator devices and recovery codes.

- The TOTP secret (RFC 6238 via pyotp) is encrypted with the vault's envelope scheme (``credentials.vault``): a
  random data key per device, wrapped by the master keyring ``PSA_VAULT_KEYS``, and the associated data binds the
  ciphertext to its device. It is never logged, audited, listed or shown in the admin; only the enrolment page
  shows it, to its owner, as a QR code and as text, until the first code confirms the device.
- A code is accepted for its 30-second step and one step either side (clock drift), and at most once: a step
  already used is refused, so a code seen over someone's shoulder cannot be replayed.
- Recovery codes are ``PSA_2FA_RECOVERY_CODES`` random codes of 50 bits, shown once; only an HMAC-SHA256 digest
  keyed by the API-key pepper is stored. Each works once.
- ``PSA_REQUIRE_2FA``: ``off`` (default), ``admins`` (users holding ``*``, superusers and staff) or ``all``. Such
  a user who has not enrolled is sent to enrol right after signing in with a password. API keys are not affected,
  and single sign-on users follow their provider's policy.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import pyotp
import segno
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from accounts.models import User
from credentials.sealed import SealedSecret
from psa.models import BaseModel

ISSUER = "PSA"
SECRET_FIELD = "totp_secret"
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off a printout
RECOVERY_GROUP = 5
REQUIRE_CHOICES = ("off", "admins", "all")


def _aad_id(device_id) -> str:
    return f"two-factor-{device_id}"


class TwoFactorDevice(SealedSecret, BaseModel):
    """A user's authenticator app. ``confirmed_at`` is empty until a first code proves the enrolment worked."""

    sealed_field = SECRET_FIELD

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="two_factor")
    wrapped_key = models.BinaryField(editable=False)
    key_version = models.PositiveSmallIntegerField(editable=False)
    secret_ciphertext = models.BinaryField(editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_used_step = models.BigIntegerField(default=0, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True)

    audit_exclude = frozenset({"wrapped_key", "key_version", "secret_ciphertext", "last_used_step", "last_used_at"})

    class Meta:
        ordering = ("-created_at", "id")

    def __str__(self) -> str:
        return f"Authenticator app of {self.user}"

    @classmethod
    def start(cls, user: User) -> TwoFactorDevice:
        """A new unconfirmed device with a fresh 160-bit secret, replacing any unconfirmed one."""
        cls.objects.filter(user=user, confirmed_at__isnull=True).delete()
        device = cls(user=user)
        device.set_secret(pyotp.random_base32(32))
        device.save()
        return device

    def sealed_aad_id(self) -> str:
        return _aad_id(self.pk)

    set_secret = SealedSecret.seal
    secret = SealedSecret.unseal

    def totp(self) -> pyotp.TOTP:
        return pyotp.TOTP(self.secret(), issuer=ISSUER)

    def provisioning_uri(self) -> str:
        return self.totp().provisioning_uri(name=self.user.login, issuer_name=ISSUER)

    def qr_svg(self) -> str:
        """The enrolment QR code as inline SVG, drawn here (no third-party image service ever sees the secret)."""
        code = segno.make(self.provisioning_uri(), error="m")
        return code.svg_inline(scale=5, dark="#000", light="#fff", title="Two-factor enrolment QR code")

    def verify(self, code: str) -> bool:
        """Whether ``code`` is valid now and not yet used; a match is recorded so it cannot be used again."""
        code = "".join(code.split())
        if len(code) != 6 or not code.isdigit():
            return False
        totp = self.totp()
        now = timezone.now()
        step_now = totp.timecode(now)
        for offset in (0, -1, 1):
            step = step_now + offset
            if hmac.compare_digest(totp.generate_otp(step), code):
                # One conditional UPDATE: two requests racing with the same code cannot both win.
                stale = TwoFactorDevice.objects.filter(pk=self.pk, last_used_step__lt=step)
                if not stale.update(last_used_step=step, last_used_at=now):
                    return False
                self.last_used_step, self.last_used_at = step, now
                self.rewrap_if_stale()
                return True
        return False


def recovery_digest(code: str, pepper_version: int) -> str:
    pepper = settings.API_KEY_PEPPERS[pepper_version]
    normalised = "".join(code.lower().split()).replace("-", "")
    return hmac.new(pepper.encode(), f"recovery:{normalised}".encode(), hashlib.sha256).hexdigest()


class RecoveryCode(BaseModel):
    """One single-use recovery code, stored only as a digest."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    pepper_version = models.PositiveSmallIntegerField(editable=False)
    used_at = models.DateTimeField(null=True, blank=True)

    audit_exclude = frozenset({"digest", "pepper_version"})

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"Recovery code of {self.user_id}"


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_GROUP * 2))
    return f"{raw[:RECOVERY_GROUP]}-{raw[RECOVERY_GROUP:]}"


def issue_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with new ones; returns them (this is the only time they exist in clear)."""
    version = max(settings.API_KEY_PEPPERS)
    codes = [_new_recovery_code() for _ in range(settings.TWO_FACTOR_RECOVERY_CODES)]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(
            [RecoveryCode(user=user, digest=recovery_digest(c, version), pepper_version=version) for c in codes]
        )
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """Spend one of the user's unused recovery codes matching ``code``."""
    digests = [recovery_digest(code, v) for v in sorted(settings.API_KEY_PEPPERS)]
    unused = RecoveryCode.objects.filter(user=user, used_at__isnull=True, digest__in=digests)
    return unused.update(used_at=timezone.now()) == 1


def remaining_recovery_codes(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def confirmed_device(user: User) -> TwoFactorDevice | None:
    return TwoFactorDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


def is_enrolled(user: User) -> bool:
    return TwoFactorDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def is_required_for(user: User) -> bool:
    """Whether ``PSA_REQUIRE_2FA`` asks this user to have a second factor."""
    policy = settings.REQUIRE_2FA
    if policy == "all":
        return True
    if policy == "admins":
        return user.is_superuser or user.is_staff or user.has_node("*")
    return False


@dataclass(frozen=True)
class Removed:
    device: bool
    recovery_codes: int


def remove(user: User) -> Removed:
    """Turn two-factor sign-in off for ``user``: the device and every recovery code go."""
    with transaction.atomic():
        devices, _ = TwoFactorDevice.objects.filter(user=user).delete()
        codes, _ = RecoveryCode.objects.filter(user=user).delete()
    return Removed(device=bool(devices), recovery_codes=codes)


def reset_for(request, subject: User) -> bool:
    """An administrator removes ``subject``'s second factor (a lost phone); audited. Whether there was one."""
    from psa import audit

    with transaction.atomic():
        removed = remove(subject)
        if removed.device:
            changes = {"recovery_codes": {"old": removed.recovery_codes, "new": 0}}
            audit.record(request, "reset_two_factor", subject, client_id=None, changes=changes)
    return removed.device
