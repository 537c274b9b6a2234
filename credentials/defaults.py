"""The credential types a fresh install starts with, so nobody designs a schema before saving a password.

Used by the data migration (with historical models) and by the demo data. Every type uses the plain scope
``credential``: revealing needs ``credential.secure_values.read`` and nothing more. Admins can narrow a type's
scope later (e.g. ``credential.domain_admin``) in the type editor.
"""

from __future__ import annotations

DEFAULT_SCOPE = "credential"


def _field(field_id: str, name: str, value_type: str, *, required: bool = False, secure: bool | None = None) -> dict:
    spec = {"id": field_id, "name": name, "value_type": value_type, "required": required}
    spec["secure"] = (
        secure if secure is not None else value_type in {"password", "generic_secret", "totp_secret", "bitlocker_key"}
    )
    return spec


NOTES = _field("notes", "Notes", "plain_text")

# (name, description, icon, fields)
DEFAULT_TYPES: list[tuple[str, str, str, list[dict]]] = [
    (
        "Login",
        "A user name and password for a web portal, application or service, with an optional one-time-password secret.",
        "key",
        [
            _field("username", "Username", "username", required=True),
            _field("password", "Password", "password", required=True),
            _field("url", "URL", "url"),
            _field("totp", "TOTP secret", "totp_secret"),
            NOTES,
        ],
    ),
    (
        "Windows / local admin",
        "A Windows domain or local administrator account.",
        "windows",
        [
            _field("username", "Username", "username", required=True),
            _field("password", "Password", "password", required=True),
            _field("domain", "Domain or computer", "plain_text"),
            NOTES,
        ],
    ),
    (
        "Microsoft 365 / Entra admin",
        "A Microsoft 365 or Entra ID administrator, with the tenant it manages.",
        "microsoft",
        [
            _field("username", "User principal name", "email", required=True),
            _field("password", "Password", "password", required=True),
            _field("tenant", "Tenant (domain or id)", "plain_text"),
            _field("totp", "TOTP secret", "totp_secret"),
            NOTES,
        ],
    ),
    (
        "Wi-Fi",
        "A wireless network's name and passphrase.",
        "wifi",
        [
            _field("ssid", "SSID", "plain_text", required=True),
            _field("passphrase", "Passphrase", "password", required=True),
            _field("security", "Security (e.g. WPA2, WPA3)", "plain_text"),
            NOTES,
        ],
    ),
    (
        "BitLocker recovery key",
        "A BitLocker drive's 48-digit recovery key.",
        "lock",
        [
            _field("key_id", "Key id", "plain_text"),
            _field("recovery_key", "Recovery key", "bitlocker_key", required=True),
            NOTES,
        ],
    ),
    (
        "API key / token",
        "A key or token for an API or service account.",
        "code",
        [
            _field("service", "Service", "plain_text"),
            _field("key_id", "Key id / client id", "plain_text"),
            _field("secret", "Secret", "generic_secret", required=True),
            _field("url", "URL", "url"),
            NOTES,
        ],
    ),
    (
        "Database",
        "A database server account.",
        "database",
        [
            _field("host", "Host", "plain_text", required=True),
            _field("port", "Port", "plain_text"),
            _field("database", "Database", "plain_text"),
            _field("username", "Username", "username", required=True),
            _field("password", "Password", "password", required=True),
            NOTES,
        ],
    ),
    (
        "Network device",
        "A switch, router, firewall or access point: SSH login and enable secret.",
        "router",
        [
            _field("host", "Management address", "ip_address"),
            _field("username", "SSH username", "username", required=True),
            _field("password", "SSH password", "password", required=True),
            _field("enable", "Enable secret", "password"),
            NOTES,
        ],
    ),
    (
        "Software licence key",
        "A product key or licence for installed software.",
        "license",
        [
            _field("product", "Product", "plain_text", required=True),
            _field("license_key", "Licence key", "license_key", required=True),
            _field("seats", "Seats", "plain_text"),
            NOTES,
        ],
    ),
]


def create_default_types(type_model=None) -> int:
    """Create each default type whose name is still free (case-insensitive); returns how many were created."""
    if type_model is None:
        from credentials.models import CredentialType as type_model
    created = 0
    for name, description, icon, fields in DEFAULT_TYPES:
        if type_model.objects.filter(name__iexact=name).exists():
            continue
        type_model.objects.create(
            name=name, description=description, icon=icon, permission_scope=DEFAULT_SCOPE, fields=fields
        )
        created += 1
    return created
