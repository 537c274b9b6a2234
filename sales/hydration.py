"""What an opportunity carries beyond its own row: its company (address, contacts), its site and its activities.

The company comes from the local mirror (the synced client, its contacts and the company's mirrored payload) in a
fixed number of queries per page; the detail refreshes the address live. Activities and the site are live
ConnectWise reads (one call per page for activities), cached briefly. When ConnectWise fails, the local data is
served and ``meta.connectwise`` says what is missing; the request never fails because of it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from rest_framework.exceptions import APIException

from clients.models import Contact
from integrations.connectwise import conditions as cw
from integrations.connectwise.live_calls import cached, connectwise, live_meta, unavailable_meta
from integrations.models import ExternalRecord


def _ref(value: Any) -> dict | None:
    if not isinstance(value, dict) or not isinstance(value.get("id"), int):
        return None
    return {k: value[k] for k in ("id", "identifier", "name") if k in value}


def address(payload: dict) -> dict:
    state = payload.get("state")
    if isinstance(payload.get("stateReference"), dict):
        state = payload["stateReference"].get("name") or payload["stateReference"].get("identifier")
    country = payload.get("country")
    return {
        "line1": payload.get("addressLine1") or None,
        "line2": payload.get("addressLine2") or None,
        "city": payload.get("city") or None,
        "state": state or None,
        "zip": payload.get("zip") or None,
        "country": country.get("name") if isinstance(country, dict) else country or None,
    }


def shape_activity(a: dict) -> dict:
    info = a.get("_info") if isinstance(a.get("_info"), dict) else {}
    refs = ("type", "status", "company", "contact", "opportunity", "ticket", "agreement", "campaign", "assignTo",
            "scheduleStatus", "reminder", "where")  # fmt: skip
    shaped = {"cw_activity_id": a.get("id"), "name": a.get("name"), "notes": a.get("notes")}
    shaped.update({_snake(key): _ref(a.get(key)) for key in refs})
    shaped.update(
        {
            "phone_number": a.get("phoneNumber"),
            "email": a.get("email"),
            "date_start": a.get("dateStart"),
            "date_end": a.get("dateEnd"),
            "notify_flag": a.get("notifyFlag") is True,
            "custom_fields": a.get("customFields") if isinstance(a.get("customFields"), list) else [],
            "cw_last_updated": info.get("lastUpdated"),
            "cw_date_entered": info.get("dateEntered"),
            "cw_entered_by": info.get("enteredBy"),
            "cw_updated_by": info.get("updatedBy"),
        }
    )
    return shaped


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def shape_site(site: dict) -> dict:
    return {
        "id": site.get("id"),
        "name": site.get("name"),
        "address": address(site),
        "phone_number": site.get("phoneNumber") or None,
        "fax_number": site.get("faxNumber") or None,
        **{_snake(flag): site.get(flag) is True for flag in ("primaryAddressFlag", "defaultShippingFlag",
                                                             "defaultBillingFlag", "defaultMailingFlag")},
    }  # fmt: skip


class Hydration:
    """The extra data for a page (or one) of opportunities, and the ``meta`` describing how fresh it is."""

    def __init__(self) -> None:
        self.companies: dict[Any, dict] = {}
        self.activities: dict[int, list[dict]] | None = {}
        self.sites: dict[Any, dict] = {}
        self.meta: dict = {}

    def company(self, opportunity) -> dict | None:
        if opportunity.client_id is not None and opportunity.client_id in self.companies:
            return self.companies[opportunity.client_id]
        ref = opportunity.company_ref
        if not ref:
            return None
        return {"id": None, "name": ref.get("name"), "cw_identifier": ref.get("identifier"),
                "cw_company_id": ref.get("id"), "cw_data": None}  # fmt: skip

    def activities_of(self, opportunity) -> list[dict] | None:
        if self.activities is None:
            return None
        return self.activities.get(opportunity.cw_opportunity_id, [])

    def site(self, opportunity) -> dict | None:
        return self.sites.get(opportunity.pk) or opportunity.site_ref

    def _failed(self, error: APIException) -> None:
        self.meta = unavailable_meta(error)

    def _live(self, from_cache: bool) -> None:
        if not self.meta:
            self.meta = live_meta(from_cache)
        elif from_cache is False and self.meta["connectwise"].get("status") == "live":
            self.meta["connectwise"]["cached"] = False


def hydrate(opportunities: Iterable, *, detail: bool = False) -> Hydration:
    """Company, contacts and activities for a page; with ``detail``, the live company address and site too."""
    opportunities = list(opportunities)
    result = Hydration()
    _local_companies(opportunities, result)
    by_source: dict[Any, list] = defaultdict(list)
    for opportunity in opportunities:
        by_source[opportunity.source_id].append(opportunity)
    for rows in by_source.values():
        source = rows[0].source
        try:
            _live_activities(source, rows, result)
            if detail:
                _live_detail(source, rows[0], result)
        except APIException as error:
            if isinstance(error.status_code, int) and error.status_code == 404:
                continue  # the opportunity is gone upstream; the next sync marks it
            result._failed(error)
            result.activities = None
    return result


def _local_companies(opportunities: list, result: Hydration) -> None:
    clients = {o.client_id: o.client for o in opportunities if o.client_id is not None}
    if not clients:
        return
    cw_ids = [str(c.cw_company_id) for c in clients.values() if c.cw_company_id is not None]
    payloads = dict(
        ExternalRecord.objects.filter(kind="company", external_id__in=cw_ids, source__kind="connectwise")
        .order_by("external_id", "-last_seen_at")
        .values_list("external_id", "payload")
    )
    contacts = list(Contact.objects.filter(client_id__in=list(clients)).order_by("last_name", "first_name", "id"))
    contact_ids = dict(
        ExternalRecord.objects.filter(
            kind="contact",
            content_type=ContentType.objects.get_for_model(Contact),
            object_id__in=[str(c.pk) for c in contacts],
        ).values_list("object_id", "external_id")
    )
    people: dict[Any, list[dict]] = defaultdict(list)
    for contact in contacts:
        cw_id = contact_ids.get(str(contact.pk))
        people[contact.client_id].append(
            {
                "first_name": contact.first_name, "last_name": contact.last_name,
                "cw_id": int(cw_id) if cw_id and cw_id.isdigit() else None, "inactive": not contact.is_active,
                "title": contact.title, "phone": contact.phone, "email": contact.email,
            }
        )  # fmt: skip
    for client_id, client in clients.items():
        payload = payloads.get(str(client.cw_company_id)) if client.cw_company_id is not None else None
        result.companies[client_id] = {
            "id": str(client.pk),
            "name": client.name,
            "cw_identifier": client.cw_identifier or None,
            "cw_company_id": client.cw_company_id,
            "cw_data": {
                "address": address(payload) if isinstance(payload, dict) else None,
                "all_contacts": people.get(client_id, []),
            },
        }


def _live_activities(source, rows: list, result: Hydration) -> None:
    ids = sorted({o.cw_opportunity_id for o in rows})
    if source is None or not ids:
        return

    def fetch() -> list[dict]:
        with connectwise(source, "The activities") as api:
            return api.get_list("sales/activities", conditions=cw.in_list("opportunity/id", ids))

    activities, from_cache = cached(source, ("activities", ",".join(map(str, ids))), fetch)
    result._live(from_cache)
    for activity in activities:
        opportunity = activity.get("opportunity")
        if isinstance(opportunity, dict) and isinstance(opportunity.get("id"), int):
            result.activities.setdefault(opportunity["id"], []).append(shape_activity(activity))


def _live_detail(source, opportunity, result: Hydration) -> None:
    """The company's address straight from ConnectWise, and the site with its address and flags."""
    company, site = opportunity.company_ref or {}, opportunity.site_ref or {}
    if isinstance(company.get("id"), int) and isinstance(site.get("id"), int):
        path = f"company/companies/{company['id']}/sites/{site['id']}"

        def fetch_site() -> dict:
            with connectwise(source, "The site") as api:
                return api.get_object(path)

        payload, from_cache = cached(source, ("site", company["id"], site["id"]), fetch_site)
        result._live(from_cache)
        result.sites[opportunity.pk] = shape_site(payload)
    if isinstance(company.get("id"), int) and opportunity.client_id in result.companies:

        def fetch_company() -> dict:
            with connectwise(source, "The company") as api:
                return api.company(company["id"])

        payload, from_cache = cached(source, ("company", company["id"]), fetch_company)
        result._live(from_cache)
        result.companies[opportunity.client_id]["cw_data"]["address"] = address(payload)
