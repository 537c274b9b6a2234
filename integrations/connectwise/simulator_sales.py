"""The simulator's procurement and sales part: the catalog and its stock, procurement products, opportunities with
their statuses, forecast, notes, contacts and activities, and company sites by id.

A mixin of :class:`~integrations.connectwise.simulator.ConnectWiseSimulator`: it shares its auth, faults, request
log, ``conditions`` and paging, so every fault the tests inject reaches these paths too.
"""

from __future__ import annotations

import json
import random
from datetime import timedelta
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from integrations.connectwise.conditions import format_time

# (category, cw id, subcategory, cw id, manufacturer, cw id, product class)
CATALOG_KINDS = [
    ("Technology", 18, "Network-Switch", 112, "Ubiquiti", 248, "Inventory"),
    ("Technology", 18, "Network-Wireless", 111, "TP-Link", 259, "Inventory"),
    ("Technology", 18, "Computer-Desktop", 106, "Dell", 45, "Inventory"),
    ("Field", 20, "Video-Cameras", 140, "Hikvision", 300, "Inventory"),
    ("Field", 20, "AlarmBurg-Panels", 150, "DSC", 310, "NonInventory"),
    ("General", 21, "General-Labor", 160, "In-house", 1, "Service"),
]
# (id, name, won, lost, closed, default): the canonical quote statuses
STATUSES = [
    (51, "00. FutureLead", False, False, False, False),
    (24, "01. New", False, False, False, True),
    (25, "02. Quoted", False, False, False, False),
    (26, "03. Won", True, False, True, False),
    (27, "04. Lost", False, True, True, False),
]
STAGES = [(1, "Lead"), (2, "Qualified"), (3, "Proposal"), (4, "Negotiation")]
NOTE_FIELDS = {"text", "flagged", "type"}


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers or {}, content_type="application/json")


def _not_found(what: str) -> Response:
    return _json({"code": "NotFound", "message": f"{what} not found."}, 404)


def _invalid(message: str) -> Response:
    return _json({"code": "InvalidObject", "message": message, "errors": []}, 400)


def _ops(request: Request) -> list[dict] | None:
    ops = request.get_json(silent=True)
    if not isinstance(ops, list) or not all(isinstance(op, dict) and isinstance(op.get("path"), str) for op in ops):
        return None
    return ops


class SalesSimulatorMixin:
    """Generated procurement and sales data and the endpoints that serve it."""

    def sales_rules(self, base: str) -> list[Rule]:
        return [
            Rule(f"{base}procurement/catalog", endpoint="catalog"),
            Rule(f"{base}procurement/catalog/<int:item>", endpoint="catalog_item"),
            Rule(f"{base}procurement/catalog/<int:item>/quantityOnHand", endpoint="quantity_on_hand"),
            Rule(f"{base}procurement/products", endpoint="products"),
            Rule(f"{base}sales/opportunities", endpoint="opportunities"),
            Rule(f"{base}sales/opportunities/statuses", endpoint="opportunity_statuses"),
            Rule(f"{base}sales/opportunities/<int:opp>", endpoint="opportunity"),
            Rule(f"{base}sales/opportunities/<int:opp>/forecast", endpoint="forecast"),
            Rule(f"{base}sales/opportunities/<int:opp>/forecast/<int:line>", endpoint="forecast_item"),
            Rule(f"{base}sales/opportunities/<int:opp>/notes", endpoint="notes"),
            Rule(f"{base}sales/opportunities/<int:opp>/notes/<int:note>", endpoint="note"),
            Rule(f"{base}sales/opportunities/<int:opp>/contacts", endpoint="opportunity_contacts"),
            Rule(f"{base}sales/activities", endpoint="activities"),
            Rule(f"{base}company/companies/<int:company>/sites/<int:site>", endpoint="site"),
        ]

    # --- generated data ---------------------------------------------------------------------------------------

    def _generate_sales(self, rng: random.Random) -> None:
        self.data["catalog"] = self._catalog_data(rng)
        self.on_hand: dict[int, int] = {item: rng.randint(0, 20) for item in self.data["catalog"]}
        self.data["opportunity_statuses"] = {
            sid: {"id": sid, "name": name, "wonFlag": won, "lostFlag": lost, "closedFlag": closed,
                  "inactiveFlag": False, "defaultFlag": default, "enteredBy": "simulator",
                  "dateEntered": "2023-07-11T23:13:19Z", "_info": self._stamp(sid)}
            for sid, name, won, lost, closed, default in STATUSES
        }  # fmt: skip
        for name in ("opportunities", "forecast", "products", "notes", "opportunity_contacts", "activities"):
            self.data[name] = {}
        companies = [c for c in self.data["companies"].values() if isinstance(c.get("name"), str)]
        members = list(self.data["members"].values())
        items = [i for i in self.data["catalog"].values() if isinstance(i.get("description"), str)]
        for i in range(1, self.size.opportunities + 1):
            self._make_opportunity(rng, i, companies[(i - 1) % len(companies)], members, items)

    def _catalog_data(self, rng: random.Random) -> dict[int, dict]:
        catalog = {}
        for i in range(1, self.size.catalog_items + 1):
            category, category_id, sub, sub_id, maker, maker_id, product_class = CATALOG_KINDS[i % len(CATALOG_KINDS)]
            price = rng.randint(1000, 200000) / 100
            record = {
                "id": i + 50000,
                "identifier": f"ITEM-{i:05d}",
                "description": f"{maker} {sub.split('-')[-1]} model {i}",
                "customerDescription": f"{sub.replace('-', ' ')} by {maker}",
                "notes": "",
                "inactiveFlag": i % 10 == 0,
                "category": {"id": category_id, "name": category, "_info": {}},
                "subcategory": {"id": sub_id, "name": sub, "_info": {}},
                "type": {"id": 1, "name": "Hardware", "_info": {}},
                "productClass": product_class,
                "price": price,
                "cost": round(price * 0.7, 2),
                "manufacturer": {"id": maker_id, "name": maker, "_info": {}},
                "manufacturerPartNumber": f"PN-{maker[:3].upper()}-{i:05d}",
                "vendor": {"id": 12, "identifier": "Distributor", "name": "Distributor Inc", "_info": {}},
                "vendorSku": f"VS-{i:05d}",
                "taxableFlag": product_class != "Service",
                "_info": self._stamp(i),
            }
            if self._bad(i):
                record["description"] = None  # malformed: an item without a description
            catalog[record["id"]] = record
        return catalog

    def _make_opportunity(
        self, rng: random.Random, i: int, company: dict, members: list[dict], items: list[dict]
    ) -> None:
        oid = 5000 + i
        contact = next((c for c in self.data["contacts"].values() if (c.get("company") or {}).get("id") ==
                        company["id"]), None)  # fmt: skip
        site = next((s for s in self.data["sites"].values() if (s.get("company") or {}).get("id") == company["id"]),
                    None)  # fmt: skip
        member = members[(i - 1) % len(members)] if members else None
        sid, status_name, *_flags = STATUSES[i % len(STATUSES)]
        closed = STATUSES[i % len(STATUSES)][4]
        rep = {"id": member["id"], "identifier": member["identifier"],
               "name": f"{member['firstName']} {member['lastName']}", "_info": {}} if member else None  # fmt: skip
        stage = STAGES[i % len(STAGES)]
        self.data["opportunities"][oid] = {
            "id": oid,
            "name": f"{company['name']} project {i}",
            "notes": f"Scope of project {i}",
            "type": {"id": 1 + i % 2, "name": ["New", "Upgrade"][i % 2], "_info": {}},
            "stage": {"id": stage[0], "name": stage[1], "_info": {}},
            "status": {"id": sid, "name": status_name, "_info": {}},
            "priority": {"id": 2, "name": "High", "_info": {}},
            "probability": {"id": 3, "name": f"{(i * 17) % 100}", "_info": {}},
            "rating": {"id": 1, "name": "Hot", "_info": {}},
            "source": "Referral",
            "campaign": None,
            "company": {"id": company["id"], "identifier": company["identifier"], "name": company["name"],
                        "_info": {}},
            "contact": {"id": contact["id"], "name": f"{contact['firstName']} {contact['lastName']}", "_info": {}}
            if contact else None,
            "site": {"id": site["id"], "name": site["name"], "_info": {}} if site and isinstance(site["name"], str)
            else None,
            "primarySalesRep": rep,
            "secondarySalesRep": None,
            "customerPO": None,
            "totalSalesTax": round(rng.randint(0, 50000) / 100, 2),
            "locationId": 1,
            "businessUnitId": 5,
            "expectedCloseDate": format_time(self.clock() + timedelta(days=30 + i)),
            "pipelineChangeDate": "2026-02-20T00:00:00Z",
            "dateBecameLead": "2026-01-10T00:00:00Z",
            "closedDate": "2026-02-25T00:00:00Z" if closed else None,
            "closedFlag": closed,
            "closedBy": rep if closed else None,
            "customFields": [],
            "_info": self._stamp(i),
        }  # fmt: skip
        for n in range(1, 4):
            line = oid * 10 + n
            item = items[(i + n) % len(items)] if items else None
            revenue = round(rng.randint(1000, 90000) / 100, 2)
            self.data["forecast"][line] = {
                "id": line, "forecastType": "Product", "opportunity": {"id": oid, "name": f"project {i}"},
                "status": {"id": 24, "name": "01. New"}, "quantity": n, "revenue": revenue,
                "cost": round(revenue * 0.6, 2), "margin": round(revenue * 0.4, 2), "percentage": 40,
                "includeFlag": True, "linkFlag": False, "recurringFlag": False, "taxableFlag": True,
                "recurringRevenue": 0, "recurringCost": 0, "cycles": 0, "sequenceNumber": n, "subNumber": 0,
                "catalogItem": {"id": item["id"], "identifier": item["identifier"]} if item else None,
                "productDescription": item["description"] if item else "Labor", "productClass": "Inventory",
                "forecastDescription": "Product", "_info": self._stamp(line),
            }  # fmt: skip
            cancelled = n == 3 and i % 2 == 0
            self.data["products"][line + 900000] = {
                "id": line + 900000, "forecastDetailId": line, "opportunity": {"id": oid},
                "catalogItem": self.data["forecast"][line]["catalogItem"], "quantity": n,
                "cancelledFlag": cancelled, "quantityCancelled": n if cancelled else 0,
                "cancelledReason": "Customer changed scope" if cancelled else None,
                "cancelledDate": "2026-02-27T10:00:00Z" if cancelled else None, "_info": self._stamp(line),
            }  # fmt: skip
        for n in range(1, 3):
            self._add_note(oid, f"Note {n} on project {i}", flagged=n == 2, entered_by=rep["identifier"] if rep else "")
        self.data["opportunity_contacts"][oid * 10] = {
            "id": oid * 10, "opportunityId": oid, "contact": self.data["opportunities"][oid]["contact"],
            "company": self.data["opportunities"][oid]["company"], "role": {"id": 1, "name": "Decision Maker"},
            "notes": "Primary contact", "referralFlag": False, "_info": self._stamp(i),
        }  # fmt: skip
        self.data["activities"][oid * 10 + 1] = {
            "id": oid * 10 + 1, "name": f"Follow-up call {i}", "notes": "Discuss the proposal",
            "type": {"id": 1, "name": "Call"}, "status": {"id": 1, "name": "Open"},
            "company": self.data["opportunities"][oid]["company"], "contact": self.data["opportunities"][oid]["contact"],
            "opportunity": {"id": oid, "name": self.data["opportunities"][oid]["name"]}, "ticket": None,
            "agreement": None, "campaign": None, "assignTo": rep, "dateStart": "2026-03-01T10:00:00Z",
            "dateEnd": "2026-03-01T10:30:00Z", "notifyFlag": False, "customFields": [],
            "_info": {**self._stamp(i), "dateEntered": "2026-02-20T09:00:00Z", "enteredBy": "simulator"},
        }  # fmt: skip

    def _add_note(self, opp: int, text: str, *, flagged: bool = False, entered_by: str = "api-member") -> dict:
        notes = self.data["notes"]
        note_id = max(notes, default=0) + 1
        notes[note_id] = {"id": note_id, "opportunityId": opp, "text": text, "type": {"id": 2, "name": "Discussion"},
                          "flagged": flagged, "enteredBy": entered_by,
                          "_info": {"lastUpdated": format_time(self.clock()), "updatedBy": entered_by}}  # fmt: skip
        return notes[note_id]

    # --- endpoints ------------------------------------------------------------------------------------------

    def _catalog(self, request: Request) -> Response:
        return self._list(request, "catalog")

    def _catalog_item(self, request: Request, item: int) -> Response:
        record = self.data["catalog"].get(item)
        return _json(record) if record is not None else _not_found(f"Catalog item {item}")

    def _quantity_on_hand(self, request: Request, item: int) -> Response:
        if item not in self.data["catalog"]:
            return _not_found(f"Catalog item {item}")
        return _json({"count": self.on_hand.get(item, 0)})

    def _products(self, request: Request) -> Response:
        return self._list(request, "products")

    def _opportunities(self, request: Request) -> Response:
        return self._list(request, "opportunities")

    def _opportunity_statuses(self, request: Request) -> Response:
        return self._list(request, "opportunity_statuses")

    def _opportunity(self, request: Request, opp: int) -> Response:
        record = self.data["opportunities"].get(opp)
        return _json(record) if record is not None else _not_found(f"Opportunity {opp}")

    def _forecast(self, request: Request, opp: int) -> Response:
        if opp not in self.data["opportunities"]:
            return _not_found(f"Opportunity {opp}")
        lines = sorted((f for f in self.data["forecast"].values() if f["opportunity"]["id"] == opp),
                       key=lambda f: f["id"])  # fmt: skip
        revenue = round(sum(f["revenue"] for f in lines), 2)
        return _json(
            {
                "id": opp,
                "forecastItems": lines,
                "productRevenue": {"id": 1, "revenue": revenue, "cost": 0, "margin": 0, "percentage": 0},
            }
        )

    def _forecast_item(self, request: Request, opp: int, line: int) -> Response:
        record = self.data["forecast"].get(line)
        if record is None or record["opportunity"]["id"] != opp:
            return _not_found(f"Forecast item {line}")
        if request.method == "PATCH":
            ops = _ops(request)
            if ops is None or any(op["path"] not in record for op in ops):
                return _invalid("PATCH takes a JSON array of operations on known fields")
            return _json(self.touch("forecast", line, **{op["path"]: op.get("value") for op in ops}))
        return _json(record)

    def _notes(self, request: Request, opp: int) -> Response:
        if opp not in self.data["opportunities"]:
            return _not_found(f"Opportunity {opp}")
        if request.method == "POST":
            body = request.get_json(silent=True)
            if not isinstance(body, dict) or not isinstance(body.get("text"), str) or not body["text"].strip():
                return _invalid("text is required")
            if set(body) - NOTE_FIELDS:
                return _invalid(f"unknown field {sorted(set(body) - NOTE_FIELDS)[0]}")
            with self.lock:
                note = self._add_note(opp, body["text"], flagged=body.get("flagged") is True)
                self.version += 1
            return _json(note, 201)
        rows = sorted((n for n in self.data["notes"].values() if n["opportunityId"] == opp), key=lambda n: n["id"])
        return self._sub_list(request, rows)

    def _note(self, request: Request, opp: int, note: int) -> Response:
        record = self.data["notes"].get(note)
        if record is None or record["opportunityId"] != opp:
            return _not_found(f"Note {note}")
        if request.method == "DELETE":
            self.remove("notes", note)
            return Response(status=204)
        if request.method == "PATCH":
            ops = _ops(request)
            if ops is None or any(op["path"] not in NOTE_FIELDS for op in ops):
                return _invalid("PATCH takes a JSON array of operations on text, flagged or type")
            return _json(self.touch("notes", note, **{op["path"]: op.get("value") for op in ops}))
        return _json(record)

    def _opportunity_contacts(self, request: Request, opp: int) -> Response:
        if opp not in self.data["opportunities"]:
            return _not_found(f"Opportunity {opp}")
        rows = [c for c in self.data["opportunity_contacts"].values() if c["opportunityId"] == opp]
        return self._sub_list(request, sorted(rows, key=lambda c: c["id"]))

    def _activities(self, request: Request) -> Response:
        return self._list(request, "activities")

    def _site(self, request: Request, company: int, site: int) -> Response:
        record = self.data["sites"].get(site)
        if record is None or (record.get("company") or {}).get("id") != company:
            return _not_found(f"Site {site}")
        return _json(record)

    def _sub_list(self, request: Request, rows: list[dict]) -> Response:
        """A list under a parent (notes, contacts): ``page``/``pageSize`` with a ``next`` link, as ConnectWise."""
        unknown = set(request.args) - {"page", "pageSize", "fields", "orderBy"}
        if unknown:
            return _invalid(f"unknown parameter {sorted(unknown)[0]}")
        try:
            page, size = int(request.args.get("page", 1)), min(int(request.args.get("pageSize", 25)), 1000)
        except ValueError:
            return _invalid("page and pageSize are integers")
        if page < 1 or size < 1:
            return _invalid("page and pageSize start at 1")
        chunk = rows[(page - 1) * size : page * size]
        more = page * size < len(rows)
        return _json(chunk, headers={"Link": f'<{self._url(request, page=page + 1)}>; rel="next"'} if more else {})
