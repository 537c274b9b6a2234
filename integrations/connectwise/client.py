"""A thin typed client for ConnectWise Manage REST API 3.0 (see shared/reference/integrations.md §2).

Authentication is Basic ``company+public:private`` plus the ``clientId`` header; lists are generators that follow
``Link: rel="next"`` verbatim (navigable paging) or ``pageId`` cursors (forward-only, for id-only scans).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx

from integrations.connectwise import conditions as cw
from integrations.http import ApiClient, MalformedResponseError, NotFoundError

PAGE_SIZE = 1000
_NEXT = re.compile(r'<([^>]*)>\s*;\s*rel="?next"?')
_FIRST_URL = re.compile(r"<([^>]*)>")


def api_base(base_url: str, codebase: str) -> str:
    codebase = (codebase or "v4_6_release/").strip("/") + "/"
    return f"{base_url.rstrip('/')}/{codebase}apis/3.0/"


class ConnectWiseClient(ApiClient):
    def __init__(
        self,
        base_url: str,
        *,
        company_id: str,
        public_key: str,
        private_key: str,
        client_id: str,
        codebase: str = "v4_6_release/",
        page_size: int = PAGE_SIZE,
        **kwargs: Any,
    ) -> None:
        token = base64.b64encode(f"{company_id}+{public_key}:{private_key}".encode()).decode()
        headers = {
            "Authorization": f"Basic {token}",
            "clientId": client_id,
            "Accept": "application/json",
            "Content-Type": "application/json",
        }
        super().__init__(api_base(base_url, codebase), headers=headers, **kwargs)
        self.site_url = base_url.rstrip("/")
        self.company_id = company_id
        self.page_size = max(1, min(page_size, PAGE_SIZE))

    def should_retry(self, response: httpx.Response) -> bool:
        """ConnectWise also answers 500 for its own timeouts (the body says so); those are worth a retry."""
        if response.status_code == 500 and "timeout" in response.text[:2000].lower():
            return True
        return super().should_retry(response)

    # --- lists ---------------------------------------------------------------------------------------------

    def iter_pages(
        self, path: str, *, conditions: str = "", fields: str = "", order_by: str = "id asc"
    ) -> Iterator[list[dict]]:
        """Pages of a list, following each ``rel="next"`` link verbatim until there is none."""
        params: dict[str, Any] = {"pageSize": self.page_size, "page": 1}
        if conditions:
            params["conditions"] = conditions
        if fields:
            params["fields"] = fields
        if order_by:
            params["orderBy"] = order_by
        base = dict(params)
        url: str | None = path
        number = 1
        while url is not None:
            response = self.request("GET", url, params=params)
            page = self._page(response)
            yield page
            url, params = self._next_link(response), None
            # ConnectWise sends no Link header when everything fits on one page, so a full page without one may be
            # the last (exactly pageSize records) or a proxy may have dropped the header: ask for the next by number.
            if url is None and len(page) == self.page_size and "Link" not in response.headers:
                number += 1
                url, params = path, {**base, "page": number}
            elif url is not None:
                number += 1

    def iter_records(self, path: str, **kwargs: Any) -> Iterator[dict]:
        for page in self.iter_pages(path, **kwargs):
            yield from page

    def iter_ids(self, path: str, *, conditions: str = "") -> Iterator[int]:
        """Every id of a collection, forward-only (``pageId`` cursor; an empty ``Link`` ends it)."""
        params: dict[str, Any] = {"pageSize": PAGE_SIZE, "fields": "id"}
        if conditions:
            params["conditions"] = conditions
        url: str | None = path
        headers = {"pagination-type": "forward-only"}
        while url is not None:
            response = self.request("GET", url, params=params, headers=headers)
            for row in self._page(response):
                if not isinstance(row.get("id"), int):
                    raise MalformedResponseError("A record without an integer id.", url=str(response.url))
                yield row["id"]
            if "Link" not in response.headers:
                raise MalformedResponseError("This endpoint does not page forward-only.", url=str(response.url))
            match = _FIRST_URL.search(response.headers["Link"])
            url, params = (match.group(1) if match else None), None

    def _page(self, response: httpx.Response) -> list[dict]:
        body = self.decode(response)
        if not isinstance(body, list) or not all(isinstance(row, dict) for row in body):
            raise MalformedResponseError("A list page is not a JSON array of objects.", url=str(response.url))
        return body

    @staticmethod
    def _next_link(response: httpx.Response) -> str | None:
        match = _NEXT.search(response.headers.get("Link", ""))
        return match.group(1) if match else None

    # --- calls ---------------------------------------------------------------------------------------------

    def system_info(self) -> dict:
        body = self.get_json("system/info")
        if not isinstance(body, dict):
            raise MalformedResponseError("system/info is not an object.")
        return body

    def company(self, company_id: int) -> dict:
        body = self.get_json(f"company/companies/{int(company_id)}")
        if not isinstance(body, dict):
            raise MalformedResponseError("A company is not an object.")
        return body

    def count(self, path: str, conditions: str = "") -> int:
        body = self.get_json(f"{path}/count", params={"conditions": conditions} if conditions else None)
        if not isinstance(body, dict) or not isinstance(body.get("count"), int):
            raise MalformedResponseError("A count is not {'count': int}.")
        return body["count"]

    def patch(self, path: str, changes: dict[str, Any]) -> dict:
        """JSON Patch ``replace`` operations (bare field names, ``Content-Type: application/json``)."""
        ops = [{"op": "replace", "path": name, "value": value} for name, value in changes.items()]
        return self.decode(self.request("PATCH", path, json=ops))

    def get_object(self, path: str) -> dict:
        body = self.get_json(path)
        if not isinstance(body, dict):
            raise MalformedResponseError("The answer is not a JSON object.", url=path)
        return body

    def get_list(self, path: str, **kwargs: Any) -> list[dict]:
        """Every record of a (small) list: a parent's notes, contacts or activities."""
        return list(self.iter_records(path, order_by="", **kwargs))

    def post(self, path: str, body: dict) -> dict:
        created = self.decode(self.request("POST", path, json=body))
        if not isinstance(created, dict):
            raise MalformedResponseError("A created record is not an object.")
        return created

    def delete(self, path: str) -> None:
        self.request("DELETE", path)

    def quantity_on_hand(self, item_id: int) -> int:
        body = self.get_json(f"procurement/catalog/{int(item_id)}/quantityOnHand")
        if not isinstance(body, dict) or not isinstance(body.get("count"), int | float):
            raise MalformedResponseError("quantityOnHand is not {'count': number}.")
        return int(body["count"])

    def forecast_items(self, opportunity_id: int) -> list[dict]:
        """An opportunity's forecast lines. The spec's shapes differ: a container with ``forecastItems``, or a list
        of containers or of items; all three are read (reference/integrations.md §2.6)."""
        body = self.get_json(f"sales/opportunities/{int(opportunity_id)}/forecast")
        containers = body if isinstance(body, list) else [body]
        items: list = []
        for container in containers:
            if isinstance(container, dict) and isinstance(container.get("forecastItems"), list):
                items.extend(container["forecastItems"])
            elif isinstance(container, dict) and "forecastType" in container:
                items.append(container)
            elif not (isinstance(container, dict) and "forecastItems" not in container):
                raise MalformedResponseError("The forecast is not a container or a list of items.")
        if not all(isinstance(item, dict) and isinstance(item.get("id"), int) for item in items):
            raise MalformedResponseError("A forecast item is not an object with an integer id.")
        return items

    @staticmethod
    def updated_since(cursor: datetime | None) -> str:
        return cw.condition("lastUpdated", ">", cursor) if cursor is not None else ""

    def is_not_found(self, exc: Exception) -> bool:
        return isinstance(exc, NotFoundError)
