"""The ConnectWise Manage kind: settings, secrets, jobs, client factory and connection test."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from integrations import hooks, registry
from integrations.connectwise import jobs
from integrations.connectwise.client import ConnectWiseClient
from integrations.connectwise.mappers import CompanyMapper, ContactMapper
from integrations.http import AuthenticationError, IntegrationError, NotFoundError
from integrations.registry import Check, Job, SecretField, SettingField

CREDENTIAL_TYPE_ID = uuid.UUID("6c1f6b1e-2d0a-4c8e-9a51-c0aa3c7e0001")
FIFTEEN_MINUTES = 15 * 60


def make_client(source, secrets: dict[str, str | None], **options: Any) -> ConnectWiseClient:
    settings = source.settings or {}
    missing = [name for name in ("public_key", "private_key") if not secrets.get(name)]
    if missing:
        raise AuthenticationError(f"The source has no {' and no '.join(missing)} in the vault.")
    return ConnectWiseClient(
        source.base_url,
        company_id=settings.get("company_id", ""),
        public_key=secrets["public_key"],
        private_key=secrets["private_key"],
        client_id=settings.get("client_id", ""),
        codebase=settings.get("codebase") or "v4_6_release/",
        **options,
    )


def test_connection(client: ConnectWiseClient) -> list[Check]:
    try:
        info = client.system_info()
    except AuthenticationError as exc:
        return [
            Check("connection", True, "ConnectWise answered."),
            Check("credentials", False, f"The keys or the clientId were refused ({exc.message})."),
        ]
    except NotFoundError:
        return [
            Check("connection", True, "The server answered."),
            Check(
                "credentials",
                False,
                "404 on the first call: check the company id and the codebase (ConnectWise answers 404 "
                "for a wrong company).",
            ),
        ]
    except IntegrationError as exc:
        return [Check("connection", False, f"Could not reach ConnectWise: {exc.message}")]
    version = str(info.get("version", "unknown"))[:50]
    try:
        companies = client.count("company/companies")
    except IntegrationError as exc:
        return [
            Check("connection", True, f"ConnectWise {version}."),
            Check("credentials", True, "The keys were accepted."),
            Check("companies", False, f"Cannot read companies: {exc.message}"),
        ]
    return [
        Check("connection", True, f"ConnectWise {version}."),
        Check("credentials", True, "The keys were accepted."),
        Check("companies", True, f"{companies} companies visible."),
    ]


def external_url(source, kind: str, external_id: str) -> str:
    """A link into the ConnectWise UI: its record router with the record types Manage links use itself (a
    company, contact, configuration or opportunity screen). Catalog items have no such record type: no link."""
    screens = {"company": "CompanyFV", "configuration": "ConfigFV", "contact": "ContactFV",
               "opportunity": "OpportunityFV"}  # fmt: skip
    screen = screens.get(kind)
    if not screen:
        return ""
    settings = source.settings or {}
    query = urlencode({"recordType": screen, "recid": external_id, "companyName": settings.get("company_id", "")})
    return f"{source.base_url.rstrip('/')}/{settings.get('codebase') or 'v4_6_release/'}" \
           f"services/system_io/router/openrecord.rails?{query}"  # fmt: skip


CONNECTWISE = registry.register(
    registry.Kind(
        key="connectwise",
        label="ConnectWise Manage",
        credential_type_id=CREDENTIAL_TYPE_ID,
        credential_type_name="ConnectWise Manage API member keys",
        settings_fields=(
            SettingField(
                "company_id", "Company id", required=True, help="The company you sign in to ConnectWise with."
            ),
            SettingField(
                "client_id", "Client id", required=True, help="The clientId from the ConnectWise developer portal."
            ),
            SettingField("codebase", "Codebase", default="v4_6_release/", help="Usually v4_6_release/."),
        ),
        secret_fields=(SecretField("public_key", "Public key"), SecretField("private_key", "Private key")),
        jobs=(
            Job("connectwise.companies", "Companies → clients", jobs.sync_companies, FIFTEEN_MINUTES),
            Job("connectwise.sites", "Company sites → locations", jobs.sync_sites, FIFTEEN_MINUTES),
            Job("connectwise.contacts", "Contacts → contacts", jobs.sync_contacts, FIFTEEN_MINUTES),
            Job("connectwise.configurations", "Configurations → assets", jobs.sync_configurations, FIFTEEN_MINUTES),
            Job("connectwise.members", "Members → users (links only)", jobs.sync_members, 60 * 60),
            Job("connectwise.catalog", "Procurement catalog → products", jobs.sync_catalog, FIFTEEN_MINUTES),
            Job("connectwise.opportunities", "Opportunities → sales", jobs.sync_opportunities, FIFTEEN_MINUTES),
            Job("connectwise.deletions", "Deletion scan (ids only)", jobs.scan_deletions, 24 * 60 * 60),
        ),
        make_client=make_client,
        test=test_connection,
        external_url=external_url,
    )
)

# ConnectWise masters these on linked clients and contacts (cw_* are read-only in the serializer anyway).
hooks.mastered(
    "clients.client", tuple(f for f in CompanyMapper.fields if not f.startswith("cw_") and f != "archived_at")
)
hooks.mastered("clients.contact", ContactMapper.fields)
