"""The Hudu kind: settings, the API key, jobs, client factory and connection test."""

from __future__ import annotations

import uuid
from typing import Any

from integrations import hooks, registry
from integrations.http import AuthenticationError, IntegrationError, NotFoundError
from integrations.hudu import jobs
from integrations.hudu.client import HuduClient, PasswordAccessDenied
from integrations.registry import Check, Job, SecretField, SettingField

CREDENTIAL_TYPE_ID = uuid.UUID("6c1f6b1e-2d0a-4c8e-9a51-c0aa3c7e0002")
HOUR = 60 * 60


def make_client(source, secrets: dict[str, str | None], **options: Any) -> HuduClient:
    if not secrets.get("api_key"):
        raise AuthenticationError("The source has no api_key in the vault.")
    return HuduClient(source.base_url, api_key=secrets["api_key"], **options)


def test_connection(client: HuduClient) -> list[Check]:
    try:
        info = client.api_info()
        client.first_page("companies")
    except AuthenticationError as exc:
        return [Check("connection", True, "Hudu answered."), Check("credentials", False,
                                                                    f"The API key was refused ({exc.message}).")]  # fmt: skip
    except NotFoundError:
        return [Check("connection", False, "404: check the base URL (https://<instance>, without /api/v1).")]
    except IntegrationError as exc:
        return [Check("connection", False, f"Could not reach Hudu: {exc.message}")]
    checks = [
        Check("connection", True, f"Hudu {str(info.get('version', 'unknown'))[:50]}."),
        Check("credentials", True, "The API key was accepted."),
    ]
    try:
        client.first_page("asset_passwords")
    except PasswordAccessDenied:
        checks.append(Check("passwords", False, "The key has no password access: passwords will not be synced."))
    except IntegrationError as exc:
        checks.append(Check("passwords", False, f"Cannot read passwords: {exc.message}"))
    else:
        checks.append(Check("passwords", True, "The key can read passwords."))
    return checks


def external_url(source, kind: str, external_id: str) -> str:
    """A link into Hudu's web app, from the mirrored payload's own links (a password: its company's passwords)."""
    from integrations.models import ExternalRecord

    def payload(record_kind: str, record_id: Any) -> dict:
        row = ExternalRecord.objects.filter(source=source, kind=record_kind, external_id=str(record_id)).first()
        return row.payload if row is not None and isinstance(row.payload, dict) else {}

    record = payload(kind, external_id)
    if kind == "password":
        path = payload("company", record.get("company_id")).get("passwords_url") if record.get("company_id") else ""
    else:
        path = record.get("url") or record.get("full_url")
    if not isinstance(path, str) or not path:
        return ""
    if path.startswith(("https://", "http://")):
        return path
    base = source.base_url.rstrip("/").removesuffix("/api/v1")
    return f"{base}/{path.lstrip('/')}"


HUDU = registry.register(
    registry.Kind(
        key="hudu",
        label="Hudu",
        credential_type_id=CREDENTIAL_TYPE_ID,
        credential_type_name="Hudu API key",
        settings_fields=(
            SettingField(
                "create_clients",
                "Create clients",
                default="true",
                help="Create a client for a Hudu company no client's name matches (false: leave it for an admin "
                "to map).",
            ),
        ),
        secret_fields=(SecretField("api_key", "API key"),),
        jobs=(
            Job("hudu.companies", "Companies → clients", jobs.sync_companies, HOUR),
            Job("hudu.layouts", "Asset layouts (mirror)", jobs.sync_layouts, HOUR),
            Job("hudu.websites", "Websites → domains", jobs.sync_websites, HOUR),
            Job("hudu.assets", "Assets → assets with custom fields", jobs.sync_assets, HOUR),
            Job("hudu.passwords", "Asset passwords → vault", jobs.sync_passwords, HOUR),
            Job("hudu.deletions", "Deletion and archive scan", jobs.scan_deletions, 24 * HOUR),
        ),
        make_client=make_client,
        test=test_connection,
        external_url=external_url,
    )
)

hooks.mastered("clients.client", ("hudu_id",))
# Hudu masters its passwords: on a synced credential these are read-only (the API's 400 names them; the edit form
# shows them disabled with an "Open in Hudu" link).
hooks.mastered("credentials.credential", ("name", "notes", "fields"))
