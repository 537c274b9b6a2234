"""The UniFi Network kind: settings (TLS verification, SSID limit), secrets, jobs, client factory and test."""

from __future__ import annotations

import hashlib
import json
import os
import ssl
import uuid
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings as django_settings
from django.core.cache import cache

from integrations import registry
from integrations.http import AuthenticationError, IntegrationError, UpstreamError, tls_context
from integrations.registry import Check, Job, SecretField, SettingField
from integrations.unifi import jobs
from integrations.unifi.client import CLASSIC, UNIFI_OS, UnifiClient

CREDENTIAL_TYPE_ID = uuid.UUID("6c1f6b1e-2d0a-4c8e-9a51-c0aa3c7e0003")
FIFTEEN_MINUTES = 15 * 60
FALSE_VALUES = {"false", "no", "0", "off"}


class CacheSessionStore:
    """The source's controller session in the Django cache, shared by every worker and web process.

    The session cookie grants admin access to the controller, so the cache holds it encrypted (AES-GCM, with a key
    derived from ``SECRET_KEY`` and bound to the source): a cache dump or the database cache table shows no token.
    """

    def __init__(self, source_id: Any) -> None:
        self.key = f"unifi:session:{source_id}"
        secret = f"{django_settings.SECRET_KEY}|unifi-session".encode()
        self._aead = AESGCM(hashlib.sha256(secret).digest())
        self._bound = str(source_id).encode()

    def load(self) -> dict | None:
        value = cache.get(self.key)
        if not isinstance(value, bytes) or len(value) < 13:
            return None
        try:
            session = json.loads(self._aead.decrypt(value[:12], value[12:], self._bound))
        except (InvalidTag, ValueError):
            return None
        return session if isinstance(session, dict) else None

    def save(self, session: dict) -> None:
        nonce = os.urandom(12)
        sealed = nonce + self._aead.encrypt(nonce, json.dumps(session).encode(), self._bound)
        cache.set(self.key, sealed, django_settings.UNIFI_SESSION_CACHE_SECONDS)

    def clear(self) -> None:
        cache.delete(self.key)


def verify_setting(source) -> bool | str:
    """``verify_tls``: true (default), false (self-signed consoles), or the path of a CA bundle."""
    value = str((source.settings or {}).get("verify_tls") or "true").strip()
    if value.lower() in FALSE_VALUES:
        return False
    if value.lower() in ("true", "yes", "1", "on"):
        return True
    return value


def tls_verify(source) -> bool | ssl.SSLContext:
    """What the client's ``verify`` gets: nothing to verify over plain http, else a shared context per CA bundle."""
    setting = verify_setting(source)
    if setting is False or source.base_url.lower().startswith("http://"):
        return False
    try:
        return tls_context(None if setting is True else setting)
    except (OSError, ssl.SSLError) as exc:
        raise UpstreamError(f"The CA bundle in verify_tls cannot be used ({type(exc).__name__}).") from None


def ssid_limit(source) -> int:
    """SSIDs one radio of one access point may broadcast (``ssid_limit``; ``PSA_UNIFI_SSID_LIMIT`` by default)."""
    value = str((source.settings or {}).get("ssid_limit") or "").strip()
    return int(value) if value.isdigit() and 1 <= int(value) <= 16 else django_settings.UNIFI_SSID_LIMIT


def make_client(source, secrets: dict[str, str | None], **options: Any) -> UnifiClient:
    settings = source.settings or {}
    if not secrets.get("api_key") and not (settings.get("username") and secrets.get("password")):
        raise AuthenticationError("The source needs a username with a password in the vault, or an API key.")
    deployment = settings.get("deployment") or "auto"
    options.setdefault("verify", tls_verify(source))
    return UnifiClient(
        source.base_url,
        username=settings.get("username", ""),
        password=secrets.get("password") or "",
        api_key=secrets.get("api_key") or "",
        deployment=deployment if deployment in (CLASSIC, UNIFI_OS) else "auto",
        session_store=options.pop("session_store", None) or CacheSessionStore(source.pk),
        **options,
    )


def test_connection(client: UnifiClient) -> list[Check]:
    try:
        client.ensure_session()
        sites = client.sites()
    except AuthenticationError as exc:
        return [
            Check("connection", True, "The controller answered."),
            Check("credentials", False, f"The login was refused ({exc.message})."),
        ]
    except IntegrationError as exc:
        return [Check("connection", False, f"Could not reach the controller: {exc.message}")]
    label = "UniFi OS console" if client.deployment == UNIFI_OS else "classic Network controller"
    return [
        Check("connection", True, f"A {label}."),
        Check("credentials", True, "The login was accepted."),
        Check("sites", True, f"{len(sites)} sites visible."),
    ]


def validate_settings(values: dict) -> dict[str, list[str]]:
    """The kind's own checks of its settings' values (the framework checks names and types)."""
    errors: dict[str, list[str]] = {}
    if not values.get("username"):
        errors["username"] = ["A controller user name is required."]
    limit = str(values.get("ssid_limit") or "").strip()
    if limit and not (limit.isdigit() and 1 <= int(limit) <= 16):
        errors["ssid_limit"] = ["SSIDs per radio: a whole number from 1 to 16."]
    if (values.get("deployment") or "auto") not in ("auto", CLASSIC, UNIFI_OS):
        errors["deployment"] = ["Use auto, classic or unifi_os."]
    verify = str(values.get("verify_tls") or "true").strip()
    if verify.lower() not in {"true", "yes", "1", "on", *FALSE_VALUES} and not verify.startswith("/"):
        errors["verify_tls"] = ["Use true, false, or the absolute path of a CA bundle file."]
    return errors


SETTINGS = (
    SettingField("username", "Username", help="A local admin of the controller (without 2FA)."),
    SettingField("verify_tls", "Verify TLS", default="true", help="true, false (self-signed) or a CA bundle path."),
    SettingField("ssid_limit", "SSIDs per radio", help="Per access point radio; default PSA_UNIFI_SSID_LIMIT (8)."),
    SettingField("deployment", "Deployment", default="auto", help="auto (detected), classic or unifi_os."),
)

UNIFI = registry.register(
    registry.Kind(
        key="unifi",
        label="UniFi Network",
        credential_type_id=CREDENTIAL_TYPE_ID,
        credential_type_name="UniFi Network controller login",
        settings_fields=SETTINGS,
        secret_fields=(SecretField("password", "Password", required=False), SecretField("api_key", "API key", False)),
        jobs=(
            Job("unifi.sites", "Sites → UniFi sites", jobs.sync_sites, FIFTEEN_MINUTES),
            Job("unifi.devices", "Devices → assets (by MAC)", jobs.sync_devices, FIFTEEN_MINUTES),
        ),
        make_client=make_client,
        test=test_connection,
        validate_settings=validate_settings,
    )
)
