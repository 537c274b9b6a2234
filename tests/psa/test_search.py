"""``GET /api/v1/search`` and the search index (``psa.search``): every type, one reference, both engines.

CI runs this file on SQLite (FTS5) and on PostgreSQL (tsvector, pg_trgm): the results and their order are compared
with a reference computed here in Python from what each app declares, so both engines must agree with it.
"""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from assets.models import Asset
from psa import search
from psa.models import SearchEntry
from psa.search import WEIGHTS, lookup
from psa.search import text as t
from tests.assets.factories import (
    make_asset,
    make_certificate,
    make_domain,
    make_interface,
    make_network,
    make_software,
)
from tests.credentials.factories import make_credential, make_type
from tests.factories import api_for, make_client, make_contact
from tests.psa.helpers import data_of, error_paths
from tests.tickets.factories import make_comment, make_ticket, status_named
from tickets import services as ticket_services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

SEARCH = "/api/v1/search"
SECRET = "Zebra-Horse-Battery-77"


@pytest.fixture
def world():
    from clients.models import Location, Vendor

    acme, globex = make_client("Acme Dental"), make_client("Globex Logistics")
    jane = make_contact(acme, first_name="Jane", last_name="Printer", email="jane@acme.example")
    printer = make_ticket(acme, title="Printer offline in accounting", contact=jane)
    make_comment(printer, text="Replaced the toner cartridge, printer still jams")
    make_comment(printer, text="Vendor escalation for the fuser unit", is_internal=True)
    vpn = make_ticket(globex, title="VPN down", description="The printer VLAN is unreachable")
    make_comment(vpn, text="Firewall rule for the printer subnet was missing")
    make_ticket(acme, title="Printer toner order", status=status_named("Closed"))
    asset = make_asset(acme, name="Front desk printer", serial="5CG1234XYZ", make="HP", model="LaserJet")
    make_interface(asset, name="eth0", mac="00:1a:2b:3c:4d:5e", ipv4="10.20.30.40")
    make_asset(globex, name="Core switch", serial="SW-99881")
    login = make_type(name="Printer admin login")
    make_credential(acme, login, values={"username": "printeradmin", "password": SECRET}, name="Printer web admin")
    Location.objects.create(client=acme, name="Head office", city="Springfield")
    make_network(acme, name="Printer VLAN", cidr="10.20.30.0/24")
    make_domain(acme, name="acme-dental.example")
    make_certificate(acme, name="Printer portal certificate", issuer="Lets Encrypt")
    make_software(acme, name="Printer driver suite", version="5.1")
    Vendor.objects.create(client=None, name="Printer Supplies Inc", description="Toner and drums")
    return {"acme": acme, "globex": globex, "printer": printer, "vpn": vpn, "asset": asset}


def everyone():
    api, _, _ = api_for(["*"])
    return api


def reference(
    query: str, kinds: list[str] | None = None, *, internal: bool = True, page: int = 1, limit: int = 10
) -> dict:
    """Per type, the ids the search must return in order: computed from each app's documents, not the engines.

    Identifier matches (exact first), then word matches, newest first; the page is then ranked on its own.
    """
    parsed = t.parse(query)
    found = {}
    entries = {(e.kind, e.object_id): e.id for e in SearchEntry.objects.all()}
    for searchable in search.registered():
        if kinds is not None and searchable.kind not in kinds:
            continue
        hits = []
        for obj in searchable.rebuild():
            document = searchable.document(obj)
            if document is None:
                continue
            groups = {
                g: [w for f in searchable.fields if f.group == g for w in t.words(document.texts.get(f.name) or "")]
                for g in search.GROUPS
                if internal or g != "d" or searchable.kind != "ticket"
            }
            ids = {t.normalize_identifier(v) for v in document.identifiers if v}
            tier = None
            if parsed.identifier and parsed.identifier in ids:
                tier = 0
            elif parsed.identifier and any(parsed.identifier in i for i in ids):
                tier = 1
            elif parsed.matches(list(groups.values())):
                tier = 2
            if tier is not None:
                score = t.score(parsed, groups, WEIGHTS, exact_identifier=tier == 0)
                hits.append((tier, -entries[(searchable.kind, obj.pk)], -score, str(obj.pk)))
        chosen = sorted(hits)[(page - 1) * limit : page * limit]
        if chosen:
            found[searchable.kind] = [
                pk for tier, newest, score, pk in sorted(chosen, key=lambda h: (h[0], h[2], h[1]))
            ]
    return found


def results(response) -> dict:
    return {group["type"]: [r["id"] for r in group["results"]] for group in data_of(response)}


QUERIES = [
    "printer",
    "toner",
    "printer toner",
    '"printer offline"',
    '"offline printer"',
    "printer -toner",
    "vpn or switch",
    "fuser",
    "jane",
    "5cg1234xyz",
    "1234",
    "00-1A-2B-3C-4D-5E",
    "001a.2b3c.4d5e",
    "3c:4d",
    "10.20.30.40",
    "printeradmin",
    "laserjet hp",
    "springfield",
    "dental",
]


def test_every_type_agrees_with_the_reference(world):
    api = everyone()
    for query in QUERIES:
        assert results(api.get(SEARCH, {"q": query})) == reference(query), query


def test_every_type_agrees_with_the_reference_without_the_rare_word_path(world, settings):
    settings.SEARCH_RARE_ESTIMATE = -1  # PostgreSQL: every word reads the newest entries first
    api = everyone()
    for query in QUERIES:
        assert results(api.get(SEARCH, {"q": query})) == reference(query), query


def test_tickets_found_by_number_and_by_words_in_comments(world):
    api = everyone()
    number = world["printer"].ticket_number
    group = data_of(api.get(SEARCH, {"q": number}))[0]
    assert group["type"] == "ticket" and group["results"][0]["id"] == str(world["printer"].pk)
    assert group["results"][0]["match"] == "identifier"
    found = results(api.get(SEARCH, {"q": "cartridge"}))
    assert found == {"ticket": [str(world["printer"].pk)]}
    snippet = data_of(api.get(SEARCH, {"q": "cartridge"}))[0]["results"][0]["snippet"]
    assert "<mark>cartridge</mark>" in snippet


def test_credentials_by_name_and_public_fields_never_by_secret(world):
    api = everyone()
    assert list(results(api.get(SEARCH, {"q": "web admin"}))) == ["credential"]
    assert "credential" in results(api.get(SEARCH, {"q": "printeradmin"}))
    for query in [SECRET, "zebra horse battery", "77"]:
        assert "credential" not in results(api.get(SEARCH, {"q": query})), query
    stored = " ".join(str(v) for row in SearchEntry.objects.values() for v in row.values())
    assert "zebra" not in stored.lower()


def test_client_scope(world):
    scoped, _, _ = api_for(["*"], key_clients=[world["globex"]])
    found = results(scoped.get(SEARCH, {"q": "printer"}))
    assert found["ticket"] == [str(world["vpn"].pk)]
    assert "asset" not in found and "credential" not in found
    assert found["vendor"]  # the MSP's own vendors are shared by every scope
    assert results(scoped.get(SEARCH, {"q": "5cg1234xyz"})) == {}


def test_types_need_their_read_node(world):
    tickets_only, _, _ = api_for(["ticket.read", "obj.*"])
    assert set(results(tickets_only.get(SEARCH, {"q": "printer"}))) == {"ticket"}
    response = tickets_only.get(SEARCH, {"q": "printer", "type": "credential"})
    assert response.status_code == 403 and response.json()["error"]["code"] == "FORBIDDEN"
    nothing, _, _ = api_for(["obj.*"])
    assert data_of(nothing.get(SEARCH, {"q": "printer"})) == []


def test_a_hidden_field_is_not_searched(world):
    without_internal, _, _ = api_for(["ticket.read", "obj.*"])
    assert results(without_internal.get(SEARCH, {"q": "fuser"})) == {}
    assert results(without_internal.get(SEARCH, {"q": "printer"})) == reference("printer", ["ticket"], internal=False)
    fields = [n for n in search.get("ticket").fields if n.gate]
    visible = [f"obj.ticket.{f}" for f in ("ticket_number", "title", "client_name", "contact_name")]
    no_description, _, _ = api_for(["ticket.read", "ticket.comment.internal", *visible, "obj.ticket_comment.*"])
    assert fields and results(no_description.get(SEARCH, {"q": "vlan unreachable"})) == {}
    assert results(no_description.get(SEARCH, {"q": "subnet"})) == {"ticket": [str(world["vpn"].pk)]}
    no_comments, _, _ = api_for(["ticket.read", "ticket.comment.internal", "obj.ticket.*"])
    assert results(no_comments.get(SEARCH, {"q": "cartridge"})) == {}


def test_paging_one_type(world):
    api = everyone()
    first = data_of(api.get(SEARCH, {"q": "printer", "type": "ticket", "limit": 1}))
    second = data_of(api.get(SEARCH, {"q": "printer", "type": "ticket", "limit": 1, "page": 2}))
    third = data_of(api.get(SEARCH, {"q": "printer", "type": "ticket", "limit": 1, "page": 3}))
    expected = [reference("printer", ["ticket"], page=n, limit=1)["ticket"][0] for n in (1, 2, 3)]
    assert [first[0]["results"][0]["id"], second[0]["results"][0]["id"], third[0]["results"][0]["id"]] == expected
    assert first[0]["has_more"] and second[0]["has_more"] and not third[0]["has_more"]
    assert data_of(api.get(SEARCH, {"q": "printer", "type": "ticket", "page": 9}))[0]["results"] == []


@pytest.mark.parametrize("rare_estimate", [-1, 1_000])
@pytest.mark.parametrize("window", [1, 2, 3])
def test_results_past_the_recent_window_are_the_same(world, settings, window, rare_estimate):
    """PostgreSQL reads a type's newest entries first and asks GIN for older ones only when they fall short: with
    a window of a few entries every page still agrees with the reference (SQLite has no window: the same answer).
    A single word the planner expects rarely goes to GIN at once (``rare_estimate`` 1,000 takes every word of this
    small index there, -1 none): the same pages either way."""
    settings.SEARCH_RECENT_WINDOW = window
    settings.SEARCH_RARE_ESTIMATE = rare_estimate
    for i in range(4):
        make_ticket(world["globex"], title=f"Printer tray {i}")
    api = everyone()
    for query in ["printer", "toner", '"printer tray"', "fuser", "printer -tray"]:
        for page in (1, 2, 3):
            found = results(api.get(SEARCH, {"q": query, "type": "ticket", "limit": 2, "page": page}))
            expected = reference(query, ["ticket"], page=page, limit=2).get("ticket", [])
            assert found == {"ticket": expected}, (query, page)


def _planner_rows(kind: str | None, word: str) -> int:
    import json

    kind_sql, kind_params = (" AND e.kind = %s", [kind]) if kind else ("", [])
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (FORMAT JSON) SELECT 1 FROM psa_searchentry e "
            f"WHERE e.document @@ websearch_to_tsquery('simple', %s){kind_sql}",
            [word, *kind_params],
        )
        plan = cursor.fetchone()[0]
    return (plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"]["Plan Rows"]


def test_the_rare_word_estimate_from_statistics_is_the_planners(world, settings, monkeypatch):
    """PostgreSQL: the single-word estimate worked out from the index table's statistics equals the planner's
    (listed and unlisted words, one kind and every kind); once the statistics are read, a search asks no EXPLAIN and
    finds what the planner's path finds. SQLite has no such estimate: it never reads any."""
    settings.SEARCH_STATISTICS_SECONDS = 300
    monkeypatch.setattr(lookup, "_statistics", {})
    for i in range(30):
        make_ticket(world["acme"], title=f"Printer jam {i}")
    api = everyone()
    queries = ["printer", "toner", "fuser", "quokka", "dental"]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE psa_searchentry")
        for word in queries:
            for kind in ("ticket", "asset", None):
                estimate = lookup._estimate_from_statistics(kind, word)
                assert estimate is not None and max(1, round(estimate)) == _planner_rows(kind, word), (word, kind)
        assert lookup._estimate_from_statistics("ticket", "Printer") is None  # PostgreSQL folds it: asked, not guessed
    for query in queries:
        with CaptureQueriesContext(connection) as captured:
            found = results(api.get(SEARCH, {"q": query}))
        assert not any("EXPLAIN" in q["sql"] or "pg_stats" in q["sql"] for q in captured), query
        assert found == reference(query), query


def test_validation(world):
    api = everyone()
    assert error_paths(api.get(SEARCH)) == [["q"]]
    assert error_paths(api.get(SEARCH, {"q": "!!! --"})) == [["q"]]
    assert error_paths(api.get(SEARCH, {"q": "x" * 201})) == [["q"]]
    assert error_paths(api.get(SEARCH, {"q": "printer", "type": "spaceship"})) == [["type"]]
    assert error_paths(api.get(SEARCH, {"q": "printer", "limit": 0})) == [["limit"]]
    assert error_paths(api.get(SEARCH, {"q": "printer", "limit": 51})) == [["limit"]]
    assert error_paths(api.get(SEARCH, {"q": "printer", "page": 101})) == [["page"]]
    assert error_paths(api.get(SEARCH, {"q": "printer", "sort": "name"})) == [["sort"]]
    for query in ['printer"', "(printer", "printer & !", "' OR 1=1 --", "a:* | b", "{title} : x", "NEAR(a b)"]:
        assert api.get(SEARCH, {"q": query}).status_code in (200, 400), query


def test_needs_authentication():
    from tests.factories import api_client

    response = api_client().get(SEARCH, {"q": "printer"})
    assert response.status_code == 401 and response.json()["error"]["code"] == "UNAUTHORIZED"


def test_query_count_does_not_grow_with_results(world):
    api = everyone()
    kinds = len(search.registered())

    def count(query):
        with CaptureQueriesContext(connection) as captured:
            api.get(SEARCH, {"q": query})
        return len(captured)

    count("fuser")  # the first request of a key also records its use
    few = count("fuser")
    for i in range(12):
        make_ticket(world["acme"], title=f"Fuser {i}")
    assert count("fuser") == few
    # One query per type for words, one more per type for a query that reads as an identifier; plus the caller.
    assert count("1234") - few == kinds


def test_index_follows_writes(world):
    api = everyone()
    ticket = world["printer"]
    ticket_services.update_ticket(_request(), ticket, {"title": "Scanner jammed"})
    assert results(api.get(SEARCH, {"q": "scanner"})) == {"ticket": [str(ticket.pk)]}
    comment = make_comment(world["vpn"], text="Ordered a quokka")
    assert results(api.get(SEARCH, {"q": "quokka"})) == {"ticket": [str(world["vpn"].pk)]}
    comment.delete()
    assert results(api.get(SEARCH, {"q": "quokka"})) == {}
    Asset.objects.get(pk=world["asset"].pk).delete()
    assert "asset" not in results(api.get(SEARCH, {"q": "5cg1234xyz"}))
    Ticket.objects.filter(pk=ticket.pk).delete()
    assert SearchEntry.objects.filter(kind="ticket", object_id=ticket.pk).count() == 0


def test_renaming_a_client_or_contact_reindexes_their_tickets(world):
    api = everyone()
    acme, printer = world["acme"], world["printer"]
    acme_tickets = sorted(str(pk) for pk in Ticket.objects.filter(client=acme).values_list("pk", flat=True))
    acme.name = "Initech Dental"
    acme.save()
    found = results(api.get(SEARCH, {"q": "initech", "type": "ticket"}))
    assert sorted(found["ticket"]) == acme_tickets
    assert results(api.get(SEARCH, {"q": "acme", "type": "ticket"})) == {"ticket": []}
    jane = printer.contact
    jane.last_name = "Quokkaford"
    jane.save()
    assert results(api.get(SEARCH, {"q": "quokkaford", "type": "ticket"})) == {"ticket": [str(printer.pk)]}
    assert "ticket" not in results(api.get(SEARCH, {"q": '"jane printer"'}))
    jane.delete()  # the ticket keeps no contact: its name leaves the document
    assert results(api.get(SEARCH, {"q": "quokkaford", "type": "ticket"})) == {"ticket": []}
    assert results(api.get(SEARCH, {"q": "initech", "type": "ticket"}))["ticket"] == found["ticket"]


def test_saving_a_client_unchanged_reindexes_nothing(world):
    acme = make_client("Unchanged Ltd")
    make_ticket(acme, title="Quiet ticket")
    with CaptureQueriesContext(connection) as captured:
        acme.save()
    # The client's row, its own entry, and one look for ticket entries holding another name: none re-indexed.
    assert not any("tickets_ticket" in q["sql"] for q in captured)


def test_rebuild_command_gives_the_same_index(world, capsys):
    api = everyone()
    before = {q: results(api.get(SEARCH, {"q": q})) for q in ["printer", "toner", "1234"]}
    SearchEntry.objects.all().delete()
    assert results(api.get(SEARCH, {"q": "printer"})) == {}
    call_command("search_index")
    assert "ticket: 3 indexed" in capsys.readouterr().out
    assert {q: results(api.get(SEARCH, {"q": q})) for q in before} == before
    with pytest.raises(Exception, match="Unknown type"):
        call_command("search_index", "spaceship")


def test_the_query_language():
    query = t.parse('Printer  "paper jam" or toner -Wi-Fi caf\u00e9')
    assert query.websearch() == '"printer" "paper jam" or "toner" "cafe" -"wi fi"'
    assert query.fts5(("words_a",)) == (
        '{words_a} : ((("printer") AND ("paper jam" OR "toner") AND ("cafe")) NOT ("wi fi"))'
    )
    assert t.parse("or printer or").websearch() == '"printer"'
    assert t.identifier_of("00-1A-2B-3C-4D-5E") == "001a2b3c4d5e" and t.identifier_of("AA-BB") == "aabb"
    assert t.identifier_of("printer") is None and t.identifier_of("12") is None and t.identifier_of("10.0.0.1")


def _request():
    from tests.tickets.factories import _request as request

    return request()


def test_deleted_credentials_leave_the_index_and_come_back_on_restore(world):
    from credentials import services as vault_services
    from credentials.models import Credential

    api = everyone()
    credential = Credential.objects.get(name="Printer web admin")
    vault_services.soft_delete(credential, None)
    assert "credential" not in results(api.get(SEARCH, {"q": "web admin"}))
    vault_services.restore(Credential.objects.get(pk=credential.pk))
    assert results(api.get(SEARCH, {"q": "web admin"})) == {"credential": [str(credential.pk)]}


def test_a_hidden_title_is_not_shown(world):
    visible = [f"obj.ticket.{f}" for f in ("client_name", "contact_name", "description")]
    no_title, _, _ = api_for(["ticket.read", *visible, "obj.client.*", "obj.contact.*"])
    group = data_of(no_title.get(SEARCH, {"q": "unreachable"}))[0]
    assert group["results"][0]["title"] == lookup.HIDDEN_TITLE
    assert "VPN" not in str(group)


def _plan_nodes(node: dict):
    yield node
    for child in node.get("Plans", ()):
        yield from _plan_nodes(child)


def test_older_entries_of_a_kind_are_found_by_bitmaps_not_a_walk_of_every_entry(world, settings):
    """PostgreSQL: past a kind's recent window the matches come from the kind's index or the terms' (GIN), in a CTE
    with no order to walk an index for; the planner, pricing a word common elsewhere as common in every kind, walked
    the primary key past every entry of every kind instead (1.1 s for credentials in a large MSP's global search). ``enable_seqscan`` off stands in for
    a table too large to scan. SQLite reads FTS5, which intersects the kind with the terms itself: the same pages."""
    settings.SEARCH_RECENT_WINDOW = 1
    for i in range(3):
        make_ticket(world["globex"], title=f"Printer tray {i}")
    api = everyone()
    found = results(api.get(SEARCH, {"q": "printer", "limit": 2}))
    assert found == {kind: ids for kind, ids in reference("printer", limit=2).items() if ids}
    if connection.vendor != "postgresql":
        return
    sql, values = lookup._newest_first_postgresql(
        "credential", "e.document @@ websearch_to_tsquery('simple', %s)", ['"printer"'], "e.kind = %s",
        ["credential"], 2, 0,
    )  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, values)
        plan = cursor.fetchone()[0]
    plan = (plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"]
    older = next(n for n in _plan_nodes(plan) if n.get("Subplan Name") == "CTE older_matches")
    indexes = [n["Index Name"] for n in _plan_nodes(older) if "Index Name" in n]
    assert indexes and "psa_searchentry_pkey" not in indexes, indexes  # the kind's entries or the terms', not all
