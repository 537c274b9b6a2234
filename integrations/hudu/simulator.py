"""A Hudu REST API v1 simulator: a WSGI app serving deterministic generated data, strictly.

It speaks ``/api/v1/{api_info,companies,asset_layouts,assets,asset_passwords,websites}`` with Hudu's envelopes
(websites as a bare array), checks ``x-api-key`` (a key may lack password access: 403 on ``/asset_passwords``),
pages with ``page`` and ``page_size`` (25 by default) and answers an empty list past the end, filters ``updated_at``
(``a,b``, ``a,`` or exact), ``archived``, ``company_id``, ``name`` and ``id_in_integration``, refuses unknown
parameters, and enforces Hudu's 300 requests a minute (429 with ``Retry-After``) on its own clock. Faults (429,
500/502, slow or malformed answers, a revoked key) and the request log come from :mod:`integrations.simulator`.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.wrappers import Request, Response

from integrations.hudu.client import format_time, hudu_time
from integrations.simulator import Simulator, json_response

DEMO_API_KEY = "demo-hudu-api-key-not-secret"
DEMO_NO_PASSWORDS_KEY = "demo-hudu-key-without-passwords"
BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)
RATE_LIMIT = 300  # requests per minute, per Hudu's documentation
MAX_PAGE_SIZE = 1000

COMMON = {"page", "page_size"}
PARAMS = {
    "companies": COMMON | {"name", "phone_number", "website", "city", "state", "id_number", "slug", "search",
                           "id_in_integration", "updated_at", "archived"},
    "asset_layouts": COMMON | {"name", "slug", "active", "updated_at"},
    "assets": COMMON | {"company_id", "id", "name", "primary_serial", "asset_layout_id", "archived", "slug", "search",
                        "updated_at"},
    "asset_passwords": COMMON | {"name", "company_id", "archived", "slug", "search", "updated_at"},
    "websites": COMMON | {"name", "slug", "search", "updated_at"},
}  # fmt: skip
LAYOUTS = [
    ("Computer", ["Operating system", "RAM (GB)", "Local admin password", "Purchased"]),
    ("Server", ["Role", "Operating system", "iDRAC password", "Warranty ends"]),
    ("Network device", ["Management IP", "Firmware", "Admin password"]),
    ("Printer", ["IP address", "Toner"]),
    ("Firewall", ["WAN IP", "Firmware", "Admin password"]),
]
_WORDS = ["Harbor", "Juniper", "Kestrel", "Lumen", "Maple", "Nimbus", "Orchid", "Pioneer", "Quartz", "Redwood"]
_SUFFIXES = ["Partners", "Clinic", "Logistics", "Foods", "Studio", "Group", "Works", "Labs"]


@dataclass(frozen=True)
class Size:
    companies: int = 6
    assets: int = 18
    passwords: int = 9
    websites: int = 6


class HuduSimulator(Simulator):
    """Hudu's data and routes on the shared simulator base. Thread-safe for a threaded loopback server."""

    vendor = "hudu"
    default_port = 8012
    fault_body = {"error": "Injected fault"}
    malformed_body = '{"companies": [{"id": 1, "na'

    def __init__(
        self,
        size: Size | None = None,
        *,
        seed: int = 1,
        keys: dict[str, bool] | None = None,
        clock: Callable[[], float] = time.monotonic,
        names: list[str] | None = None,
        malformed_every: int = 0,
    ) -> None:
        super().__init__(seed=seed)
        self.size = size or Size()
        self.keys = dict(keys) if keys is not None else {DEMO_API_KEY: True, DEMO_NO_PASSWORDS_KEY: False}
        self.clock = clock  # seconds, for the rate limit window
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)  # for updated_at of touched records
        self.malformed_every = malformed_every
        self.rate_limit = RATE_LIMIT
        self.window: deque[float] = deque()
        self.throttled = 0  # 429s the rate limit answered (injected faults not counted)
        self.ignores_page: set[str] = set()  # resources that answer page 1 whatever ``page`` says (some Hudu ones do)
        self.data: dict[str, dict[int, dict]] = {}
        self.version = 0  # bumped by every change, so filtered lists are cached between pages
        self._cache: dict[tuple, list[dict]] = {}
        self._generate(random.Random(seed), names or [])

    # --- generated data ---------------------------------------------------------------------------------------

    def _stamp(self, index: int) -> str:
        return format_time(BASE_TIME + timedelta(seconds=index))

    def _bad(self, index: int) -> bool:
        return bool(self.malformed_every) and index % self.malformed_every == 0

    def _generate(self, rng: random.Random, names: list[str]) -> None:
        size = self.size
        companies = {}
        for i in range(1, size.companies + 1):
            name = names[i - 1] if i <= len(names) else f"{_WORDS[i % len(_WORDS)]} {_SUFFIXES[i % len(_SUFFIXES)]} {i}"
            companies[i] = {
                "id": i, "slug": f"company-{i}", "name": name, "nickname": "", "company_type": "Customer",
                "id_number": f"H{i:05d}", "parent_company_id": None, "parent_company_name": None, "archived": False,
                "address_line_1": f"{rng.randint(1, 999)} Harbour Road", "address_line_2": "", "city": "Riverton",
                "state": "CA", "zip": f"{rng.randint(10000, 99999)}", "country_name": "United States",
                "phone_number": f"+1 555 {rng.randint(1000, 9999)}", "fax_number": "",
                "website": f"https://company{i}.example.com", "notes": "", "object_type": "Company",
                "url": f"/c/company-{i}", "full_url": f"https://hudu.example/c/company-{i}",
                "passwords_url": f"/c/company-{i}/passwords", "knowledge_base_url": f"/kba/company-{i}",
                "created_at": self._stamp(i), "updated_at": self._stamp(i), "integrations": [],
            }  # fmt: skip
            if self._bad(i):
                companies[i]["name"] = None
        layouts = {}
        for index, (name, labels) in enumerate(LAYOUTS, 1):
            layouts[index] = {
                "id": index, "slug": name.lower().replace(" ", "-"), "name": name, "icon": "fas fa-cube",
                "color": "#000000", "icon_color": "#ffffff", "active": True, "include_passwords": True,
                "include_photos": False, "include_comments": True, "include_files": True,
                "created_at": self._stamp(index), "updated_at": self._stamp(index),
                "fields": [
                    {"id": index * 100 + n, "label": label, "position": n, "required": False, "show_in_list": True,
                     "field_type": "Password" if "password" in label.lower() else "Date" if label in ("Purchased",
                     "Warranty ends") else "Number" if "(GB)" in label else "Text"}
                    for n, label in enumerate(labels, 1)
                ],
            }  # fmt: skip
        good = [c for c in companies.values() if c["name"]]
        assets = {}
        for i in range(1, size.assets + 1):
            company = good[(i - 1) % len(good)]
            layout = layouts[(i - 1) % len(layouts) + 1]
            fields = []
            for spec in layout["fields"]:
                if spec["field_type"] == "Password":
                    value: Any = f"asset-secret-{i}-{rng.randint(100000, 999999)}"
                elif spec["field_type"] == "Number":
                    value = rng.choice([8, 16, 32])
                elif spec["field_type"] == "Date":
                    value = "2025-06-01"
                else:
                    value = f"{spec['label']} {i}"
                fields.append({"id": i * 10 + spec["position"], "label": spec["label"], "value": value,
                               "position": spec["position"]})  # fmt: skip
            assets[1000 + i] = {
                "id": 1000 + i, "company_id": company["id"], "company_name": company["name"],
                "asset_layout_id": layout["id"], "asset_type": layout["name"], "slug": f"asset-{i}",
                "name": f"{layout['name'].split()[0].upper()}-{i:05d}", "archived": False,
                "primary_serial": f"HS{i:08d}", "primary_mail": "", "primary_model": f"Model {rng.randint(1, 9)}",
                "primary_manufacturer": rng.choice(["Dell", "HP", "Lenovo", "Ubiquiti", "Brother"]),
                "object_type": "Asset", "url": f"/a/asset-{i}", "created_at": self._stamp(i),
                "updated_at": self._stamp(i), "fields": fields, "cards": [],
            }  # fmt: skip
            if self._bad(i):
                assets[1000 + i]["company_id"] = "not-an-id"
        passwords = {}
        for i in range(1, size.passwords + 1):
            company = good[(i - 1) % len(good)]
            asset = assets.get(1000 + i)  # asset i belongs to the same company as password i
            own = [asset["id"]] if asset and asset["company_id"] == company["id"] else []
            passwords[5000 + i] = {
                "id": 5000 + i, "company_id": company["id"],
                "passwordable_type": "Asset" if own else None, "passwordable_id": own[0] if own else None,
                "name": f"Admin login {i}", "slug": f"password-{i}", "description": "Synced from Hudu",
                "url": f"https://portal{i}.example.com", "login_url": f"https://portal{i}.example.com/login",
                "username": f"admin{i}", "password": f"hudu-pw-{i}-{rng.randint(10**8, 10**9)}",
                "otp_secret": "JBSWY3DPEHPK3PXP" if i % 3 == 0 else "", "password_type": "",
                "password_folder_id": None, "password_folder_name": None, "archived": False,
                "created_at": self._stamp(i), "updated_at": self._stamp(i),
            }  # fmt: skip
            if self._bad(i):
                passwords[5000 + i]["name"] = ""
        websites = {}
        for i in range(1, size.websites + 1):
            company = good[(i - 1) % len(good)]
            websites[8000 + i] = {
                "id": 8000 + i, "name": f"https://www.site{i}.example.com", "slug": f"site-{i}",
                "company_id": company["id"], "company_name": company["name"], "notes": "", "archived": False,
                "discarded_at": None, "paused": False, "monitor_type": "http", "status": "up", "code": 200,
                "message": "", "keyword": "", "disable_dns": False, "disable_ssl": False, "disable_whois": False,
                "object_type": "Website", "url": f"/websites/{8000 + i}", "created_at": self._stamp(i),
                "updated_at": self._stamp(i),
            }  # fmt: skip
        self.data = {"companies": companies, "asset_layouts": layouts, "assets": assets, "asset_passwords": passwords,
                     "websites": websites}  # fmt: skip

    # --- state changes (tests and the demo) ---------------------------------------------------------------------

    def touch(self, collection: str, record_id: int, **changes: Any) -> dict:
        """Change a record and move its ``updated_at`` to now."""
        with self.lock:
            record = self.data[collection][record_id]
            record.update(changes)
            record["updated_at"] = format_time(self.now())
            self.version += 1
            return record

    def remove(self, collection: str, record_id: int) -> None:
        """Delete a record (the deletion scan no longer finds it)."""
        with self.lock:
            del self.data[collection][record_id]
            self.version += 1

    # --- WSGI ------------------------------------------------------------------------------------------------

    def respond(self, request: Request) -> Response:
        """Hudu checks the key and its rate limit before anything else can go wrong."""
        key = request.headers.get("x-api-key", "")
        if key not in self.keys or self.credentials_expired:
            return json_response({"error": "Unauthorized"}, 401)
        limited = self._rate_limited()
        if limited is not None:
            return limited
        return super().respond(request)

    def dispatch(self, request: Request) -> Response:
        key = request.headers.get("x-api-key", "")
        path = request.path
        if not path.startswith("/api/v1/"):
            return json_response({"error": "Not found"}, 404)
        resource = path[len("/api/v1/") :].strip("/")
        if request.method != "GET":
            return json_response({"error": "Method not allowed"}, 405)
        if resource == "api_info":
            return json_response({"version": "2.44.0", "date": "2026-10-01"})
        if resource not in PARAMS:
            return json_response({"error": "Not found"}, 404)
        if resource == "asset_passwords" and not self.keys[key]:
            return json_response({"error": "This API key does not have access to passwords"}, 403)
        return self._list(request, resource)

    def _rate_limited(self) -> Response | None:
        with self.lock:
            now = self.clock()
            while self.window and now - self.window[0] >= 60:
                self.window.popleft()
            if len(self.window) >= self.rate_limit:
                self.throttled += 1
                retry = max(1, int(60 - (now - self.window[0])) + 1)
                return json_response({"error": "Rate limit exceeded"}, 429, {"Retry-After": str(retry)})
            self.window.append(now)
        return None

    def _list(self, request: Request, resource: str) -> Response:
        args = request.args
        unknown = set(args) - PARAMS[resource]
        if unknown:
            return json_response({"error": f"Unknown parameter {sorted(unknown)[0]}"}, 422)
        try:
            page = int(args.get("page", 1))
            page_size = min(int(args.get("page_size", 25)), MAX_PAGE_SIZE)
        except ValueError:
            return json_response({"error": "page and page_size are integers"}, 422)
        if page < 1 or page_size < 1:
            return json_response({"error": "page and page_size start at 1"}, 422)
        if resource in self.ignores_page:
            page = 1
        try:
            rows = self._filtered(resource, args)
        except ValueError as exc:
            return json_response({"error": str(exc)}, 422)
        chunk = rows[(page - 1) * page_size : page * page_size]
        body: Any = chunk if resource == "websites" else {resource: chunk}
        return json_response(body)

    def _filtered(self, resource: str, args) -> list[dict]:
        """The resource's records matching the filters, cached per filter set until the data changes (a pull of
        20,000 assets is 800 pages: filtering every record for every page would make the simulator the bottleneck)."""
        filters = tuple(sorted((k, v) for k, v in args.items() if k not in COMMON))
        key = (resource, filters, self.version)
        with self.lock:
            cached = self._cache.get(key)
            if cached is None:
                rows = [r for _, r in sorted(self.data[resource].items())]
                cached = [r for r in rows if self._matches(r, args)]
                if len(self._cache) > 64:
                    self._cache.clear()
                self._cache[key] = cached
            return cached

    @staticmethod
    def _matches(record: dict, args) -> bool:
        archived = args.get("archived", "false").lower() == "true"
        if "archived" in record and bool(record.get("archived")) != archived:
            return False
        for name in ("company_id", "asset_layout_id", "id"):
            if name in args and str(record.get(name)) != args[name]:
                return False
        if "name" in args and record.get("name") != args["name"]:
            return False
        if "id_in_integration" in args:
            ids = {str(i.get("sync_id")) for i in record.get("integrations") or []}
            if args["id_in_integration"] not in ids:
                return False
        if "updated_at" in args:
            start_text, comma, end_text = args["updated_at"].partition(",")
            start, end = hudu_time(start_text), hudu_time(end_text)
            if (start_text and start is None) or (end_text and end is None):
                raise ValueError("updated_at takes ISO-8601 times: 'start,end', 'start,' or one exact time")
            updated = hudu_time(record.get("updated_at"))
            if updated is None:
                return False
            if not comma:
                return updated == start
            if start is not None and updated < start:
                return False
            if end is not None and updated > end:
                return False
        return True

    # --- manage.py simulate hudu ----------------------------------------------------------------------------

    @classmethod
    def add_arguments(cls, parser) -> None:
        parser.add_argument("--companies", type=int, default=20)
        parser.add_argument("--assets", type=int, default=60)
        parser.add_argument("--passwords", type=int, default=30)
        parser.add_argument("--websites", type=int, default=20)
        parser.add_argument("--malformed-every", type=int, default=0, help="Make every Nth record malformed.")

    @classmethod
    def from_options(cls, options: dict) -> HuduSimulator:
        from integrations.hudu.demo import DEMO_COMPANY_NAMES

        size = Size(options["companies"], options["assets"], options["passwords"], options["websites"])
        return cls(size, seed=options["seed"], names=DEMO_COMPANY_NAMES, malformed_every=options["malformed_every"])

    def banner(self, url: str) -> str:
        return f"Hudu simulator on {url}/ (API key {DEMO_API_KEY})"
