"""ConnectWise opportunities → ``sales.Opportunity``, and the quote statuses → the mirror (no local table).

An opportunity links to the client, contact and location synced from its company, contact and site (references to
records not synced stay as ConnectWise's ``{id, name}`` only), and to the user whose ``cw_identifier`` is its primary
sales rep.
"""

from __future__ import annotations

import re

from django.db.models.functions import Upper

from accounts.models import User
from integrations.connectwise.mappers import ref_id, text
from integrations.connectwise.procurement import cw_time, last_updated, minor_units
from integrations.mirror import Item, Mapper, RecordError, local_ids
from sales.models import Opportunity

REF_KEYS = ("id", "identifier", "name")
_PERCENT = re.compile(r"(\d{1,3})")


def reference(payload: dict, key: str) -> dict | None:
    """A ConnectWise reference reduced to ``{id, identifier?, name}`` (``_info`` hrefs are dropped)."""
    value = payload.get(key)
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("id"), int):
        raise RecordError(f"'{key}' should be a reference with an integer id.")
    return {k: value[k] for k in REF_KEYS if k in value and isinstance(value[k], int | str)}


def probability(payload: dict) -> int | None:
    value = payload.get("probability")
    name = value.get("name") if isinstance(value, dict) else value
    match = _PERCENT.search(str(name)) if name is not None else None
    return min(int(match.group(1)), 100) if match else None


class OpportunityMapper(Mapper):
    kind = "opportunity"
    model = Opportunity
    fields = (
        "source_id", "cw_opportunity_id", "name", "notes", "type", "stage", "status", "priority", "rating", "campaign",
        "location_ref", "department", "lead_source", "client_id", "company_ref", "contact_id", "contact_ref",
        "location_id", "site_ref", "sales_rep_id", "primary_sales_rep", "secondary_sales_rep", "closed_by",
        "customer_po", "total_sales_tax", "probability", "expected_close_date", "pipeline_change_date",
        "date_became_lead", "closed_date", "is_closed", "custom_fields", "cw_last_updated", "archived_at",
    )  # fmt: skip

    def prepare(self, items: list[Item]) -> None:
        source = self.context.source
        ids = {"company": [], "contact": [], "site": []}
        reps = set()
        for item in items:
            for key in ids:
                value = item.payload.get(key)
                if isinstance(value, dict):
                    ids[key].append(value.get("id"))
            rep = item.payload.get("primarySalesRep")
            if isinstance(rep, dict) and isinstance(rep.get("identifier"), str):
                reps.add(rep["identifier"].upper())
        self.links = {key: local_ids(source, key, values) for key, values in ids.items()}
        users = User.objects.annotate(code=Upper("cw_identifier")).filter(code__in=reps).order_by("created_at")
        self.users: dict[str, object] = {}
        for user in users:
            self.users.setdefault(user.code, user.pk)

    def _link(self, key: str, payload: dict) -> str | None:
        value = ref_id(payload, key)
        return self.links[key].get(str(value)) if value is not None else None

    def values(self, item: Item) -> dict:
        p = item.payload
        rep = reference(p, "primarySalesRep")
        custom = p.get("customFields") or []
        if not isinstance(custom, list):
            raise RecordError("'customFields' should be a list.")
        return {
            "source_id": self.context.source.pk,
            "cw_opportunity_id": int(item.external_id),
            "name": text(p, "name", 200, required=True),
            "notes": text(p, "notes", 64 * 1024),
            **{key: reference(p, key) for key in ("type", "stage", "status", "priority", "rating", "campaign")},
            "location_ref": {"id": p["locationId"]} if isinstance(p.get("locationId"), int) else None,
            "department": {"id": p["businessUnitId"]} if isinstance(p.get("businessUnitId"), int) else None,
            "lead_source": text(p, "source", 100),
            "client_id": self._link("company", p),
            "company_ref": reference(p, "company"),
            "contact_id": self._link("contact", p),
            "contact_ref": reference(p, "contact"),
            "location_id": self._link("site", p),
            "site_ref": reference(p, "site"),
            "sales_rep_id": self.users.get(str(rep.get("identifier", "")).upper()) if rep else None,
            "primary_sales_rep": rep,
            "secondary_sales_rep": reference(p, "secondarySalesRep"),
            "closed_by": reference(p, "closedBy"),
            "customer_po": text(p, "customerPO", 100),
            "total_sales_tax": minor_units(p, "totalSalesTax"),
            "probability": probability(p),
            "expected_close_date": cw_time(p, "expectedCloseDate"),
            "pipeline_change_date": cw_time(p, "pipelineChangeDate"),
            "date_became_lead": cw_time(p, "dateBecameLead"),
            "closed_date": cw_time(p, "closedDate"),
            "is_closed": p.get("closedFlag") is True,
            "custom_fields": custom,
            "cw_last_updated": last_updated(p),
            "archived_at": None,  # a record ConnectWise serves is live, also one the deletion scan had archived
        }

    def match(self, items: list[Item]) -> None:
        ids = [int(item.external_id) for item in items]
        found = {o.cw_opportunity_id: o for o in Opportunity.objects.filter(cw_opportunity_id__in=ids)}
        for item in items:
            item.obj = found.get(int(item.external_id))

    def on_deleted(self, object_ids: list[str]) -> None:
        """Archived, never deleted: its history (audit, links, what users wrote about it) stays readable here."""
        Opportunity.objects.filter(pk__in=object_ids, archived_at__isnull=True).update(
            archived_at=self.context.now, updated_at=self.context.now
        )


class OpportunityStatusMapper(Mapper):
    """The quote statuses (``/sales/opportunity-types``) are kept in the mirror only: a handful, read as a list."""

    kind = "opportunity_status"
    model = None

    def values(self, item: Item) -> dict:
        text(item.payload, "name", 100, required=True)
        return {}


class _OneRecordRun:
    """The counters a sync run keeps, for a single record stored outside a scheduled run."""

    def __init__(self) -> None:
        self.created = self.updated = self.unchanged = self.failed = 0
        self.errors: list[dict] = []


class OneRecordContext:
    """What :func:`integrations.mirror.apply_batch` needs to store one record fetched on request (a refresh).

    No :class:`SyncRun` is recorded and no job lock is taken: the write is one record's idempotent upsert, and a
    scheduled run storing the same payload meanwhile leaves the same row. A database busy with another writer is
    not waited for here (no retry): the request answers 503 BUSY.
    """

    busy_retries = 0

    def __init__(self, source) -> None:
        from django.utils import timezone

        self.source, self.run, self.now, self.writes = source, _OneRecordRun(), timezone.now(), 0

    def error(self, external_id, message: str) -> None:
        self.run.failed += 1
        self.run.errors.append({"external_id": str(external_id)[:64], "message": str(message)[:500]})

    def saw(self, moment) -> None:
        pass

    def progress(self) -> None:
        pass


def store_opportunity(source, payload: dict) -> list[dict]:
    """Upsert one opportunity payload fetched live; the errors, if it could not be stored."""
    from integrations.mirror import apply_batch

    context = OneRecordContext(source)
    apply_batch(context, OpportunityMapper, [(payload.get("id"), payload)])
    return context.run.errors
