"""The ConnectWise simulator is strict (auth, parameters, conditions), and the client speaks its paging."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from integrations.connectwise import conditions as cw
from integrations.connectwise.simulator import DEMO_CLIENT_ID
from integrations.http import AuthenticationError, NotFoundError, UpstreamError
from tests.integrations.conftest import make_cw_client


def test_auth_is_strict(sim):
    with pytest.raises(AuthenticationError):
        make_cw_client(sim, private_key="nope").system_info()
    with pytest.raises(AuthenticationError):
        make_cw_client(sim, client_id="someone-elses").system_info()
    with pytest.raises(NotFoundError):  # a wrong company is a 404 on ConnectWise cloud
        make_cw_client(sim, company_id="other").system_info()
    raw = httpx.Client(transport=httpx.WSGITransport(app=sim), base_url="http://cw/v4_6_release/apis/3.0/")
    assert raw.get("system/info", headers={"clientId": DEMO_CLIENT_ID}).status_code == 401


def test_expired_credentials(sim, cw):
    cw.system_info()
    sim.expire_credentials()
    with pytest.raises(AuthenticationError):
        cw.system_info()


def test_unknown_parameters_and_fields_are_refused(cw):
    with pytest.raises(UpstreamError, match="unknown parameter"):
        cw.get_json("company/companies", params={"pagesize": 5})
    with pytest.raises(UpstreamError, match="unknown field"):
        list(cw.iter_records("company/companies", conditions='nmae="x"'))


def test_navigable_paging_follows_next_links(sim, cw):
    cw.page_size = 4
    names = [c["id"] for c in cw.iter_records("company/companies")]
    assert names == sorted(sim.data["companies"])
    pages = [r for r in sim.log("company/companies") if r.method == "GET"]
    assert [r.query.get("page") for r in pages] == ["1", "2"]
    assert all(r.query["pageSize"] == "4" for r in pages)


def test_exactly_one_full_page_without_a_link_header_is_read_to_the_end(sim, cw):
    # ConnectWise sends no Link header when everything fits on one page; 6 companies on pages of 6 is such a page.
    cw.page_size = len(sim.data["companies"])
    assert [c["id"] for c in cw.iter_records("company/companies")] == sorted(sim.data["companies"])
    pages = [r for r in sim.log("company/companies") if r.method == "GET"]
    assert [r.query.get("page") for r in pages] == ["1", "2"]  # the second, empty, says it was the last


def test_forward_only_id_scan(sim, cw):
    ids = list(cw.iter_ids("company/contacts"))
    assert ids == sorted(sim.data["contacts"])
    request = sim.log("company/contacts")[0]
    assert request.headers.get("Pagination-Type") == "forward-only" and request.query["fields"] == "id"


def test_conditions_on_last_updated_and_nested_fields(sim, cw):
    since = datetime(2026, 1, 1, 0, 0, 3, tzinfo=UTC)
    rows = list(cw.iter_records("company/companies", conditions=cw.updated_since(since)))
    assert [r["id"] for r in rows] == [104, 105, 106]
    company = next(iter(sim.data["companies"]))
    contacts = list(cw.iter_records("company/contacts", conditions=cw_condition("company/id", company)))
    assert contacts and all(c["company"]["id"] == company for c in contacts)


def cw_condition(field, value):
    return cw.condition(field, "=", value)


def test_quoting_escapes_quotes_and_backslashes():
    text = 'Bob "the" \\ Builder'
    expression = cw.condition("name", "=", text)
    assert expression == 'name="Bob \\"the\\" \\\\ Builder"'
    predicate = cw.compile_conditions(expression, lambda f: True)
    assert predicate({"name": text}) and not predicate({"name": "Bob"})


@pytest.mark.parametrize(
    ("expression", "row", "expected"),
    [
        ('name like "Ac%" and id > 3', {"name": "Acme", "id": 4}, True),
        ("(id = 1 or id = 2) and not_a = null", {"id": 2, "not_a": None}, True),
        ("id in (1, 2, 3)", {"id": 4}, False),
        ("id not in (1, 2)", {"id": 4}, True),
        ('name contains "cm"', {"name": "ACME"}, True),
        ("lastUpdated >= [2026-01-01T00:00:00Z]", {"_info": {"lastUpdated": "2026-01-01T00:00:00Z"}}, True),
        ("flag = true", {"flag": False}, False),
    ],
)
def test_condition_grammar(expression, row, expected):
    assert cw.compile_conditions(expression, lambda f: True)(row) is expected


@pytest.mark.parametrize(
    "expression", ['name = "unterminated', "id >", "id = [not-a-date]", "(id = 1", "id = 1 id = 2"]
)
def test_bad_conditions_are_errors(expression):
    with pytest.raises(cw.ConditionError):
        cw.compile_conditions(expression, lambda f: True)


def test_patch_is_json_patch_and_bumps_last_updated(sim, cw):
    company = next(iter(sim.data["companies"]))
    before = sim.data["companies"][company]["_info"]["lastUpdated"]
    sim.clock = lambda: datetime(2026, 6, 1, tzinfo=UTC)
    updated = cw.patch(f"company/companies/{company}", {"name": "Renamed"})
    assert updated["name"] == "Renamed" and updated["_info"]["lastUpdated"] == "2026-06-01T00:00:00Z" != before
    assert sim.log("company/companies/")[-1].method == "PATCH"
