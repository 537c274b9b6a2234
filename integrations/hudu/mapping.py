"""Correcting the company → client mapping: an admin points a Hudu company at another client (or at none).

The client's ``hudu_id`` and the company's mirror record follow at once, and so do the rows the company's assets,
websites and passwords became, in one transaction: the next sync finds them linked and leaves them where they are.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from assets.models import Asset, Domain
from clients.models import Client
from credentials.models import Credential
from integrations.models import ExternalRecord, Source
from psa import audit

CHILD_MODELS = {"asset": Asset, "website": Domain, "password": Credential}


class MappingError(ValueError):
    """The new mapping cannot be applied (its message says why)."""


def companies(source: Source) -> list[dict]:
    """The source's Hudu companies with the client each maps to, by name."""
    records = ExternalRecord.objects.filter(source=source, kind="company").order_by("external_id")
    rows = list(records.values_list("external_id", "payload__name", "object_id", "deleted_at"))
    clients = {str(c.pk): c for c in Client.objects.filter(pk__in=[r[2] for r in rows if r[2]])}
    listed = [
        {"hudu_id": int(ext), "name": name if isinstance(name, str) else "", "client": clients.get(obj),
         "deleted": deleted is not None}
        for ext, name, obj, deleted in rows
    ]  # fmt: skip
    return sorted(listed, key=lambda row: (row["name"].lower(), row["hudu_id"]))


def remap(source: Source, hudu_id: int, client: Client | None, request: Any = None) -> int:
    """Map Hudu company ``hudu_id`` to ``client`` (``None``: to no client); returns how many rows moved."""
    record = ExternalRecord.objects.filter(source=source, kind="company", external_id=str(hudu_id)).first()
    if record is None:
        raise MappingError(f"Hudu company {hudu_id} has not been synced from this source.")
    moved = 0
    try:
        with transaction.atomic():
            for previous in Client.objects.filter(hudu_id=hudu_id).exclude(pk=getattr(client, "pk", None)):
                _set_hudu_id(previous, None, request)
            if client is not None:
                if client.hudu_id not in (None, hudu_id):
                    ExternalRecord.objects.filter(source=source, kind="company", object_id=str(client.pk)).update(
                        object_id="", content_type=None
                    )  # the client's former company is left unmapped
                _set_hudu_id(client, hudu_id, request)
                record.content_type, record.object_id = ContentType.objects.get_for_model(Client), str(client.pk)
                moved = _move_children(source, hudu_id, client)
            else:
                record.content_type, record.object_id = None, ""
            record.save(update_fields=["content_type", "object_id"])
    except IntegrityError:
        raise MappingError(
            "The client already has an asset with the same serial or a domain with the same name as one of this "
            "company's; merge them first."
        ) from None
    return moved


def _set_hudu_id(client: Client, hudu_id: int | None, request: Any) -> None:
    before = audit.snapshot(client)
    client.hudu_id = hudu_id
    client.save(update_fields=["hudu_id", "updated_at"])
    audit.record(request, "update", client, changes=audit.diff(before, audit.snapshot(client)))


def _move_children(source: Source, hudu_id: int, client: Client) -> int:
    moved = 0
    now = timezone.now()
    for kind, model in CHILD_MODELS.items():
        ids = ExternalRecord.objects.filter(source=source, kind=kind, payload__company_id=hudu_id).exclude(object_id="")
        object_ids = list(ids.values_list("object_id", flat=True))
        if object_ids:
            moved += model.objects.filter(pk__in=object_ids).exclude(client=client).update(client=client,
                                                                                          updated_at=now)  # fmt: skip
    return moved
