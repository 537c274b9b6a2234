"""How Hudu records map onto local rows: companies → clients, layouts (mirror only), assets → assets with their
custom fields, websites → domains, asset passwords → vault credentials."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models.functions import Lower, Trim

from assets.models import Asset, Domain
from clients.models import Client
from credentials import vault
from credentials.models import Credential, DataKey, SecureValue
from integrations import bulk
from integrations.connectwise.mappers import asset_type
from integrations.hudu.audit import PasswordAudit
from integrations.hudu.credential_types import PASSWORD_TYPE_ID
from integrations.hudu.models import HuduAssetFields
from integrations.mirror import Item, Mapper, RecordError, local_ids, text
from integrations.models import ExternalRecord

SECRET_KEYS = ("password", "otp_secret")  # what never leaves the vault: not in payload copies, logs or errors
SECRET_FIELD_TYPES = frozenset({"password"})  # asset layout field types whose values are withheld


def integer(payload: dict, key: str, *, required: bool = False) -> int | None:
    value = payload.get(key)
    if value is None:
        if required:
            raise RecordError(f"'{key}' is missing.")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise RecordError(f"'{key}' should be an integer id.")
    return value


def fingerprint(values: list[str]) -> str:
    """A keyed digest of secret values: lets the payload hash see a changed password without holding it (a plain
    hash of a password could be guessed offline; this one needs the server's secret key)."""
    key = hashlib.sha256(b"hudu-secret-fingerprint:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, "\x00".join(values).encode(), hashlib.sha256).hexdigest()


def normalized_name(name: str) -> str:
    return " ".join(name.split()).lower()


def mirrored_here_only(model, object_ids: list[str]) -> list[str]:
    """The rows among ``object_ids`` that no live external record of any source still mirrors: a client that
    Hudu no longer has but ConnectWise still does stays as it is. (The scan marks its own records first.)"""
    content_type = ContentType.objects.get_for_model(model)
    elsewhere = set(
        ExternalRecord.objects.filter(
            content_type=content_type, object_id__in=object_ids, deleted_at__isnull=True
        ).values_list("object_id", flat=True)
    )
    return [pk for pk in object_ids if pk not in elsewhere]


class CompanyMapper(Mapper):
    """Companies link to clients by ``hudu_id``, else by name (case and spacing ignored) on a client not linked to
    another Hudu company; an unmatched company becomes a new client unless the source says otherwise."""

    kind = "company"
    model = Client
    fields = ("hudu_id",)

    def values(self, item: Item) -> dict:
        item.extra["name"] = text(item.payload, "name", 200, required=True)
        return {"hudu_id": int(item.external_id)}

    def match(self, items: list[Item]) -> None:
        ids = [int(item.external_id) for item in items]
        by_id = {c.hudu_id: c for c in Client.objects.filter(hudu_id__in=ids)}
        names = {normalized_name(item.extra["name"]) for item in items}
        by_name: dict[str, Client] = {}
        candidates = Client.objects.annotate(key=Lower(Trim("name"))).filter(key__in=names, hudu_id__isnull=True)
        for client in candidates.order_by("created_at", "id"):
            by_name.setdefault(normalized_name(client.name), client)
        setting = str((self.context.source.settings or {}).get("create_clients", "true")).strip().lower()
        create = setting not in ("false", "no", "0", "off")
        for item in items:
            item.obj = by_id.get(int(item.external_id)) or by_name.pop(normalized_name(item.extra["name"]), None)
            item.extra["create"] = create

    def new(self, item: Item) -> Client | None:
        if not item.extra["create"]:
            return None  # left unmapped until an admin maps it
        return Client(name=item.extra["name"], **item.values)

    def on_deleted(self, object_ids: list[str]) -> None:
        """Clients whose company is gone from Hudu (or archived there) are archived, never deleted: their tickets,
        documentation and credentials stay."""
        Client.objects.filter(pk__in=mirrored_here_only(Client, object_ids), archived_at__isnull=True).update(
            archived_at=self.context.now, updated_at=self.context.now
        )


class LayoutMapper(Mapper):
    """Asset layouts stay in the mirror (their field definitions tell which custom fields are secret)."""

    kind = "layout"
    model = None

    def values(self, item: Item) -> dict:
        text(item.payload, "name", 200, required=True)
        if not isinstance(item.payload.get("fields", []), list):
            raise RecordError("'fields' should be a list.")
        return {}


class _CompanyChildMapper(Mapper):
    """Records that belong to a company: the company must be mapped to a client (else one error per record)."""

    def prepare(self, items: list[Item]) -> None:
        self.clients = local_ids(self.context.source, "company", [i.payload.get("company_id") for i in items])

    def client_id(self, item: Item) -> str:
        company = integer(item.payload, "company_id", required=True)
        client = self.clients.get(str(company))
        if client is None:
            raise RecordError(f"Its company {company} is not mapped to a client (or has not been synced).")
        return client


def layout_field_types(source) -> dict[int, dict]:
    """layout id -> {"name", "types": {field label: field type (lower case)}}, from the mirrored layouts."""
    found: dict[int, dict] = {}
    for external_id, payload in ExternalRecord.objects.filter(source=source, kind="layout").values_list(
        "external_id", "payload"
    ):
        payload = payload if isinstance(payload, dict) else {}
        specs = payload.get("fields") if isinstance(payload.get("fields"), list) else []
        found[int(external_id)] = {
            "name": payload.get("name") if isinstance(payload.get("name"), str) else "",
            "types": {
                str(spec.get("label")): str(spec.get("field_type") or "").lower()
                for spec in specs
                if isinstance(spec, dict)
            },
        }
    return found


def withhold_secret_fields(payload: dict, types: dict[str, str]) -> dict:
    """The asset payload with the values of its layout's password fields removed (marked ``withheld``)."""
    fields = payload.get("fields")
    if not isinstance(fields, list):
        return payload
    kept = []
    for entry in fields:
        if isinstance(entry, dict) and types.get(str(entry.get("label")), "") in SECRET_FIELD_TYPES:
            entry = {**entry, "value": None, "withheld": True}
        kept.append(entry)
    return {**payload, "fields": kept}


class AssetMapper(_CompanyChildMapper):
    """Assets by layout: the layout names the asset's type; custom fields go to :class:`HuduAssetFields`."""

    kind = "asset"
    model = Asset
    fields = ("client_id", "name", "type", "make", "model", "serial")

    def prepare(self, items: list[Item]) -> None:
        super().prepare(items)
        self.layouts = getattr(self.context, "layouts", None) or layout_field_types(self.context.source)

    def values(self, item: Item) -> dict:
        p = item.payload
        layout = self.layouts.get(p.get("asset_layout_id")) or {}
        fields = p.get("fields") or []
        if not isinstance(fields, list):
            raise RecordError("'fields' should be a list.")
        item.extra["fields"] = [
            {"label": str(f.get("label", ""))[:200], "value": f.get("value"), "withheld": bool(f.get("withheld")),
             "field_type": layout.get("types", {}).get(str(f.get("label")), "")}
            for f in sorted((f for f in fields if isinstance(f, dict)), key=lambda f: f.get("position") or 0)
        ]  # fmt: skip
        item.extra["layout"] = (p.get("asset_layout_id"), layout.get("name") or text(p, "asset_type", 200))
        return {
            "client_id": self.client_id(item),
            "name": text(p, "name", 200, required=True),
            "type": asset_type(item.extra["layout"][1] or ""),
            "make": text(p, "primary_manufacturer", 100),
            "model": text(p, "primary_model", 100),
            "serial": text(p, "primary_serial", 100),
        }

    def match(self, items: list[Item]) -> None:
        """An existing asset of the same client with the same serial (case-insensitive) is this one."""
        serials = {item.values["serial"] for item in items if item.values["serial"]}
        if not serials:
            return
        clients = {item.values["client_id"] for item in items}
        spellings = serials | {s.upper() for s in serials} | {s.lower() for s in serials}
        found = {
            (str(a.client_id), a.serial.upper()): a
            for a in Asset.objects.filter(client_id__in=clients, serial__in=spellings)
        }
        for item in items:
            if item.values["serial"]:
                item.obj = found.get((str(item.values["client_id"]), item.values["serial"].upper()))

    def after_save(self, items: list[Item]) -> None:
        """Each written asset's custom fields, replaced whole (the record changed, so they may have)."""
        rows = [
            HuduAssetFields(
                asset_id=item.obj.pk,
                source_id=self.context.source.pk,
                hudu_id=int(item.external_id),
                layout_id=item.extra["layout"][0] if isinstance(item.extra["layout"][0], int) else None,
                layout_name=(item.extra["layout"][1] or "")[:200],
                url=text(item.payload, "url", 500),
                fields=item.extra["fields"],
                updated_at=self.context.now,
            )
            for item in items
            if item.obj is not None
        ]
        existing = set(HuduAssetFields.objects.filter(asset_id__in=[r.asset_id for r in rows]).values_list("asset_id",
                                                                                                          flat=True))  # fmt: skip
        bulk.insert(HuduAssetFields, [r for r in rows if r.asset_id not in existing])
        names = ["source", "hudu_id", "layout_id", "layout_name", "url", "fields", "updated_at"]
        bulk.update(HuduAssetFields, [r for r in rows if r.asset_id in existing], names)
        self.context.writes += len(rows)

    def on_deleted(self, object_ids: list[str]) -> None:
        Asset.objects.filter(pk__in=mirrored_here_only(Asset, object_ids), archived_at__isnull=True).update(
            archived_at=self.context.now, updated_at=self.context.now
        )


def domain_name(url: str) -> str:
    """``https://www.example.com/path`` → ``www.example.com``; a bare host stays as it is."""
    candidate = url if "://" in url else f"https://{url}"
    host = (urlsplit(candidate).hostname or "").strip(".").lower()
    if not host or "." not in host or len(host) > 253:
        raise RecordError(f"'name' is not a web address with a domain: {url[:60]!r}.")
    return host


class WebsiteMapper(_CompanyChildMapper):
    """Websites become the client's domains, matched to an existing domain of the same name."""

    kind = "website"
    model = Domain
    fields = ("client_id", "name")

    def values(self, item: Item) -> dict:
        return {"client_id": self.client_id(item), "name": domain_name(text(item.payload, "name", 500, required=True))}

    def match(self, items: list[Item]) -> None:
        clients = {item.values["client_id"] for item in items}
        names = {item.values["name"] for item in items}
        found = {(str(d.client_id), d.name.lower()): d for d in Domain.objects.filter(client_id__in=clients,
                                                                                      name__in=names)}  # fmt: skip
        for item in items:
            item.obj = found.get((str(item.values["client_id"]), item.values["name"]))

    # on_deleted: a domain has no archived state, and its notes, certificates and registrar are local work, so a
    # website gone from Hudu only marks its external record deleted.


class PasswordMapper(_CompanyChildMapper):
    """Asset passwords become vault credentials of the built-in "Hudu password" type, linked to the client and
    (when Hudu attaches it to one) the asset. The job hands the secret values over in ``context.hudu_secrets``;
    they are encrypted here, in the same transaction as the credential, and never put in the payload copy."""

    kind = "password"
    model = Credential
    fields = ("client_id", "name", "notes", "values")

    def prepare(self, items: list[Item]) -> None:
        super().prepare(items)
        assets = [i.payload.get("passwordable_id") for i in items if i.payload.get("passwordable_type") == "Asset"]
        self.assets = local_ids(self.context.source, "asset", assets)
        self.audit = PasswordAudit(self.context, items)

    def values(self, item: Item) -> dict:
        p = item.payload
        secrets = self.context.hudu_secrets.get(item.external_id, {})
        if not secrets.get("password"):
            raise RecordError("The password is empty.")
        item.extra["secrets"] = secrets
        item.extra["asset"] = (
            self.assets.get(str(p.get("passwordable_id"))) if p.get("passwordable_type") == "Asset" else None
        )
        values = {"username": text(p, "username", 500), "url": text(p, "login_url", 500) or text(p, "url", 500)}
        return {
            "client_id": self.client_id(item),
            "type_id": PASSWORD_TYPE_ID,
            "name": text(p, "name", 200, required=True),
            "notes": text(p, "description", 10_000),
            "values": {k: v for k, v in values.items() if v},
        }

    def after_save(self, items: list[Item]) -> None:
        """Fresh data keys and ciphertexts for every written credential, and its asset link."""
        written = [item for item in items if item.obj is not None]
        if not written:
            return
        ids = [item.obj.pk for item in written]
        SecureValue.objects.filter(credential_id__in=ids).delete()
        DataKey.objects.filter(credential_id__in=ids).delete()
        ring = vault.load_keyring()
        keys, values = [], []
        for item in written:
            credential = item.obj
            dek = vault.new_data_key()
            wrapped, version = vault.wrap_data_key(dek, credential.pk, ring)
            keys.append(DataKey(credential_id=credential.pk, wrapped=wrapped, key_version=version))
            for field_id, secret_key in (("password", "password"), ("totp", "otp_secret")):
                secret = item.extra["secrets"].get(secret_key)
                if secret:
                    blob = vault.encrypt_value(dek, credential.pk, credential.field_path(field_id), secret)
                    values.append(SecureValue(credential_id=credential.pk, field_id=field_id, ciphertext=blob))
        bulk.insert(DataKey, keys)
        bulk.insert(SecureValue, values)
        linked = self._relink_assets(written)
        self.context.writes += len(keys) + len(values) + linked + self.audit.written(written)

    def _relink_assets(self, written: list[Item]) -> int:
        """Each credential's link to the asset Hudu attaches it to; links a user added to other assets stay (only
        links to assets this source mirrors are Hudu's to drop). Returns the rows written."""
        links = Credential.assets.through
        wanted = {(str(item.obj.pk), str(item.extra["asset"])) for item in written if item.extra["asset"]}
        existing = list(links.objects.filter(credential_id__in=[i.obj.pk for i in written])
                        .values_list("pk", "credential_id", "asset_id"))  # fmt: skip
        present = {(str(credential), str(asset)) for _, credential, asset in existing}
        mirrored = set(
            ExternalRecord.objects.filter(
                source=self.context.source, kind="asset", object_id__in=[str(a) for _, _, a in existing]
            ).values_list("object_id", flat=True)
        ) if existing else set()  # fmt: skip
        stale = [pk for pk, credential, asset in existing
                 if str(asset) in mirrored and (str(credential), str(asset)) not in wanted]  # fmt: skip
        if stale:
            links.objects.filter(pk__in=stale).delete()
        new = [links(credential_id=c, asset_id=a) for c, a in sorted(wanted - present)]
        bulk.insert(links, new)
        return len(stale) + len(new)

    def on_deleted(self, object_ids: list[str]) -> None:
        """Passwords gone from Hudu (or archived there) go to the vault's trash (restorable), audited."""
        trashed = list(Credential.objects.filter(pk__in=object_ids, deleted_at__isnull=True))
        Credential.objects.filter(pk__in=[c.pk for c in trashed]).update(
            deleted_at=self.context.now, deleted_by=None, updated_at=self.context.now
        )
        self.context.writes += PasswordAudit.trashed(self.context, trashed)


def split_secrets(record: dict) -> tuple[dict, dict]:
    """``(payload without secrets, the secrets)``: the payload keeps a keyed fingerprint so a changed password
    still changes the payload hash."""
    secrets = {key: record.get(key) for key in SECRET_KEYS if isinstance(record.get(key), str)}
    payload = {k: v for k, v in record.items() if k not in SECRET_KEYS}
    payload["secret_fingerprint"] = fingerprint([secrets.get(key) or "" for key in SECRET_KEYS])
    return payload, secrets
