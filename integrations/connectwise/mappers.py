"""How ConnectWise records map onto local rows. Each mapper's ``fields`` are the fields ConnectWise masters."""

from __future__ import annotations

import functools
import re
import uuid
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models import Q
from django.db.models.functions import Upper

from accounts.models import User
from assets.models import Asset, AssetInterface
from assets.validators import normalize_mac
from clients.models import Client, Contact, Location
from integrations import bulk
from integrations.mirror import Item, Mapper, RecordError, build, linked_uuids, prefetched, text

_url = URLValidator(schemes=["http", "https"])


def ref_id(payload: dict, key: str, *, required: bool = False) -> int | None:
    value = payload.get(key)
    if value is None:
        if required:
            raise RecordError(f"'{key}' is missing.")
        return None
    if not isinstance(value, dict) or not isinstance(value.get("id"), int):
        raise RecordError(f"'{key}' should be a reference with an integer id.")
    return value["id"]


def ref_name(payload: dict, key: str, limit: int) -> str:
    value = payload.get(key)
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        return value["name"][:limit]
    return ""


def cw_date(payload: dict, key: str) -> date | None:
    value = payload.get(key)
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).date()
    except ValueError:
        raise RecordError(f"'{key}' is not a date: {str(value)[:30]!r}.") from None


def website(value: str) -> str:
    if not value:
        return ""
    candidate = value if "://" in value else f"https://{value}"
    try:
        _url(candidate)
    except ValidationError:
        return ""  # a website ConnectWise accepts but we cannot link to is left out, not an error
    return candidate[:500]


class CompanyMapper(Mapper):
    kind = "company"
    model = Client
    fields = ("name", "cw_company_id", "cw_identifier", "phone", "website", "address", "is_lead", "archived_at")

    def values(self, item: Item) -> dict:
        p = item.payload
        lines = [text(p, "addressLine1", 200), text(p, "addressLine2", 200)]
        city_line = " ".join(part for part in (text(p, "city", 100), text(p, "state", 50), text(p, "zip", 20)) if part)
        address = "\n".join(part for part in [*lines, city_line, ref_name(p, "country", 100)] if part)
        values = {
            "name": text(p, "name", 200, required=True),
            "cw_company_id": int(item.external_id),
            "cw_identifier": text(p, "identifier", 100, required=True),
            "phone": text(p, "phoneNumber", 50),
            "website": website(text(p, "website", 400)),
            "address": address,
            "is_lead": p.get("leadFlag") is True,
        }
        if p.get("deletedFlag") is True:
            values["archived_at"] = self.context.now  # archived, never deleted: it may carry tickets
        return values

    def match(self, items: list[Item]) -> None:
        """Link existing clients: same ConnectWise id, or the same identifier on a client not linked yet."""
        ids = [int(item.external_id) for item in items]
        by_id = {c.cw_company_id: c for c in Client.objects.filter(cw_company_id__in=ids)}
        codes = [item.values["cw_identifier"].upper() for item in items]
        by_code = {
            c.code: c
            for c in Client.objects.annotate(code=Upper("identifier")).filter(
                code__in=codes, cw_company_id__isnull=True
            )
        }
        taken = set(
            Client.objects.annotate(code=Upper("identifier")).filter(code__in=codes).values_list("code", flat=True)
        )
        for item in items:
            code = item.values["cw_identifier"].upper()
            item.obj = by_id.get(int(item.external_id)) or by_code.pop(code, None)
            if item.obj is None and code not in taken:
                taken.add(code)
                item.extra["identifier"] = item.values["cw_identifier"]

    def new(self, item: Item) -> Client:
        return build(Client, {**item.values, "identifier": item.extra.get("identifier")})

    def on_deleted(self, object_ids: list[str]) -> None:
        Client.objects.filter(pk__in=object_ids, archived_at__isnull=True).update(
            archived_at=self.context.now, updated_at=self.context.now
        )


class _ClientChildMapper(Mapper):
    """Records that belong to a company: the company must have been synced (else one error per record)."""

    def prepare(self, items: list[Item]) -> None:
        companies = []
        for item in items:
            company = item.payload.get("company")
            if isinstance(company, dict):
                companies.append(company.get("id"))
        self.clients = linked_uuids(self.context, "company", companies)

    def client_id(self, item: Item) -> uuid.UUID:
        company = ref_id(item.payload, "company", required=True)
        client = self.clients.get(str(company))
        if client is None:
            raise RecordError(f"Its company {company} has not been synced (or failed to sync).")
        return client


class SiteMapper(_ClientChildMapper):
    kind = "site"
    model = Location
    fields = ("client_id", "name", "address1", "address2", "city", "state", "zip", "country", "phone")

    def values(self, item: Item) -> dict:
        p = item.payload
        state = p.get("stateReference")
        return {
            "client_id": self.client_id(item),
            "name": text(p, "name", 200, required=True),
            "address1": text(p, "addressLine1", 200),
            "address2": text(p, "addressLine2", 200),
            "city": text(p, "city", 100),
            "state": (state.get("identifier") or state.get("name") or "")[:100] if isinstance(state, dict) else "",
            "zip": text(p, "zip", 20),
            "country": ref_name(p, "country", 100),
            "phone": text(p, "phoneNumber", 50),
        }


def _communication(payload: dict, kind: str, types: tuple[str, ...] = ()) -> str:
    items = payload.get("communicationItems") or []
    if not isinstance(items, list):
        raise RecordError("'communicationItems' should be a list.")
    found = [
        i for i in items
        if isinstance(i, dict) and i.get("communicationType") == kind and isinstance(i.get("value"), str)
        and (not types or (i.get("type") or {}).get("name") in types)
    ]  # fmt: skip
    found.sort(key=lambda i: not i.get("defaultFlag"))
    return found[0]["value"].strip() if found else ""


class ContactMapper(_ClientChildMapper):
    kind = "contact"
    model = Contact
    fields = ("client_id", "first_name", "last_name", "title", "email", "phone", "mobile", "location_id", "is_active")

    def prepare(self, items: list[Item]) -> None:
        super().prepare(items)
        sites = [(i.payload.get("site") or {}).get("id") for i in items if isinstance(i.payload.get("site"), dict)]
        self.locations = linked_uuids(self.context, "site", sites)

    def values(self, item: Item) -> dict:
        p = item.payload
        email = _communication(p, "Email")[:254]
        if email and "@" not in email:
            email = ""
        site = ref_id(p, "site")
        return {
            "client_id": self.client_id(item),
            "first_name": text(p, "firstName", 100, required=True),
            "last_name": text(p, "lastName", 100),
            "title": text(p, "title", 100),
            "email": email,
            "phone": _communication(p, "Phone", ("Direct", "Phone", "Office", "Home"))[:50],
            "mobile": _communication(p, "Phone", ("Mobile", "Cell"))[:50],
            "location_id": self.locations.get(str(site)) if site is not None else None,
            "is_active": p.get("inactiveFlag") is not True,
        }

    def on_deleted(self, object_ids: list[str]) -> None:
        Contact.objects.filter(pk__in=object_ids, is_active=True).update(is_active=False, updated_at=self.context.now)


ASSET_TYPES = {
    "laptop": Asset.Type.LAPTOP, "notebook": Asset.Type.LAPTOP, "desktop": Asset.Type.DESKTOP,
    "workstation": Asset.Type.DESKTOP, "server": Asset.Type.SERVER, "virtual": Asset.Type.VIRTUAL_MACHINE,
    "firewall": Asset.Type.FIREWALL, "router": Asset.Type.ROUTER, "switch": Asset.Type.SWITCH,
    "access point": Asset.Type.ACCESS_POINT, "printer": Asset.Type.PRINTER, "phone": Asset.Type.PHONE,
    "mobile": Asset.Type.MOBILE, "tablet": Asset.Type.TABLET, "camera": Asset.Type.CAMERA,
}  # fmt: skip


@functools.lru_cache(maxsize=1024)  # a source has a few dozen configuration types
def asset_type(name: str) -> str:
    lowered = name.lower()
    return next((value for key, value in ASSET_TYPES.items() if key in lowered), Asset.Type.OTHER)


class ConfigurationMapper(_ClientChildMapper):
    """Configurations become assets, matched to existing ones like ``PUT /assets/upsert``: serial, then MAC."""

    kind = "configuration"
    model = Asset
    fields = ("client_id", "name", "type", "make", "model", "serial", "os", "status", "purchase_date",
              "warranty_expires", "install_date", "location_id", "contact_id")  # fmt: skip

    def prepare(self, items: list[Item]) -> None:
        super().prepare(items)
        sites, contacts = [], []
        for item in items:
            for key, bucket in (("site", sites), ("contact", contacts)):
                ref = item.payload.get(key)
                if isinstance(ref, dict):
                    bucket.append(ref.get("id"))
        self.locations = linked_uuids(self.context, "site", sites)
        self.contacts = linked_uuids(self.context, "contact", contacts)

    def values(self, item: Item) -> dict:
        p = item.payload
        mac = text(p, "macAddress", 40)
        try:
            self_mac = normalize_mac(mac) if mac else ""
        except ValidationError:
            self_mac = ""
        ip = text(p, "ipAddress", 45)
        item.extra = {"mac": self_mac, "ip": ip}
        site, contact = ref_id(p, "site"), ref_id(p, "contact")
        return {
            "client_id": self.client_id(item),
            "name": text(p, "name", 200, required=True),
            "type": asset_type(ref_name(p, "type", 100)),
            "make": ref_name(p, "manufacturer", 100),
            "model": text(p, "modelNumber", 100),
            "serial": text(p, "serialNumber", 100),
            "os": text(p, "osType", 100),
            "status": Asset.Status.DEPLOYED if p.get("activeFlag", True) is not False else Asset.Status.RETIRED,
            "purchase_date": cw_date(p, "purchaseDate"),
            "warranty_expires": cw_date(p, "warrantyExpirationDate"),
            "install_date": cw_date(p, "installationDate"),
            "location_id": self.locations.get(str(site)) if site is not None else None,
            "contact_id": self.contacts.get(str(contact)) if contact is not None else None,
        }

    def match(self, items: list[Item]) -> None:
        clients = {item.values["client_id"] for item in items}
        serials = {item.values["serial"].upper() for item in items if item.values["serial"]}
        macs = {item.extra["mac"] for item in items if item.extra["mac"]}
        if not (serials or macs):
            return
        # Serials match case-insensitively (as PUT /assets/upsert does); asking for the usual spellings keeps the
        # serial index usable, and the comparison below is on the upper-cased value. The clients are compared here,
        # not in SQL: a thousand-key IN list cost more to build than the lookups (which find little once synced).
        spellings = serials | {s.lower() for s in serials} | {i.values["serial"] for i in items if i.values["serial"]}
        found = (
            Asset.objects.filter(bulk.among(Asset, "serial", sorted(spellings))) if serials else Asset.objects.none()
        )
        by_serial = {
            (client_id, serial.upper()): pk
            for pk, client_id, serial in found.values_list("pk", "client_id", "serial")
            if client_id in clients
        }
        by_mac: dict[tuple, uuid.UUID] = {}
        if macs:
            for mac, asset_id, client_id in (
                AssetInterface.objects.filter(bulk.among(AssetInterface, "mac", sorted(macs)))
                .order_by("asset__created_at", "asset_id")
                .values_list("mac", "asset_id", "asset__client_id")
            ):
                if client_id in clients:
                    by_mac.setdefault((client_id, mac), asset_id)
        wanted = {*by_serial.values(), *by_mac.values()}
        assets = {a.pk: a for a in Asset.objects.filter(pk__in=wanted)} if wanted else {}
        for item in items:
            key_client = item.values["client_id"]
            serial = item.values["serial"].upper()
            found = (by_serial.get((key_client, serial)) if serial else None) or (
                by_mac.get((key_client, item.extra["mac"])) if item.extra["mac"] else None
            )
            item.obj = assets.get(found) if found else None
            if item.obj is not None and item.obj.serial and item.values["serial"] and serial != item.obj.serial.upper():
                item.obj = None  # matched by MAC but the serial says it is another machine

    def after_save(self, items: list[Item]) -> None:
        """Each asset gets its ConnectWise MAC/IP as its primary interface, never duplicated."""
        wanted = {item.obj.pk: item.extra for item in items if item.obj is not None and
                   (item.extra["mac"] or item.extra["ip"])}  # fmt: skip
        if not wanted:
            return
        existing: dict[Any, list[AssetInterface]] = {}
        had_rows = [
            item.obj.pk for item in items if item.obj is not None and not item.created and item.obj.pk in wanted
        ]
        for interface in AssetInterface.objects.filter(asset_id__in=had_rows) if had_rows else ():
            existing.setdefault(interface.asset_id, []).append(interface)  # an asset created just now has none
        created = {item.obj.pk: item.obj for item in items if item.created}
        create, update = [], []
        for asset_id, extra in wanted.items():
            ip = extra["ip"] if _is_ipv4(extra["ip"]) else None
            mine = existing.get(asset_id, [])
            match = next((i for i in mine if extra["mac"] and i.mac == extra["mac"]), None) or next(
                (i for i in mine if i.name == "ConnectWise"), None
            )
            if match is None:
                create.append(build(AssetInterface, {"asset_id": asset_id, "name": "ConnectWise", "mac": extra["mac"],
                                                     "ipv4": ip, "is_primary": not mine}))  # fmt: skip
                if asset_id in created:
                    prefetched(created[asset_id], "interfaces", [create[-1]])  # its only one: nothing to read back
            elif match.mac != extra["mac"] or match.ipv4 != ip:
                match.mac, match.ipv4, match.updated_at = extra["mac"] or match.mac, ip, self.context.now
                update.append(match)
        bulk.insert(AssetInterface, create)
        bulk.update(AssetInterface, update, ["mac", "ipv4", "updated_at"])
        self.context.writes += len(create) + len(update)

    def on_deleted(self, object_ids: list[str]) -> None:
        Asset.objects.filter(pk__in=object_ids, archived_at__isnull=True).update(
            archived_at=self.context.now, updated_at=self.context.now
        )


_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")


def _is_ipv4(value: str) -> bool:
    """What ``ipaddress.IPv4Address(value)`` accepts: four decimal octets up to 255, no leading zero (and ASCII
    digits only), by one regular expression rather than the module's parse of every octet."""
    return _IPV4.fullmatch(value) is not None


class MemberMapper(Mapper):
    """Members link to existing users by ``cw_identifier``, else by e-mail. A login is never created here."""

    kind = "member"
    model = User
    fields = ("cw_identifier",)

    def values(self, item: Item) -> dict:
        identifier = text(item.payload, "identifier", 100, required=True)
        item.extra = {"email": (text(item.payload, "officeEmail", 254) or text(item.payload, "primaryEmail", 254))}
        return {"cw_identifier": identifier}

    def match(self, items: list[Item]) -> None:
        codes = [item.values["cw_identifier"].upper() for item in items]
        emails = [item.extra["email"].upper() for item in items if item.extra["email"]]
        by_code = {u.code: u for u in User.objects.annotate(code=Upper("cw_identifier")).filter(code__in=codes)}
        by_email = {}
        if emails:
            for user in (
                User.objects.annotate(address=Upper("email"))
                .filter(Q(address__in=emails) & Q(cw_identifier=""))
                .order_by("created_at")
            ):
                by_email.setdefault(user.address, user)
        for item in items:
            item.obj = by_code.get(item.values["cw_identifier"].upper()) or (
                by_email.pop(item.extra["email"].upper(), None) if item.extra["email"] else None
            )

    def new(self, item: Item) -> None:
        return None  # no user without an administrator creating it; the member stays in the mirror
