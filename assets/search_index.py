"""What the assets app makes searchable (``psa.search``): assets (also by serial, MAC in any notation and IP),
networks, domains, certificates and software."""

from __future__ import annotations

from django.urls import reverse

from assets.models import Asset, AssetInterface, Certificate, Domain, Network, Software
from psa.search import Document, Searchable, SearchField, register


def _interfaces(asset: Asset) -> list[AssetInterface]:
    """The asset's interfaces, from its prefetch cache when it has one (a rebuild's and a sync batch's assets do)
    without the related manager and queryset Django builds per access: a third of a synced asset's document."""
    cached = getattr(asset, "_prefetched_objects_cache", {}).get("interfaces")
    if cached is not None and cached._result_cache is not None:
        return cached._result_cache
    return list(asset.interfaces.all())


def _asset(asset: Asset) -> Document:
    interfaces = _interfaces(asset)
    addresses = [value for i in interfaces for value in (i.mac, i.ipv4 or "", i.ipv6 or "")]
    return Document(
        title=asset.name,
        texts={
            "name": asset.name,
            "serial": asset.serial,
            "make": asset.make,
            "model": asset.model,
            "os": asset.os,
            "notes": asset.notes,
        },
        client_id=asset.client_id,
        identifiers=[asset.serial, *addresses],
        is_active=asset.archived_at is None,
    )


def _named(*fields: str, identifiers: tuple[str, ...] = ()):
    def document(obj) -> Document:
        return Document(
            title=obj.name,
            texts={name: str(getattr(obj, name) or "") for name in ("name", *fields)},
            client_id=obj.client_id,
            identifiers=[str(getattr(obj, name) or "") for name in identifiers],
        )

    return document


def _doc_url(kind: str):
    return lambda object_id, client_id: reverse("clients:doc_detail", args=[client_id, kind, object_id])


register(
    Searchable(
        kind="asset",
        label="Assets",
        model=Asset,
        nodes=("asset.read",),
        fields=(
            SearchField("name", "a", gate="name"),
            SearchField("serial", "a", gate="serial"),
            SearchField("make", "b", gate="make"),
            SearchField("model", "b", gate="model"),
            SearchField("os", "b", gate="os"),
            SearchField("notes", "c", gate="notes"),
        ),
        document=_asset,
        url=lambda object_id, client_id: reverse("assets:asset_detail", args=[object_id]),
        rebuild=lambda: Asset.objects.prefetch_related("interfaces").order_by("created_at", "id"),
        related={AssetInterface: lambda interface: [interface.asset_id]},
        order=40,
        identifier_gates=("serial", "interfaces"),
    )
)
for kind, label, model, tab, fields, identifiers, order in [
    ("network", "Networks", Network, "networks", (("notes", "c"),), ("cidr", "gateway"), 80),
    ("domain", "Domains", Domain, "domains", (("notes", "c"),), ("name", "ip"), 90),
    ("certificate", "Certificates", Certificate, "certificates", (("issuer", "b"), ("notes", "c")), (), 100),
    ("software", "Software", Software, "software", (("version", "b"), ("notes", "c")), (), 105),
]:
    register(
        Searchable(
            kind=kind,
            label=label,
            model=model,
            nodes=(f"{kind}.read",),
            fields=(SearchField("name", "a", gate="name"), *(SearchField(n, g, gate=n) for n, g in fields)),
            document=_named(*(n for n, _ in fields), identifiers=identifiers),
            url=_doc_url(tab),
            rebuild=lambda model=model: model.objects.order_by("created_at", "id"),
            order=order,
            identifier_gates=identifiers,
        )
    )
