"""Users, roles and API keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone

from psa.models import BaseModel
from psa.nodes import grants

KEY_PREFIX = "psa"
KEY_ID_LENGTH = 12
KEY_SECRET_BYTES = 32  # 256 bits of randomness
_BASE62 = string.ascii_letters + string.digits
_URLSAFE = frozenset(string.ascii_letters + string.digits + "-_")


class Role(BaseModel):
    title = models.CharField(max_length=100)
    moniker = models.SlugField(max_length=64, unique=True)
    description = models.TextField(blank=True)
    permissions = models.JSONField(default=list, blank=True)
    is_builtin = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ("title", "id")

    def __str__(self) -> str:
        return self.title


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, login: str, email: str = "", password: str | None = None, **extra) -> User:
        if not login:
            raise ValueError("a login is required")
        user = self.model(login=login, email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, login: str, email: str = "", password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        user = self.create_user(login, email, password, **extra)
        admin = Role.objects.filter(moniker="admin").first()
        if admin is not None:
            user.roles.add(admin)
        return user


class User(AbstractBaseUser, BaseModel):
    login = models.CharField(max_length=150, unique=True)
    email = models.EmailField(blank=True)
    name = models.CharField(max_length=200, blank=True)
    image = models.URLField(max_length=500, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May open the Django admin.")
    is_superuser = models.BooleanField(default=False, help_text="Holds every permission node.")
    roles = models.ManyToManyField(Role, blank=True, related_name="users")
    permissions = models.JSONField(default=list, blank=True, help_text="Permission nodes granted directly.")
    allowed_clients = models.ManyToManyField(
        "clients.Client", blank=True, related_name="+", help_text="Clients this user may see; empty means all."
    )
    cw_identifier = models.CharField(max_length=100, blank=True, help_text="ConnectWise member identifier")
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        help_text="IANA time zone for times shown in the UI, e.g. America/Chicago; empty: the server's.",
    )
    keyboard_shortcuts = models.BooleanField(
        default=True, help_text="Single-key shortcuts (j, k, x, ?, /) in the UI; off for speech input and switch users."
    )

    objects = UserManager()

    USERNAME_FIELD = "login"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]
    audit_exclude = frozenset({"password", "last_login"})

    class Meta:
        ordering = ("login", "id")

    def __str__(self) -> str:
        return self.name or self.login

    def get_full_name(self) -> str:
        return self.name or self.login

    def get_short_name(self) -> str:
        return self.login

    def effective_nodes(self) -> frozenset[str]:
        """The union of the user's roles' nodes and their direct nodes."""
        if not self.is_active:
            return frozenset()
        if self.is_superuser:
            return frozenset({"*"})
        nodes = set(self.permissions or [])
        for role in self.roles.all():
            nodes.update(role.permissions or [])
        return frozenset(nodes)

    def has_node(self, node: str) -> bool:
        return grants(self.effective_nodes(), node)

    def client_scope(self) -> frozenset[uuid.UUID] | None:
        ids = frozenset(client.pk for client in self.allowed_clients.all())
        return ids or None

    # The Django admin asks these; only full administrators get it. The admin does not narrow by client, so a user
    # limited to some clients never gets it, whatever nodes they hold (client scope is a ceiling).
    def has_perm(self, perm: str, obj=None) -> bool:
        return self.is_active and self.is_staff and self.has_node("*") and self.client_scope() is None

    def has_module_perms(self, app_label: str) -> bool:
        return self.has_perm(f"{app_label}.*")


class ParsedKey:
    __slots__ = ("key_id", "secret")

    def __init__(self, key_id: str, secret: str) -> None:
        self.key_id = key_id
        self.secret = secret


def parse_key(raw: str) -> ParsedKey | None:
    """Split ``psa_<key id>_<secret>``; anything else is ``None``."""
    if not raw.startswith(f"{KEY_PREFIX}_") or len(raw) > 200:
        return None
    body = raw[len(KEY_PREFIX) + 1 :]
    key_id, sep, secret = body[:KEY_ID_LENGTH], body[KEY_ID_LENGTH : KEY_ID_LENGTH + 1], body[KEY_ID_LENGTH + 1 :]
    if sep != "_" or len(key_id) != KEY_ID_LENGTH or not key_id.isalnum() or not key_id.isascii():
        return None
    if len(secret) < 40 or not set(secret) <= _URLSAFE:
        return None
    return ParsedKey(key_id, secret)


def key_digest(secret: str, pepper_version: int) -> str:
    pepper = settings.API_KEY_PEPPERS[pepper_version]
    return hmac.new(pepper.encode(), secret.encode(), hashlib.sha256).hexdigest()


class ApiKeyQuerySet(models.QuerySet):
    def usable(self) -> ApiKeyQuerySet:
        return self.filter(is_active=True, owner__is_active=True, expires_at__gt=timezone.now())


class ApiKey(BaseModel):
    """An API key. Only an HMAC-SHA256 digest of its secret is stored; the key itself is shown once."""

    class Purpose(models.TextChoices):
        GENERAL = "general", "General"
        MOBILE_SESSION = "mobile_session", "Mobile session"
        INTEGRATION = "integration", "Integration"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    description = models.CharField(max_length=200)
    purpose = models.CharField(max_length=20, choices=Purpose.choices, default=Purpose.GENERAL)
    key_id = models.CharField(max_length=KEY_ID_LENGTH, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    pepper_version = models.PositiveSmallIntegerField(editable=False)
    allowed_clients = models.ManyToManyField(
        "clients.Client", blank=True, related_name="+", help_text="Narrows the owner's client scope."
    )
    expires_at = models.DateTimeField()
    is_active = models.BooleanField(default=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()
    audit_exclude = frozenset({"digest", "pepper_version", "last_used_at", "last_used_ip"})

    class Meta:
        ordering = ("-created_at", "id")

    def __str__(self) -> str:
        return f"{self.description} ({self.prefix})"

    @property
    def prefix(self) -> str:
        return f"{KEY_PREFIX}_{self.key_id}"

    @classmethod
    def issue(
        cls, owner: User, description: str, expires_at, purpose: str = Purpose.GENERAL, clients=()
    ) -> tuple[ApiKey, str]:
        """Create a key and return it with its plaintext, which is never stored and cannot be shown again."""
        version = max(settings.API_KEY_PEPPERS)
        key_id = "".join(secrets.choice(_BASE62) for _ in range(KEY_ID_LENGTH))
        secret = secrets.token_urlsafe(KEY_SECRET_BYTES)
        key = cls.objects.create(
            owner=owner,
            description=description,
            purpose=purpose,
            key_id=key_id,
            digest=key_digest(secret, version),
            pepper_version=version,
            expires_at=expires_at,
        )
        if clients:
            key.allowed_clients.set(clients)
        return key, f"{KEY_PREFIX}_{key_id}_{secret}"

    @classmethod
    def authenticate(cls, raw: str) -> ApiKey | None:
        """The usable key matching ``raw`` (its owner loaded), or ``None``. Every kind of failure looks the same."""
        from accounts.callers import authenticate

        resolved = authenticate(raw)
        return resolved.for_request() if resolved is not None else None

    def is_usable(self) -> bool:
        return self.is_active and self.owner.is_active and self.expires_at > timezone.now()

    def touch(self, ip: str | None) -> None:
        """Record use, writing at most once per ``API_KEY_LAST_USED_INTERVAL`` seconds (across processes too)."""
        now = timezone.now()
        interval = timedelta(seconds=settings.API_KEY_LAST_USED_INTERVAL)
        if self.last_used_at is not None and now - self.last_used_at < interval:
            return
        stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - interval)
        if ApiKey.objects.filter(stale, pk=self.pk).update(last_used_at=now, last_used_ip=ip):
            self.last_used_at, self.last_used_ip = now, ip
        else:
            self.last_used_at = now  # another process recorded a use within the interval: no write until it ends

    def client_scope(self) -> frozenset[uuid.UUID] | None:
        ids = frozenset(client.pk for client in self.allowed_clients.all())
        return ids or None

    def deactivate(self) -> None:
        self.is_active = False
        self.revoked_at = timezone.now()
        self.save(update_fields=["is_active", "revoked_at", "updated_at"])


# The mobile sign-in models live in their own module; importing them here registers them with the app.
from accounts.mobile import MobileHandoff, MobileRefreshToken, MobileSession, PushToken  # noqa: E402, F401
from accounts.sso import SsoIdentity, SsoLogin, SsoProvider  # noqa: E402, F401
from accounts.two_factor import RecoveryCode, TwoFactorDevice  # noqa: E402, F401
