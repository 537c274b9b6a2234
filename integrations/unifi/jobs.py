"""The UniFi sync jobs: a full pull per run (the controller has no incremental filter; the volumes are small).

``unifi.sites`` mirrors the controller's sites into :class:`UnifiSite` (links to clients are local and kept).
``unifi.devices`` pulls each site's devices and upserts them, through the mirror's batched upsert, onto the linked
client's assets matched by MAC (then serial), like ``PUT /assets/upsert``; each device also gets a
:class:`UnifiDevice` row (state, firmware, last seen). Unchanged devices write nothing. WLANs are never synced: their
passphrases and PPSK keys stay on the controller.
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError

from assets.models import Asset, AssetInterface
from assets.validators import normalize_mac
from integrations.http import NotFoundError
from integrations.mirror import Item, Mapper, RecordError, apply_batch, mark_missing
from integrations.unifi.models import UnifiDevice, UnifiSite

BATCH = 500
INTERFACE_NAME = "UniFi"
DEVICE_FIELDS = ("_id", "mac", "model", "type", "name", "ip", "serial", "version", "state", "adopted", "last_seen")
ASSET_TYPES = {
    "uap": Asset.Type.ACCESS_POINT,
    "usw": Asset.Type.SWITCH,
    "ugw": Asset.Type.ROUTER,
    "udm": Asset.Type.FIREWALL,
    "uxg": Asset.Type.ROUTER,
}
STATES = {
    0: UnifiDevice.State.DISCONNECTED,
    1: UnifiDevice.State.CONNECTED,
    2: UnifiDevice.State.PENDING,
    4: UnifiDevice.State.UPGRADING,
    5: UnifiDevice.State.PROVISIONING,
}


def _text(payload: dict, key: str, limit: int, *, required: bool = False) -> str:
    value = payload.get(key)
    if value in (None, ""):
        if required:
            raise RecordError(f"'{key}' is missing.")
        return ""
    if not isinstance(value, str):
        raise RecordError(f"'{key}' should be text, got {type(value).__name__}.")
    return value.strip()[:limit]


class SiteMapper(Mapper):
    kind = "site"
    model = UnifiSite
    fields = ("source_id", "site_id", "external_id", "name", "deleted_at")

    def values(self, item: Item) -> dict:
        p = item.payload
        return {
            "source_id": self.context.source.pk,
            "site_id": _text(p, "name", 64, required=True),
            "external_id": _text(p, "_id", 64),
            "name": _text(p, "desc", 200) or _text(p, "name", 64),
            "deleted_at": None,
        }

    def match(self, items: list[Item]) -> None:
        """A site created through ``/unifi/sites/create`` is tracked before its first sync: match it by name."""
        names = {item.values["site_id"] for item in items}
        rows = {s.site_id: s for s in UnifiSite.objects.filter(source=self.context.source, site_id__in=names)}
        for item in items:
            item.obj = rows.get(item.values["site_id"])

    def on_deleted(self, object_ids: list[str]) -> None:
        UnifiSite.objects.filter(pk__in=object_ids, deleted_at__isnull=True).update(deleted_at=self.context.now)


def sync_sites(context) -> None:
    records = [(site.get("_id") or site.get("name"), site) for site in context.client.sites()]
    apply_batch(context, SiteMapper, records)
    mark_missing(context, SiteMapper, {str(external_id) for external_id, _ in records if external_id})
    context.progress()


def _ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value)) if value else None
    except ValueError:
        return None


def _last_seen(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def device_payload(site: UnifiSite, device: dict) -> dict:
    """The device fields the sync keeps (and hashes): counters such as uptime would make every run a write.

    The site's linked client is part of it, so linking (or relinking) a site rewrites its devices at the next run.
    """
    fields = {key: device.get(key) for key in DEVICE_FIELDS}
    return {**fields, "site": site.site_id, "linked_client": str(site.client_id or "")}


class DeviceMapper(Mapper):
    """Devices onto assets of the site's client; a site not linked to a client keeps only its device rows."""

    kind = "device"
    model = Asset
    fields = ("client_id", "name", "type", "make", "model", "serial", "os")

    def prepare(self, items: list[Item]) -> None:
        self.sites: dict[str, UnifiSite] = self.context.unifi_sites

    def values(self, item: Item) -> dict:
        p = item.payload
        site = self.sites.get(p.get("site"))
        if site is None:
            raise RecordError("Its site is not tracked.")
        try:
            mac = normalize_mac(_text(p, "mac", 40, required=True))
        except ValidationError:
            raise RecordError(f"'mac' is not a MAC address: {str(p.get('mac'))[:40]!r}.") from None
        kind, model, version = _text(p, "type", 20), _text(p, "model", 100), _text(p, "version", 80)
        state = p.get("state")
        item.extra = {
            "site": site,
            "mac": mac,
            "ip": _ip(_text(p, "ip", 45)),
            "kind": kind,
            "model": model,
            "firmware": version,
            "name": _text(p, "name", 200),
            "state": STATES.get(state, UnifiDevice.State.OTHER) if isinstance(state, int) else UnifiDevice.State.OTHER,
            "last_seen": _last_seen(p.get("last_seen")),
        }
        if site.client_id is None:
            return {}
        return {
            "client_id": site.client_id,
            "name": item.extra["name"] or f"{model or 'UniFi device'} {mac}",
            "type": ASSET_TYPES.get(kind, Asset.Type.OTHER),
            "make": "Ubiquiti",
            "model": model,
            "serial": _text(p, "serial", 100),
            "os": f"UniFi firmware {version}"[:100] if version else "",
        }

    def new(self, item: Item) -> Asset | None:
        return Asset(**item.values) if item.values else None

    def match(self, items: list[Item]) -> None:
        """Existing assets of the client with the device's MAC on an interface (else its serial) are updated."""
        linked = [item for item in items if item.values]
        clients = {item.values["client_id"] for item in linked}
        if not clients:
            return
        by_mac: dict[tuple, Asset] = {}
        macs = {item.extra["mac"] for item in linked}
        for interface in (
            AssetInterface.objects.select_related("asset")
            .filter(mac__in=macs, asset__client_id__in=clients)
            .order_by("asset__created_at", "asset_id")
        ):
            by_mac.setdefault((interface.asset.client_id, interface.mac), interface.asset)
        serials = {item.values["serial"] for item in linked if item.values["serial"]}
        by_serial = (
            {
                (a.client_id, a.serial.upper()): a
                for a in Asset.objects.filter(client_id__in=clients, serial__in=serials)
            }
            if serials
            else {}
        )
        for item in linked:
            client = item.values["client_id"]
            item.obj = by_mac.get((client, item.extra["mac"])) or by_serial.get((client, item.values["serial"].upper()))

    def after_save(self, items: list[Item]) -> None:
        self._interfaces([item for item in items if item.obj is not None])
        self._device_rows(items)

    def _interfaces(self, items: list[Item]) -> None:
        """The device's MAC and IP as an interface of its asset (primary when it has none), never duplicated."""
        existing: dict[Any, list[AssetInterface]] = {}
        for interface in AssetInterface.objects.filter(asset_id__in=[item.obj.pk for item in items]):
            existing.setdefault(interface.asset_id, []).append(interface)
        create, update = [], []
        for item in items:
            mac, ip = item.extra["mac"], item.extra["ip"]
            ipv4 = ip if ip and ":" not in ip else None
            mine = existing.get(item.obj.pk, [])
            match = next((i for i in mine if i.mac == mac), None) or next(
                (i for i in mine if i.name == INTERFACE_NAME), None
            )
            if match is None:
                create.append(
                    AssetInterface(asset_id=item.obj.pk, name=INTERFACE_NAME, mac=mac, ipv4=ipv4, is_primary=not mine)
                )
            elif match.mac != mac or match.ipv4 != ipv4:
                match.mac, match.ipv4 = mac, ipv4
                update.append(match)
        if create:
            AssetInterface.objects.bulk_create(create)
        if update:
            AssetInterface.objects.bulk_update(update, ["mac", "ipv4"])
        self.context.writes += len(create) + len(update)

    def _device_rows(self, items: list[Item]) -> None:
        wanted = {(item.extra["site"].pk, item.extra["mac"]): item for item in items}
        rows = {
            (d.site_id, d.mac): d
            for d in UnifiDevice.objects.filter(
                site_id__in={site for site, _ in wanted}, mac__in={mac for _, mac in wanted}
            )
        }
        create, update = [], []
        names = ["external_id", "name", "model", "type", "ip", "firmware", "state", "last_seen", "asset_id"]
        for key, item in wanted.items():
            e = item.extra
            values = {
                "external_id": item.external_id,
                "name": e["name"],
                "model": e["model"],
                "type": e["kind"],
                "ip": e["ip"],
                "firmware": e["firmware"],
                "state": e["state"],
                "last_seen": e["last_seen"],
                "asset_id": item.obj.pk if item.obj is not None else None,
            }
            row = rows.get(key)
            if row is None:
                create.append(UnifiDevice(site_id=key[0], mac=key[1], **values))
            elif any(getattr(row, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(row, name, value)
                row.updated_at = self.context.now
                update.append(row)
        if create:
            UnifiDevice.objects.bulk_create(create)
        if update:
            UnifiDevice.objects.bulk_update(update, [*names, "updated_at"])
        self.context.writes += len(create) + len(update)


def sync_devices(context) -> None:
    """Every tracked site's devices, in batches across sites; a site the controller no longer knows is one error."""
    sites = list(UnifiSite.objects.filter(source=context.source, deleted_at__isnull=True).order_by("site_id"))
    context.unifi_sites = {site.site_id: site for site in sites}
    buffer: list[tuple[Any, dict]] = []
    seen: set[str] = set()
    complete = True
    for site in sites:
        try:
            devices = context.client.devices(site.site_id)
        except NotFoundError as exc:
            context.error(site.site_id, f"The controller does not know this site: {exc.message}")
            complete = False
            continue
        for device in devices:
            seen.add(str(device.get("_id")))
            buffer.append((device.get("_id"), device_payload(site, device)))
        if len(buffer) >= BATCH:
            apply_batch(context, DeviceMapper, buffer)
            buffer = []
    if buffer:
        apply_batch(context, DeviceMapper, buffer)
    if complete:
        mark_missing(context, DeviceMapper, seen)
    context.progress()
