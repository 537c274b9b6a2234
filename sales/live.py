"""An opportunity's live sub-resources: forecast products, notes and contacts, read from and written to ConnectWise.

Reads are cached for ``PSA_INTEGRATIONS_LIVE_CACHE_SECONDS`` and forgotten after our own writes. Every write is
audited here (the object lives in ConnectWise, so the audit event names the opportunity and the ConnectWise id).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models.functions import Upper
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError

from accounts.models import User
from catalog.models import Product
from integrations.connectwise import conditions as cw
from integrations.connectwise.live_calls import cached, connectwise, forget
from integrations.connectwise.procurement import EXTERNAL_SOURCE
from integrations.http import IntegrationError
from integrations.models import ExternalRecord
from psa import audit

NOTE_TYPE = "sales.opportunitynote"


def _cents(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return int((Decimal(str(value)) * 100).to_integral_value())
    except InvalidOperation:
        return None


def _ref(value: Any) -> dict | None:
    if not isinstance(value, dict) or "id" not in value:
        return None
    return {k: value[k] for k in ("id", "identifier", "name") if k in value}


class OpportunityArchived(APIException):
    """An opportunity deleted in ConnectWise has no live parts left to read or change: say so, without asking."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "archived"


def ensure_live(opportunity) -> None:
    """Raise :class:`OpportunityArchived` for an opportunity the deletion scan archived (cached parts included)."""
    if opportunity.archived_at is not None:
        raise OpportunityArchived(
            f"This opportunity was deleted in ConnectWise ({opportunity.archived_at:%Y-%m-%d}); its products, notes "
            "and contacts went with it. Refresh it if ConnectWise has it again."
        )


def _connectwise(opportunity, what: str):
    ensure_live(opportunity)
    return connectwise(opportunity.source, what)


# --- products ---------------------------------------------------------------------------------------------------


def _fetch_products(opportunity) -> dict:
    cw_id = opportunity.cw_opportunity_id
    with _connectwise(opportunity, "The opportunity") as api:
        lines = api.forecast_items(cw_id)
        products = api.get_list("procurement/products", conditions=cw.condition("opportunity/id", "=", cw_id))
    return {"lines": lines, "products": products}


def _cancellation(product: dict | None, quantity: Any) -> dict:
    if product is None:
        return {"cancelled": False, "cancellation_type": None, "quantity_cancelled": 0, "cancelled_reason": None,
                "cancelled_date": None}  # fmt: skip
    cancelled_units = (
        product.get("quantityCancelled") if isinstance(product.get("quantityCancelled"), int | float) else 0
    )
    cancelled = product.get("cancelledFlag") is True or cancelled_units > 0
    full = cancelled and isinstance(quantity, int | float) and cancelled_units >= quantity
    return {
        "cancelled": cancelled,
        "cancellation_type": ("full" if full else "partial") if cancelled else None,
        "quantity_cancelled": cancelled_units,
        "cancelled_reason": product.get("cancelledReason") or None,
        "cancelled_date": product.get("cancelledDate") or None,
    }


def shape_products(data: dict) -> list[dict]:
    """Forecast lines in sequence order, with cancellation data and our local inventory (null if not in the
    catalog)."""
    by_line = {p.get("forecastDetailId"): p for p in data["products"] if isinstance(p, dict)}
    item_ids = [str(line["catalogItem"]["id"]) for line in data["lines"]
                if isinstance(line.get("catalogItem"), dict) and "id" in line["catalogItem"]]  # fmt: skip
    stock = dict(
        Product.objects.filter(external_source=EXTERNAL_SOURCE, external_id__in=item_ids).values_list(
            "external_id", "on_hand"
        )
    )
    shaped = []
    for line in sorted(data["lines"], key=lambda item: (item.get("sequenceNumber") or 0, item["id"])):
        item = line.get("catalogItem") if isinstance(line.get("catalogItem"), dict) else None
        on_hand = stock.get(str(item.get("id"))) if item else None
        info = line.get("_info") if isinstance(line.get("_info"), dict) else {}
        revenue, cost = _cents(line.get("revenue")), _cents(line.get("cost"))
        shaped.append(
            {
                "id": line["id"],
                "forecast_description": line.get("forecastDescription"),
                "opportunity": _ref(line.get("opportunity")),
                "quantity": line.get("quantity"),
                "status": _ref(line.get("status")),
                **_cancellation(by_line.get(line["id"]), line.get("quantity")),
                "catalog_item": _ref(item),
                "product_description": line.get("productDescription"),
                "product_class": line.get("productClass"),
                "forecast_type": line.get("forecastType"),
                "revenue": revenue,
                "cost": cost,
                "margin": _cents(line.get("margin")),
                "profit": revenue - cost if revenue is not None and cost is not None else None,
                "percentage": line.get("percentage"),
                "include_flag": line.get("includeFlag") is True,
                "link_flag": line.get("linkFlag") is True,
                "recurring_flag": line.get("recurringFlag") is True,
                "taxable_flag": line.get("taxableFlag") is True,
                "recurring_revenue": _cents(line.get("recurringRevenue")),
                "recurring_cost": _cents(line.get("recurringCost")),
                "cycles": line.get("cycles"),
                "sequence_number": line.get("sequenceNumber"),
                "sub_number": line.get("subNumber"),
                "cw_last_updated": info.get("lastUpdated"),
                "cw_updated_by": info.get("updatedBy"),
                "on_hand": on_hand,
                "in_stock": on_hand > 0 if on_hand is not None else None,
            }
        )
    return shaped


def products(opportunity) -> tuple[list[dict], bool]:
    ensure_live(opportunity)
    data, from_cache = cached(
        opportunity.source, ("products", opportunity.cw_opportunity_id), lambda: _fetch_products(opportunity)
    )
    return shape_products(data), from_cache


class ReorderFailed(Exception):
    def __init__(self, details: dict) -> None:
        super().__init__("reorder failed")
        self.details = details


def resequence(request, opportunity, ordered_ids: list[int]) -> dict:
    """Patch each line whose position changed; on a failure, put the patched ones back and raise
    :class:`ReorderFailed` naming the lines (so the user sees the old order, or is told exactly what differs)."""
    cw_id, source = opportunity.cw_opportunity_id, opportunity.source
    forget(source, "products", cw_id)
    data = _fetch_products(opportunity)
    current = {line["id"]: line.get("sequenceNumber") for line in data["lines"]}
    missing, unknown = sorted(set(current) - set(ordered_ids)), sorted(set(ordered_ids) - set(current))
    if missing or unknown:
        parts = ([f"missing {missing[:20]}"] if missing else []) + ([f"unknown {unknown[:20]}"] if unknown else [])
        raise ValidationError({"ordered_ids": [f"List every line of the opportunity once ({'; '.join(parts)})."]})
    changes = [(line, position) for position, line in enumerate(ordered_ids, 1) if current[line] != position]
    done: list[int] = []
    with _connectwise(opportunity, "The opportunity") as api:
        for line, position in changes:
            try:
                api.patch(f"sales/opportunities/{cw_id}/forecast/{line}", {"sequenceNumber": position})
            except IntegrationError as exc:
                failed = {"id": line, "message": f"{type(exc).__name__}: {exc.message}"[:300]}
                restored, stuck = _restore(api, cw_id, done, current)
                forget(source, "products", cw_id)
                raise ReorderFailed({"failed_lines": [failed], "restored_lines": restored,
                                     "not_restored_lines": stuck}) from None  # fmt: skip
            done.append(line)
    forget(source, "products", cw_id)
    if done:
        old = [line for line, _ in sorted(current.items(), key=lambda pair: (pair[1] or 0, pair[0]))]
        audit.record(request, "update", opportunity, changes={"product_sequence": {"old": old, "new": ordered_ids}})
    shaped, _ = products(opportunity)
    return {"products": shaped, "id_map": {str(line): line for line in ordered_ids}}


def _restore(api, cw_id: int, done: list[int], current: dict) -> tuple[list[int], list[int]]:
    restored, stuck = [], []
    for line in done:
        try:
            api.patch(f"sales/opportunities/{cw_id}/forecast/{line}", {"sequenceNumber": current[line]})
            restored.append(line)
        except IntegrationError:
            stuck.append(line)
    return restored, stuck


# --- notes -----------------------------------------------------------------------------------------------------


def _members(identifiers: set[str]) -> dict[str, dict]:
    """ConnectWise member identifier (upper case) → our user (id, name) and the member's ConnectWise id."""
    if not identifiers:
        return {}
    users = list(User.objects.annotate(code=Upper("cw_identifier")).filter(code__in=identifiers).order_by("created_at"))
    member_ids = dict(
        ExternalRecord.objects.filter(
            kind="member", content_type=ContentType.objects.get_for_model(User),
            object_id__in=[str(u.pk) for u in users],
        ).values_list("object_id", "external_id")
    )  # fmt: skip
    found: dict[str, dict] = {}
    for user in users:
        cw_member = member_ids.get(str(user.pk))
        found.setdefault(
            user.code,
            {
                "id": str(user.pk),
                "name": user.name or user.login,
                "cw_member_id": int(cw_member) if cw_member and cw_member.isdigit() else None,
            },
        )
    return found  # fmt: skip


def shape_notes(notes: list[dict]) -> list[dict]:
    codes = {n["enteredBy"].upper() for n in notes if isinstance(n.get("enteredBy"), str)}
    members = _members(codes)
    shaped = []
    for note in notes:
        entered = note.get("enteredBy") if isinstance(note.get("enteredBy"), str) else None
        who = members.get(entered.upper()) if entered else None
        shaped.append(
            {
                "id": note.get("id"),
                "text": note.get("text"),
                "type": _ref(note.get("type")),
                "flagged": note.get("flagged") is True,
                "entered_by": {
                    "id": who["id"] if who else None,
                    "identifier": entered,
                    "name": who["name"] if who else None,
                    "cw_member_id": who["cw_member_id"] if who else None,
                }
                if entered
                else None,
            }
        )
    return shaped


def _notes_path(opportunity, note_id: int | None = None) -> str:
    path = f"sales/opportunities/{opportunity.cw_opportunity_id}/notes"
    return f"{path}/{int(note_id)}" if note_id is not None else path


def notes(opportunity) -> tuple[list[dict], bool]:
    ensure_live(opportunity)

    def fetch() -> list[dict]:
        with _connectwise(opportunity, "The opportunity") as api:
            return api.get_list(_notes_path(opportunity))

    rows, from_cache = cached(opportunity.source, ("notes", opportunity.cw_opportunity_id), fetch)
    return shape_notes(rows), from_cache


def note(opportunity, note_id: int) -> dict:
    with _connectwise(opportunity, "The note") as api:
        return shape_notes([api.get_object(_notes_path(opportunity, note_id))])[0]


def _audit_note(request, opportunity, action: str, note_id: Any, changes: dict) -> None:
    audit.record(request, action, object_type=NOTE_TYPE, object_id=f"{opportunity.cw_opportunity_id}/{note_id}",
                 client_id=opportunity.client_id, changes=changes)  # fmt: skip


def create_note(request, opportunity, values: dict) -> dict:
    with _connectwise(opportunity, "The opportunity") as api:
        created = api.post(_notes_path(opportunity), values)
    forget(opportunity.source, "notes", opportunity.cw_opportunity_id)
    _audit_note(request, opportunity, "create", created.get("id"),
                {key: {"old": None, "new": value} for key, value in values.items()})  # fmt: skip
    return shape_notes([created])[0]


def update_note(request, opportunity, note_id: int, values: dict) -> dict:
    with _connectwise(opportunity, "The note") as api:
        before = api.get_object(_notes_path(opportunity, note_id))
        updated = api.patch(_notes_path(opportunity, note_id), values)
    if not isinstance(updated, dict):
        updated = {**before, **values}
    forget(opportunity.source, "notes", opportunity.cw_opportunity_id)
    _audit_note(request, opportunity, "update", note_id,
                {key: {"old": before.get(key), "new": value} for key, value in values.items()
                 if before.get(key) != value})  # fmt: skip
    return shape_notes([updated])[0]


def delete_note(request, opportunity, note_id: int) -> None:
    with _connectwise(opportunity, "The note") as api:
        before = api.get_object(_notes_path(opportunity, note_id))
        api.delete(_notes_path(opportunity, note_id))
    forget(opportunity.source, "notes", opportunity.cw_opportunity_id)
    _audit_note(request, opportunity, "delete", note_id,
                {key: {"old": before.get(key), "new": None} for key in ("text", "flagged")})  # fmt: skip


# --- contacts --------------------------------------------------------------------------------------------------


def contacts(opportunity) -> tuple[list[dict], bool]:
    ensure_live(opportunity)

    def fetch() -> list[dict]:
        with _connectwise(opportunity, "The opportunity") as api:
            return api.get_list(f"sales/opportunities/{opportunity.cw_opportunity_id}/contacts")

    rows, from_cache = cached(opportunity.source, ("contacts", opportunity.cw_opportunity_id), fetch)
    return [
        {
            "id": row.get("id"),
            "contact": _ref(row.get("contact")),
            "company": _ref(row.get("company")),
            "role": _ref(row.get("role")),
            "notes": row.get("notes"),
            "referral_flag": row.get("referralFlag") is True,
            "email_address": row.get("emailAddress"),
            "phone_number": row.get("phoneNumber"),
        }
        for row in rows
    ], from_cache
