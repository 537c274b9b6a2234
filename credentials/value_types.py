"""Value types of credential-type fields, validation of type definitions, and validation of field values.

A type definition is a list of fields ``{id, name, required, secure, value_type, sub_fields?}``. ``sub_fields``
(the same schema, recursively) appear only on ``multi_credential`` fields, whose values are sub-credentials.

Error messages never repeat a submitted value: a value may be a secret, and responses must not echo it.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import EmailValidator, URLValidator

from credentials import totp


class DefinitionError(ValueError):
    """An invalid type definition. ``errors`` mirrors the definition: a list with ``{}`` for valid fields."""

    def __init__(self, errors: Any) -> None:
        super().__init__("invalid credential type definition")
        self.errors = errors


class InvalidValue(ValueError):
    """A field value failed validation. The message is safe to show: it never repeats the value."""


@dataclass(frozen=True)
class ValueType:
    key: str
    label: str
    description: str
    secure: str  # "always": must be secure; "optional"; "never"


VALUE_TYPES: dict[str, ValueType] = {
    vt.key: vt
    for vt in (
        ValueType("plain_text", "Plain text", "Any text.", "optional"),
        ValueType("username", "Username", "A user name or login.", "optional"),
        ValueType("email", "Email", "An email address.", "optional"),
        ValueType("url", "URL", "An address such as https://portal.example.com.", "optional"),
        ValueType("ip_address", "IP address", "An IPv4 or IPv6 address.", "optional"),
        ValueType("license_key", "License key", "A product or licence key.", "optional"),
        ValueType("password", "Password", "A password; always encrypted.", "always"),
        ValueType("generic_secret", "Secret", "Any other secret (API key, token, PIN); always encrypted.", "always"),
        ValueType(
            "bitlocker_key",
            "BitLocker recovery key",
            "Eight groups of six digits (111111-222222-...); always encrypted.",
            "always",
        ),
        ValueType(
            "totp_secret",
            "TOTP secret",
            "A base32 one-time-password secret or otpauth:// URI; always encrypted. The UI shows live codes.",
            "always",
        ),
        ValueType(
            "multi_credential",
            "Multiple sub-credentials",
            "A list of sub-credentials, each with the fields given in sub_fields.",
            "never",
        ),
    )
}

# Seed 004's seven value types first (GET /credential/valuetypes), then ours.
SEED_ORDER = ["plain_text", "license_key", "ip_address", "generic_secret", "bitlocker_key", "password"]
VALUE_TYPE_ORDER = [*SEED_ORDER, "multi_credential", "username", "url", "email", "totp_secret"]

FIELD_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
MAX_FIELDS = 50
MAX_DEPTH = 3  # a type, its sub-credentials, and theirs
MAX_VALUE_LENGTH = 10_000
FIELD_KEYS = {"id", "name", "required", "secure", "value_type", "sub_fields"}
URL_SCHEMES = ["http", "https", "ftp", "ftps", "sftp", "ssh", "rdp", "vnc", "smb", "ldap", "ldaps", "telnet"]
_BITLOCKER = re.compile(r"^\d{6}(-\d{6}){7}$")


def validate_definition(fields: Any, depth: int = 1) -> list[dict]:
    """Check and normalise a type definition; raise :class:`DefinitionError` naming each problem's path."""
    if not isinstance(fields, list):
        raise DefinitionError(["Expected a list of fields."])
    if depth == 1 and not fields:
        raise DefinitionError(["A credential type needs at least one field."])
    if len(fields) > MAX_FIELDS:
        raise DefinitionError([f"At most {MAX_FIELDS} fields."])
    errors: list[Any] = []
    normalised: list[dict] = []
    seen: set[str] = set()
    for item in fields:
        problems: dict[str, list[str] | Any] = {}
        if not isinstance(item, dict):
            errors.append({"non_field_errors": ["Each field must be an object."]})
            continue
        unknown = sorted(set(item) - FIELD_KEYS)
        for key in unknown:
            problems[key] = ["Unknown key."]
        field_id = item.get("id")
        if not isinstance(field_id, str) or not FIELD_ID.match(field_id):
            problems["id"] = ["Use 1 to 64 letters, digits, '_' or '-', starting with a letter."]
        elif field_id in seen:
            problems["id"] = [f"Duplicate field id '{field_id}'."]
        else:
            seen.add(field_id)
        name = item.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            problems["name"] = ["Give a name of 1 to 100 characters."]
        value_type = item.get("value_type")
        vt = VALUE_TYPES.get(value_type) if isinstance(value_type, str) else None
        if vt is None:
            problems["value_type"] = [f"Unknown value type. Use one of: {', '.join(VALUE_TYPE_ORDER)}."]
        required = item.get("required", False)
        if not isinstance(required, bool):
            problems["required"] = ["Must be true or false."]
        secure = item.get("secure")
        if secure is not None and not isinstance(secure, bool):
            problems["secure"] = ["Must be true or false."]
        elif vt is not None:
            if secure is None:
                secure = vt.secure == "always"
            if vt.secure == "always" and not secure:
                problems["secure"] = [f"A {vt.key} field is always secure (encrypted)."]
            if vt.secure == "never" and secure:
                problems["secure"] = ["A multi_credential field holds sub-credentials; mark their sub_fields secure."]
        sub_fields = item.get("sub_fields")
        clean_sub: list[dict] | None = None
        if vt is not None and vt.key == "multi_credential":
            if depth >= MAX_DEPTH:
                problems["value_type"] = [f"Sub-credentials nest at most {MAX_DEPTH - 1} levels deep."]
            elif not isinstance(sub_fields, list) or not sub_fields:
                problems["sub_fields"] = ["A multi_credential field needs a non-empty list of sub_fields."]
            else:
                try:
                    clean_sub = validate_definition(sub_fields, depth + 1)
                except DefinitionError as exc:
                    problems["sub_fields"] = exc.errors
        elif sub_fields is not None:
            problems["sub_fields"] = ["Only multi_credential fields have sub_fields."]
        errors.append(problems)
        if not problems:
            entry = {
                "id": field_id,
                "name": name.strip(),
                "required": required,
                "secure": bool(secure),
                "value_type": value_type,
            }
            if clean_sub is not None:
                entry["sub_fields"] = clean_sub
            normalised.append(entry)
    if any(errors):
        raise DefinitionError(errors)
    return normalised


def resolve(definition: list[dict], path: str) -> list[dict] | None:
    """The field list of the sub-credentials at ``path`` (``"tunnels"`` or ``"tunnels.hops"``); ``""`` is the top."""
    fields = definition
    if not path:
        return fields
    for part in path.split("."):
        match = next((f for f in fields if f["id"] == part and f["value_type"] == "multi_credential"), None)
        if match is None:
            return None
        fields = match.get("sub_fields") or []
    return fields


def walk(definition: list[dict], prefix: str = "") -> Iterator[tuple[str, dict]]:
    """Every field of a definition with its dotted path, sub_fields included."""
    for field in definition:
        path = f"{prefix}{field['id']}"
        yield path, field
        if field.get("sub_fields"):
            yield from walk(field["sub_fields"], f"{path}.")


def join_path(prefix: str, field_id: str) -> str:
    return f"{prefix}.{field_id}" if prefix else field_id


def clean_value(field: dict, raw: Any) -> str | None:
    """The normalised value of one field, ``None`` for "no value"; raises :class:`InvalidValue` with a safe message."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise InvalidValue("Must be a string or null.")
    kind = field["value_type"]
    if kind == "multi_credential":
        raise InvalidValue("A multi_credential field takes sub-credentials, not a value.")
    value = raw if field["secure"] else raw.strip()
    if value == "" or (field["secure"] and not value.strip()):
        return None
    if len(value) > MAX_VALUE_LENGTH:
        raise InvalidValue(f"At most {MAX_VALUE_LENGTH} characters.")
    if "\x00" in value:
        raise InvalidValue("Must not contain NUL characters.")
    if kind == "ip_address":
        try:
            return str(ipaddress.ip_address(value.strip()))
        except ValueError:
            raise InvalidValue("Not a valid IPv4 or IPv6 address.") from None
    if kind == "url":
        try:
            URLValidator(schemes=URL_SCHEMES)(value.strip())
        except DjangoValidationError:
            raise InvalidValue(f"Not a valid URL (schemes: {', '.join(URL_SCHEMES)}).") from None
        return value.strip()
    if kind == "email":
        try:
            EmailValidator()(value.strip())
        except DjangoValidationError:
            raise InvalidValue("Not a valid email address.") from None
        return value.strip()
    if kind == "bitlocker_key":
        return _clean_bitlocker(value)
    if kind == "totp_secret":
        try:
            totp.parse(value)
        except totp.TotpError as exc:
            raise InvalidValue(str(exc)) from None
        return value.strip()
    if kind in ("username", "license_key") and len(value) > 1000:
        raise InvalidValue("At most 1000 characters.")
    return value


def _clean_bitlocker(value: str) -> str:
    """Eight six-digit blocks; each is a multiple of 11 below 720896 (a 16-bit word times 11), as BitLocker issues."""
    compact = re.sub(r"[\s]", "", value)
    if re.fullmatch(r"\d{48}", compact):
        compact = "-".join(compact[i : i + 6] for i in range(0, 48, 6))
    if not _BITLOCKER.match(compact):
        raise InvalidValue("A BitLocker recovery key is eight groups of six digits separated by hyphens.")
    for block in compact.split("-"):
        number = int(block)
        if number % 11 or number // 11 > 0xFFFF:
            raise InvalidValue("Not a valid BitLocker recovery key: a group fails its check (typo?).")
    return compact


def value_types_payload() -> list[dict]:
    return [
        {
            "value_type": VALUE_TYPES[key].key,
            "label": VALUE_TYPES[key].label,
            "description": VALUE_TYPES[key].description,
            "secure": VALUE_TYPES[key].secure,
        }
        for key in VALUE_TYPE_ORDER
    ]
