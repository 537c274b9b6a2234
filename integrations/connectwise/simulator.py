"""A ConnectWise Manage 3.0 simulator: a WSGI app serving deterministic generated data, strictly.

It speaks the real paths (``/{codebase}apis/3.0/company/companies``, ``/company/contacts``,
``/company/companies/{id}/sites``, ``/company/configurations``, ``/system/members``, ``/system/info``,
``/login/companyinfo/{company}``, and the procurement and sales paths of ``simulator_sales``), checks Basic ``company+public:private`` auth and the ``clientId`` header, parses
``conditions``, pages with ``page``/``pageSize`` and ``Link`` headers (or forward-only with ``pageId``), and refuses
unknown parameters. Tests inject faults (429 with ``Retry-After``, 500/502, slow answers, malformed pages, expired
credentials) and read ``requests``, the request log. Used by the tests, the benchmark and ``make run``'s demo.

List pages are served from a cache of their serialized bodies until the data changes: change records through
``touch``/``add``/``remove`` (they bump ``version``), not in place.
"""

from __future__ import annotations

import base64
import copy
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import orjson
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from integrations.connectwise.conditions import ConditionError, compile_conditions, format_time
from integrations.connectwise.simulator_sales import SalesSimulatorMixin
from integrations.simulator import Simulator

DEMO_COMPANY = "psademo"
DEMO_PUBLIC_KEY = "demo-public-key"
DEMO_PRIVATE_KEY = "demo-private-key-not-secret"
DEMO_CLIENT_ID = "00000000-0000-4000-8000-00000000c0de"
CODEBASE = "v4_6_release/"
LIST_PARAMS = {"conditions", "childConditions", "customFieldConditions", "orderBy", "fields", "page", "pageSize",
               "pageId"}  # fmt: skip
MAX_PAGE_SIZE = 1000
BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)

_WORDS = ["Acme", "Bluebird", "Cobalt", "Driftwood", "Evergreen", "Foxglove", "Granite", "Harbor", "Iris", "Juniper",
          "Kestrel", "Lumen", "Maple", "Nimbus", "Orchid", "Pioneer", "Quartz", "Redwood", "Summit", "Tidal"]  # fmt: skip
_SUFFIXES = ["Manufacturing", "Dental", "Legal", "Hotels", "Schools", "Networks", "Logistics", "Clinic", "Foods",
             "Architects"]  # fmt: skip
_FIRST = ["Alice", "Bob", "Carla", "Dana", "Eli", "Farah", "Gus", "Hana", "Ivan", "Jade", "Kai", "Lena", "Max"]
_LAST = ["Anders", "Baker", "Cruz", "Dietrich", "Evans", "Fischer", "Garcia", "Hoffmann", "Ito", "Jensen"]
_CONFIG_TYPES = ["Laptop", "Desktop", "Server", "Firewall", "Switch", "Printer", "Access Point", "Virtual Machine"]
_MAKERS = ["Dell", "HP", "Lenovo", "Cisco", "Ubiquiti", "Fortinet", "Brother"]


@dataclass(frozen=True)
class Size:
    companies: int = 20
    contacts: int = 60
    sites: int = 30
    configurations: int = 80
    members: int = 5
    catalog_items: int = 40
    opportunities: int = 6


def _ref(record: dict, *keys: str) -> dict:
    return {"id": record["id"], **{k: record[k] for k in keys}, "_info": {}}


class ConnectWiseSimulator(SalesSimulatorMixin, Simulator):
    """ConnectWise's data and routes on the shared simulator base. Thread-safe for a threaded loopback server."""

    vendor = "connectwise"
    default_port = 8011
    fault_body = {"code": "Fault", "message": "Injected fault: timeout"}
    malformed_body = '[{"id": 1, "name": "trunc'

    def __init__(
        self,
        size: Size | None = None,
        *,
        seed: int = 1,
        company_id: str = DEMO_COMPANY,
        public_key: str = DEMO_PUBLIC_KEY,
        private_key: str = DEMO_PRIVATE_KEY,
        client_id: str = DEMO_CLIENT_ID,
        malformed_every: int = 0,
        clock: Callable[[], datetime] | None = None,
        identifiers: list[tuple[str, str]] | None = None,
    ) -> None:
        self.size = size or Size()
        self.company_id, self.public_key, self.private_key, self.client_id = (
            company_id,
            public_key,
            private_key,
            client_id,
        )
        super().__init__(seed=seed)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.malformed_every = malformed_every
        self.version = 0
        self._cache: dict[tuple, list[dict]] = {}
        self._index: dict[tuple, dict] = {}
        self._pages: dict[tuple, tuple[bytes, str]] = {}  # served list pages, serialized, until the data changes
        self.data: dict[str, dict[int, dict]] = {}
        self._generate(random.Random(seed), identifiers or [])
        self._generate_sales(random.Random(seed + 11))
        self.url_map = Map(
            [
                Rule("/login/companyinfo/<company>", endpoint="companyinfo"),
                Rule(f"/{CODEBASE}apis/3.0/system/info", endpoint="info"),
                Rule(f"/{CODEBASE}apis/3.0/company/companies", endpoint="companies"),
                Rule(f"/{CODEBASE}apis/3.0/company/companies/count", endpoint="companies_count"),
                Rule(f"/{CODEBASE}apis/3.0/company/companies/<int:company>", endpoint="company"),
                Rule(f"/{CODEBASE}apis/3.0/company/companies/<int:company>/sites", endpoint="sites"),
                Rule(f"/{CODEBASE}apis/3.0/company/contacts", endpoint="contacts"),
                Rule(f"/{CODEBASE}apis/3.0/company/configurations", endpoint="configurations"),
                Rule(f"/{CODEBASE}apis/3.0/system/members", endpoint="members"),
                *self.sales_rules(f"/{CODEBASE}apis/3.0/"),
            ]
        )

    # --- generated data ---------------------------------------------------------------------------------------

    def _bad(self, index: int) -> bool:
        return bool(self.malformed_every) and index % self.malformed_every == 0

    def _stamp(self, index: int) -> dict:
        return {"lastUpdated": format_time(BASE_TIME + timedelta(seconds=index)), "updatedBy": "simulator"}

    def _generate(self, rng: random.Random, identifiers: list[tuple[str, str]]) -> None:
        size = self.size
        companies, good_companies = {}, []
        for i in range(1, size.companies + 1):
            if i <= len(identifiers):
                identifier, name = identifiers[i - 1]
            else:
                name = f"{_WORDS[i % len(_WORDS)]} {_SUFFIXES[(i // len(_WORDS)) % len(_SUFFIXES)]} {i}"
                identifier = f"CW{i:05d}"
            record = {
                "id": i + 100,
                "identifier": identifier,
                "name": name,
                "status": {"id": 1, "name": "Active", "_info": {}},
                "addressLine1": f"{rng.randint(1, 999)} Main Street",
                "addressLine2": "",
                "city": rng.choice(["Springfield", "Riverton", "Lakeside", "Fairview"]),
                "state": rng.choice(["CA", "NY", "TX", "WA"]),
                "zip": f"{rng.randint(10000, 99999)}",
                "country": {"id": 1, "name": "United States", "_info": {}},
                "phoneNumber": f"+1 555 {rng.randint(1000, 9999)}",
                "website": f"www.company{i}.example.com",
                "leadFlag": False,
                "deletedFlag": False,
                "types": [{"id": 1, "name": "Client"}],
                "_info": self._stamp(i),
            }
            if self._bad(i):
                record["name"] = None  # malformed: a company without a name
            else:
                good_companies.append(record)
            companies[record["id"]] = record
        sites, sites_by_company = {}, {}
        for i in range(1, size.sites + 1):
            company = good_companies[(i - 1) % len(good_companies)]
            record = {
                "id": i + 1000,
                "name": "Main Office" if i <= len(good_companies) else f"Branch {i}",
                "addressLine1": f"{rng.randint(1, 999)} Side Road",
                "addressLine2": "",
                "city": rng.choice(["Springfield", "Riverton", "Lakeside"]),
                "stateReference": {"id": 5, "identifier": "CA", "name": "California"},
                "zip": f"{rng.randint(10000, 99999)}",
                "country": {"id": 1, "name": "United States", "_info": {}},
                "phoneNumber": f"+1 555 {rng.randint(1000, 9999)}",
                "primaryAddressFlag": i <= len(good_companies),
                "inactiveFlag": False,
                "company": _ref(company, "identifier", "name"),
                "_info": self._stamp(i),
            }
            if self._bad(i):
                record["name"] = 42  # malformed: a number where the name should be
            else:
                sites_by_company.setdefault(company["id"], []).append(record)
            sites[record["id"]] = record
        contacts, good_contacts = {}, []
        for i in range(1, size.contacts + 1):
            company = good_companies[(i - 1) % len(good_companies)]
            first, last = _FIRST[i % len(_FIRST)], _LAST[(i // 3) % len(_LAST)]
            company_sites = sites_by_company.get(company["id"]) or []
            record = {
                "id": i + 10000,
                "firstName": first,
                "lastName": f"{last}{i}",
                "title": rng.choice(["IT Manager", "CFO", "Office Manager", "Engineer", ""]),
                "company": _ref(company, "identifier", "name"),
                "site": _ref(company_sites[0], "name") if company_sites else None,
                "inactiveFlag": False,
                "defaultFlag": False,
                "communicationItems": [
                    {
                        "id": 1,
                        "type": {"id": 1, "name": "Email"},
                        "value": f"{first.lower()}.{i}@example.com",
                        "defaultFlag": True,
                        "communicationType": "Email",
                    },
                    {
                        "id": 2,
                        "type": {"id": 2, "name": "Direct"},
                        "value": f"+1 555 {rng.randint(1000, 9999)}",
                        "defaultFlag": True,
                        "communicationType": "Phone",
                    },
                ],
                "_info": self._stamp(i),
            }
            if self._bad(i):
                record["company"] = "not-a-reference"  # malformed
            else:
                good_contacts.append(record)
            contacts[record["id"]] = record
        configurations = {}
        for i in range(1, size.configurations + 1):
            company = good_companies[(i - 1) % len(good_companies)]
            company_sites = sites_by_company.get(company["id"]) or []
            kind = _CONFIG_TYPES[i % len(_CONFIG_TYPES)]
            record = {
                "id": i + 100000,
                "name": f"{company['identifier']}-{kind.replace(' ', '')}-{i}",
                "type": {"id": i % len(_CONFIG_TYPES) + 1, "name": kind, "_info": {}},
                "status": {"id": 1, "name": "Active", "_info": {}},
                "company": _ref(company, "identifier", "name"),
                "contact": None,
                "site": _ref(company_sites[0], "name") if company_sites else None,
                "serialNumber": f"SN{i:08d}",
                "modelNumber": f"M{rng.randint(100, 999)}",
                "manufacturer": {"id": 1, "name": rng.choice(_MAKERS)},
                "macAddress": f"02:00:{i >> 24 & 255:02x}:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}",
                "ipAddress": f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}",
                "osType": "Windows 11" if kind in ("Laptop", "Desktop") else "",
                "activeFlag": True,
                "purchaseDate": "2024-03-01T00:00:00Z",
                "warrantyExpirationDate": "2027-03-01T00:00:00Z",
                "_info": self._stamp(i),
            }
            if self._bad(i):
                record["company"] = {"name": "no id"}  # malformed: a company reference without an id
            configurations[record["id"]] = record
        members = {}
        for i in range(1, size.members + 1):
            first, last = _FIRST[i % len(_FIRST)], _LAST[i % len(_LAST)]
            members[i + 200] = {
                "id": i + 200,
                "identifier": f"{first[0]}{last}".lower(),
                "firstName": first,
                "lastName": last,
                "officeEmail": f"{first.lower()}.{last.lower()}@msp.example.com",
                "inactiveFlag": False,
                "licenseClass": "F",
                "_info": self._stamp(i),
            }
        self.data = {
            "companies": companies,
            "sites": sites,
            "contacts": contacts,
            "configurations": configurations,
            "members": members,
        }

    # --- state changes (tests and the demo) ---------------------------------------------------------------------

    def touch(self, collection: str, record_id: int, **changes: Any) -> dict:
        """Change a record and bump its ``_info.lastUpdated`` to the clock's now."""
        with self.lock:
            record = self.data[collection][record_id]
            record.update(changes)
            record["_info"] = {**record["_info"], "lastUpdated": format_time(self.clock())}
            self.version += 1
            return record

    def add(self, collection: str, record: dict) -> dict:
        with self.lock:
            record.setdefault("_info", {})["lastUpdated"] = format_time(self.clock())
            self.data[collection][record["id"]] = record
            self.version += 1
            return record

    def remove(self, collection: str, record_id: int) -> None:
        with self.lock:
            del self.data[collection][record_id]
            self.version += 1

    # --- WSGI (faults, delay and the request log come from the base) -----------------------------------------

    def dispatch(self, request: Request) -> Response:
        try:
            endpoint, args = self.url_map.bind_to_environ(request.environ).match(method=request.method)
        except NotFound:
            return _json({"code": "NotFound", "message": "The resource was not found."}, 404)
        except HTTPException as exc:
            return _json({"code": "MethodNotAllowed", "message": str(exc.description)}, exc.code or 405)
        if endpoint == "companyinfo":
            return self._companyinfo(args["company"])
        denied = self._authenticate(request)
        if denied is not None:
            return denied
        try:
            return getattr(self, f"_{endpoint}")(request, **args)
        except ConditionError as exc:
            return _invalid(f"conditions: {exc}")

    def _authenticate(self, request: Request) -> Response | None:
        header = request.headers.get("Authorization", "")
        unauthorized = _json({"code": "Unauthorized", "message": "UserNotAuthenticated"}, 401)
        if not header.startswith("Basic "):
            return unauthorized
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return unauthorized
        company, _, public = user.partition("+")
        if company.lower() != self.company_id.lower():
            return _json({"code": "NotFound", "message": "The resource was not found."}, 404)
        if public != self.public_key or password != self.private_key or self.credentials_expired:
            return unauthorized
        if request.headers.get("clientId") != self.client_id:
            return _json({"code": "Unauthorized", "message": "A valid clientId header is required."}, 401)
        return None

    def _companyinfo(self, company: str) -> Response:
        if company.lower() != self.company_id.lower():
            return Response("null", content_type="application/json")
        return _json({"CompanyName": "PSA Demo MSP", "Codebase": CODEBASE, "VersionCode": "v2025.1",
                      "CompanyID": self.company_id, "IsCloud": False})  # fmt: skip

    def _info(self, request: Request) -> Response:
        return _json({"version": "v2025.1.10431", "isCloud": False, "serverTimeZone": "Etc/UTC", "licenseBits": []})

    # --- endpoints ------------------------------------------------------------------------------------------

    def _companies(self, request: Request) -> Response:
        return self._list(request, "companies")

    def _companies_count(self, request: Request) -> Response:
        unknown = set(request.args) - {"conditions"}
        if unknown:
            return _invalid(f"unknown parameter {sorted(unknown)[0]}")
        rows = self._filtered("companies", None, request.args.get("conditions", ""))
        return _json({"count": len(rows)})

    def _company(self, request: Request, company: int) -> Response:
        record = self.data["companies"].get(company)
        if record is None:
            return _json({"code": "NotFound", "message": f"Company {company} not found."}, 404)
        if request.method == "PATCH":
            ops = request.get_json(silent=True)
            if not isinstance(ops, list):
                return _invalid("PATCH takes a JSON array of operations")
            changes = {}
            for op in ops:
                if not isinstance(op, dict) or op.get("op") not in ("replace", "add") or op.get("path") not in record:
                    return _invalid(f"bad operation {op!r}")
                changes[op["path"]] = op.get("value")
            return _json(self.touch("companies", company, **changes))
        return _json(record)

    def _sites(self, request: Request, company: int) -> Response:
        if company not in self.data["companies"]:
            return _json({"code": "NotFound", "message": f"Company {company} not found."}, 404)
        return self._list(request, "sites", parent=company)

    def _contacts(self, request: Request) -> Response:
        return self._list(request, "contacts")

    def _configurations(self, request: Request) -> Response:
        return self._list(request, "configurations")

    def _members(self, request: Request) -> Response:
        return self._list(request, "members")

    # --- lists ------------------------------------------------------------------------------------------------

    def _known_fields(self, collection: str) -> set[str]:
        sample = next(iter(self.data[collection].values()), {})
        return set(sample) | {"lastUpdated", "id"}

    def _filtered(self, collection: str, parent: int | None, conditions: str) -> list[dict]:
        with self.lock:
            key = (collection, parent, conditions, self.version)
            cached = self._cache.get(key)
            if cached is not None:
                return cached
            if parent is not None:
                rows = self._children(collection).get(parent, [])
            else:
                rows = sorted(self.data[collection].values(), key=lambda r: r["id"])
            if conditions:
                known = self._known_fields(collection)
                predicate = compile_conditions(conditions, lambda path: path.split("/")[0] in known)
                rows = [r for r in rows if predicate(r)]
            if len(self._cache) > 64:
                self._cache.clear()
            self._cache[key] = rows
            return rows

    def _children(self, collection: str) -> dict[int, list[dict]]:
        """Records by company id (sites live under their company), rebuilt when the data changes."""
        key = ("children", collection, self.version)
        index = self._index.get(key)
        if index is None:
            index = {}
            for record in sorted(self.data[collection].values(), key=lambda r: r["id"]):
                company = record.get("company")
                if isinstance(company, dict):
                    index.setdefault(company.get("id"), []).append(record)
            self._index = {key: index}
        return index

    def _list(self, request: Request, collection: str, parent: int | None = None) -> Response:
        args = request.args
        unknown = set(args) - LIST_PARAMS
        if unknown:
            return _invalid(f"unknown parameter {sorted(unknown)[0]}")
        forward = request.headers.get("pagination-type", "").lower() == "forward-only"
        try:
            page_size = int(args.get("pageSize", 25))
            page = int(args.get("page", 1))
            page_id = int(args.get("pageId", 0))
        except ValueError:
            return _invalid("page, pageSize and pageId are integers")
        if page < 1 or page_size < 1:
            return _invalid("page and pageSize start at 1")
        page_size = min(page_size, MAX_PAGE_SIZE)
        order = args.get("orderBy", "")
        if order and (forward or order.strip().lower() not in ("id asc", "id desc")):
            return _invalid("orderBy supports 'id asc' or 'id desc', and not with forward-only paging")
        key = (collection, parent, forward, page, page_id, page_size, order, args.get("conditions", ""),
               args.get("fields", ""), request.host_url, self.version)  # fmt: skip
        with self.lock:
            served = self._pages.get(key)
        if served is None:
            served = self._page(request, collection, parent, forward, page, page_size, page_id, order)
            with self.lock:
                if len(self._pages) >= 4096:
                    self._pages.clear()
                self._pages[key] = served
        body, link = served
        return Response(body, headers={"Link": link} if (link or forward) else {}, content_type="application/json")

    def _page(self, request: Request, collection: str, parent: int | None, forward: bool, page: int,
              page_size: int, page_id: int, order: str) -> tuple[bytes, str]:  # fmt: skip
        """One page of a list, serialized, and its ``Link`` header."""
        args = request.args
        rows = self._filtered(collection, parent, args.get("conditions", ""))
        if order.strip().lower() == "id desc":
            rows = rows[::-1]
        if forward:
            chunk = [r for r in rows if r["id"] > page_id][:page_size]
            more = chunk and chunk[-1]["id"] != rows[-1]["id"]
            link = f'<{self._url(request, pageId=chunk[-1]["id"], page=None)}>; rel="next"' if more else ""
        else:
            chunk = rows[(page - 1) * page_size : page * page_size]
            last = max(1, -(-len(rows) // page_size))
            links = []
            if page < last:
                links.append(f'<{self._url(request, page=page + 1)}>; rel="next"')
                links.append(f'<{self._url(request, page=last)}>; rel="last"')
            if page > 1:
                links.append(f'<{self._url(request, page=1)}>; rel="first"')
                links.append(f'<{self._url(request, page=page - 1)}>; rel="prev"')
            link = ", ".join(links)
        fields = [f.strip() for f in args.get("fields", "").split(",") if f.strip()]
        body = [_project(r, fields) for r in chunk] if fields else chunk
        return _dumps(body), link

    @staticmethod
    def _url(request: Request, **changes: Any) -> str:
        params = dict(request.args)
        for key, value in changes.items():
            if value is None:
                params.pop(key, None)
            else:
                params[key] = str(value)
        return f"{request.host_url.rstrip('/')}{request.path}?{urlencode(params)}"

    # --- manage.py simulate connectwise ---------------------------------------------------------------------

    @classmethod
    def add_arguments(cls, parser: Any) -> None:
        parser.add_argument("--companies", type=int, default=20)
        parser.add_argument("--contacts", type=int, default=60)
        parser.add_argument("--sites", type=int, default=30)
        parser.add_argument("--configurations", type=int, default=80)
        parser.add_argument("--members", type=int, default=5)
        parser.add_argument("--malformed-every", type=int, default=0, help="Make every Nth record malformed.")

    @classmethod
    def from_options(cls, options: dict) -> ConnectWiseSimulator:
        from integrations.demo import DEMO_IDENTIFIERS

        size = Size(options["companies"], options["contacts"], options["sites"], options["configurations"],
                    options["members"])  # fmt: skip
        return cls(size, seed=options["seed"], malformed_every=options["malformed_every"], identifiers=DEMO_IDENTIFIERS)

    def banner(self, url: str) -> str:
        return (
            f"ConnectWise simulator on {url}/ (company {DEMO_COMPANY}, public key {DEMO_PUBLIC_KEY}, private key "
            f"{DEMO_PRIVATE_KEY}, clientId {DEMO_CLIENT_ID})"
        )


def _project(record: dict, fields: list[str]) -> dict:
    out: dict = {}
    for path in fields:
        parts = path.split("/")
        value: Any = record
        for part in parts:
            value = value.get(part) if isinstance(value, dict) else None
        target = out
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = copy.deepcopy(value)
    return out


def _dumps(body: Any) -> bytes:
    return orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(_dumps(body), status=status, headers=headers or {}, content_type="application/json")


def _invalid(message: str) -> Response:
    return _json({"code": "InvalidObject", "message": message, "errors": []}, 400)
