"""Answering a search from the index, within the caller's permissions, client scope and field gating.

A page of one kind lists identifier matches first (the query read as a ticket number, serial, MAC or IP: exact
before substring), then word matches, each newest first; so the database only finds and orders, through its
indexes, and never ranks. The returned page alone is then ranked in Python (an exact identifier, then each term by
the best weight group it occurs in) and given snippets: the same results in the same order on both engines.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.db.models import QuerySet

from psa import gating
from psa.access import client_scope, has_nodes
from psa.db import joins_in_written_order
from psa.search import GROUPS, WEIGHTS, Searchable, SearchField, registered
from psa.search import text as t

HIDDEN_TITLE = "(hidden)"


@dataclass
class Hit:
    entry: Any  # psa.models.SearchEntry
    tier: int  # 0 exact identifier, 1 identifier substring, 2 words
    score: float
    snippet: str
    url: str


@dataclass
class Page:
    searchable: Searchable
    hits: list[Hit]
    has_next: bool


def readable(request) -> list[Searchable]:
    """The kinds the caller may search (holds their nodes), in the registry's order."""
    return [s for s in registered() if has_nodes(request, s.nodes)]


def _field_visible(request, searchable: Searchable, item: SearchField) -> bool:
    if item.nodes and not has_nodes(request, item.nodes):
        return False
    model = item.gate_model or searchable.gate_model or searchable.model
    return item.gate is None or gating.value_visible(request, model, item.gate)


def visible_groups(request, searchable: Searchable) -> tuple[str, ...]:
    """The weight groups the caller searches: those whose every field it may see."""
    found = []
    for group in GROUPS:
        fields = [f for f in searchable.fields if f.group == group]
        if fields and all(_field_visible(request, searchable, f) for f in fields):
            found.append(group)
    return tuple(found)


def _filters(request, searchable: Searchable, active_only: bool, within: QuerySet | None) -> tuple[str, list]:
    """SQL conditions on ``e`` (the entry) for kind, client scope, activity and an object queryset."""
    from psa.models import SearchEntry

    field = SearchEntry._meta.get_field("client_id")
    sql, params = ["e.kind = %s"], [searchable.kind]
    scope = client_scope(request) if getattr(searchable.model, "scope_path", None) else None
    if scope is not None:
        ids = [field.get_db_prep_value(c, connection) for c in sorted(scope, key=str)]
        shared = " OR e.client_id IS NULL" if getattr(searchable.model, "scope_includes_shared", False) else ""
        inside = f"e.client_id IN ({', '.join(['%s'] * len(ids))})" if ids else "1 = 0"
        sql.append(f"({inside}{shared})")
        params += ids
    if active_only:
        sql.append("e.is_active")
    if within is not None:
        subquery, sub_params = within.values("pk").query.sql_with_params()
        sql.append(f"e.object_id IN ({subquery})")
        params += list(sub_params)
    return " AND ".join(sql), params


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _identifier_matches(where: str, params: list, needle: str, limit: int) -> list:
    """Entries whose identifiers contain ``needle``: exact ones first, then newest first."""
    from psa.models import SearchEntry

    if connection.vendor == "postgresql":
        sql = (
            "SELECT e.* FROM psa_searchentry e WHERE e.identifiers LIKE %s AND " + where + " "
            "ORDER BY (e.identifiers LIKE %s) DESC, e.id DESC LIMIT %s"
        )
        values = [f"%{_like(needle)}%", *params, f"% {_like(needle)} %", limit]
    else:
        sql = (
            "SELECT e.* FROM psa_search_ids JOIN psa_searchentry e ON e.id = psa_search_ids.rowid "
            "WHERE psa_search_ids MATCH %s AND " + where + " "
            "ORDER BY instr(e.identifiers, %s) > 0 DESC, e.id DESC LIMIT %s"
        )
        values = [f'"{needle}"', *params, f" {needle} ", limit]
    return list(SearchEntry.objects.raw(sql, values))


def _fts5(kind: str, query: t.Query, groups: tuple[str, ...]) -> str:
    # The kind is a word of its own column: FTS5 intersects it with the terms instead of scanning every kind's rows.
    return f'{{kind}} : "{kind}" AND ' + query.fts5(tuple(f"words_{g}" for g in groups))


def _word_matches(
    kind: str,
    where: str,
    params: list,
    query: t.Query,
    groups: tuple[str, ...],
    skip: list,
    limit: int,
    offset: int,
    rare: bool | None = None,
) -> list:
    from psa.models import SearchEntry

    if skip:
        where += f" AND e.id NOT IN ({', '.join(['%s'] * len(skip))})"
        params = [*params, *skip]
    if connection.vendor == "postgresql":
        if groups == GROUPS:
            match, values = "e.document @@ websearch_to_tsquery('simple', %s)", [query.websearch()]
        else:
            # The index finds candidates by the terms to include; the weight filter then keeps visible groups only.
            match = (
                "e.document @@ websearch_to_tsquery('simple', %s) AND "
                "ts_filter(e.document, %s::\"char\"[]) @@ websearch_to_tsquery('simple', %s)"
            )
            values = [query.websearch(positive_only=True), list(groups), query.websearch()]
        if rare is None:
            rare = _rare_on_postgresql(kind, query, values[0])
        if rare:
            sql = f"SELECT e.* FROM psa_searchentry e WHERE {match} AND {where} ORDER BY e.id DESC LIMIT %s OFFSET %s"
            values = [*values, *params, limit, offset]
        else:
            sql, values = _newest_first_postgresql(kind, match, values, where, params, limit, offset)
    else:
        sql = (
            "SELECT e.* FROM psa_search_fts JOIN psa_searchentry e ON e.id = psa_search_fts.rowid "
            f"WHERE psa_search_fts MATCH %s AND {where} ORDER BY psa_search_fts.rowid DESC LIMIT %s OFFSET %s"
        )
        values = [_fts5(kind, query, groups), *params, limit, offset]
    return list(SearchEntry.objects.raw(sql, values))


def _rare_on_postgresql(kind: str | None, query: t.Query, positive: str) -> bool:
    """Whether one word is rare enough for the GIN index alone: the planner expects at most
    ``PSA_SEARCH_RARE_ESTIMATE`` entries of the kind to hold it.

    Reading the newest ``PSA_SEARCH_RECENT_WINDOW`` entries (:func:`_newest_first_postgresql`) costs the same for
    every word, most of it spent reading each entry's document; a rare word is found there seldom, and then the
    older entries are searched through GIN anyway. For a single word the planner's estimate is sound (the
    document's statistics list the frequent words), so a word it expects seldom is looked up in the index
    directly, which returns the same matches in the same order (newest first). Several words, phrases and
    alternatives keep the window: an estimate multiplying their frequencies is no guide.
    """
    single = len(query.clauses) == 1 and len(query.clauses[0]) == 1 and len(query.clauses[0][0].words) == 1
    if not single:
        return False
    estimate = _estimate_from_statistics(kind, query.clauses[0][0].words[0])
    if estimate is not None:
        return estimate <= settings.SEARCH_RARE_ESTIMATE
    # kind None: the estimate over every kind, at least each kind's own, so one EXPLAIN serves a global search.
    kind_sql, kind_params = (" AND e.kind = %s", [kind]) if kind is not None else ("", [])
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (FORMAT JSON) SELECT 1 FROM psa_searchentry e "
            f"WHERE e.document @@ websearch_to_tsquery('simple', %s){kind_sql}",
            [positive, *kind_params],
        )
        plan = cursor.fetchone()[0]
    plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
    return plan["Plan"]["Plan Rows"] <= settings.SEARCH_RARE_ESTIMATE


@dataclass
class _Statistics:
    """What ANALYZE recorded of the index table: its rows, each kind's share, each frequent word's share."""

    rows: float
    kinds: dict[str, float]
    words: dict[str, float]
    fewest: float  # the share of the least frequent word listed (the planner's guess for an unlisted word is half)


_statistics: dict[str, tuple[_Statistics | None, float]] = {}  # per database alias: the statistics, when read


def _estimate_from_statistics(kind: str | None, word: str) -> float | None:
    """The planner's row estimate for ``word`` in the entries of ``kind`` (every kind for ``None``), worked out as
    PostgreSQL does for one lexeme (``tsmatchsel``: the word's share among the most common elements, else
    ``min(0.005, least share / 2)``; times the kind's share and the table's rows) from statistics read at most once
    per ``PSA_SEARCH_STATISTICS_SECONDS``: no ``EXPLAIN`` round trip per search. ``None`` (ask the planner) when
    there are no statistics yet or the word is one PostgreSQL's parser might split or fold otherwise."""
    if not (word.isascii() and word.isalnum() and word == word.lower()):
        return None
    statistics = _current_statistics()
    if statistics is None or (kind is not None and kind not in statistics.kinds):
        return None
    share = statistics.words.get(word)
    if share is None:
        share = min(0.005, statistics.fewest / 2)
    return statistics.rows * (1.0 if kind is None else statistics.kinds[kind]) * share


def _current_statistics() -> _Statistics | None:
    """The index table's statistics, read at most once per ``PSA_SEARCH_STATISTICS_SECONDS`` (0: never, every
    single-word search asks the planner); ``None`` before the table's first ANALYZE."""
    seconds = settings.SEARCH_STATISTICS_SECONDS
    if seconds <= 0:
        return None
    now = time.monotonic()
    cached = _statistics.get(connection.alias)
    if cached is not None and now - cached[1] < seconds:
        return cached[0]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.reltuples, d.most_common_elems::text::text[], d.most_common_elem_freqs, "
            "k.most_common_vals::text::text[], k.most_common_freqs FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema() "
            "LEFT JOIN pg_stats d ON d.schemaname = n.nspname AND d.tablename = c.relname AND d.attname = 'document' "
            "LEFT JOIN pg_stats k ON k.schemaname = n.nspname AND k.tablename = c.relname AND k.attname = 'kind' "
            "WHERE c.relname = 'psa_searchentry'"
        )
        found = cursor.fetchone()
    statistics = None
    if found is not None and (found[0] or 0) > 0 and found[1] and found[2] and found[3]:
        rows, words, shares, kinds, kind_shares = found
        statistics = _Statistics(
            rows=float(rows),
            kinds=dict(zip(kinds, kind_shares, strict=True)),
            words=dict(zip(words, shares[: len(words)], strict=True)),
            fewest=float(shares[len(words)]),  # ts_typanalyze stores the least and greatest share after the words'
        )
    _statistics[connection.alias] = (statistics, now)
    return statistics


def _newest_first_postgresql(
    kind: str, match: str, match_values: list, where: str, params: list, limit: int, offset: int
) -> tuple[str, list]:
    """PostgreSQL: the newest matches, bounded whatever the terms' frequency (the planner's estimate is no guide).

    The first branch reads only the kind's newest ``PSA_SEARCH_RECENT_WINDOW`` entries, newest first, through the
    (kind, id) index, and stops at the page: a common word or phrase costs a few rows. Only when the window holds
    fewer matches than the page does the second branch run (``LIMIT`` stops before it otherwise): the older
    entries. ``kind = ANY`` keeps the kind a sort key (an equality would let the planner walk the primary key
    instead, past every newer entry of other kinds).

    The second branch's matches are found by bitmaps, the GIN index's for the terms and the (kind, id) index's for
    the kind, and-ed (a materialised CTE, read only when that branch runs, with no order or bound for the planner to
    walk an index for): the planner multiplies a word's frequency by the kind's share, so for a word common in
    tickets and absent from credentials it expected hundreds of credential matches and walked the primary key past
    all 278,000 entries, 1.1 s for one kind of a global search, where the bitmaps take 4-11 ms.
    """
    window = settings.SEARCH_RECENT_WINDOW
    wanted = offset + limit
    newest = (
        "SELECT * FROM (SELECT * FROM psa_searchentry WHERE kind = ANY(%s) ORDER BY kind DESC, id DESC LIMIT %s) e "
        f"WHERE {match} AND {where} ORDER BY e.id DESC LIMIT %s"
    )
    older = (
        "SELECT e.* FROM psa_searchentry e WHERE e.id = ANY(ARRAY(SELECT id FROM older_matches WHERE id < ("
        "SELECT id FROM psa_searchentry WHERE kind = ANY(%s) ORDER BY kind DESC, id DESC OFFSET %s LIMIT 1) "
        "ORDER BY id DESC LIMIT %s)) ORDER BY e.id DESC"
    )
    sql = (
        f"WITH older_matches AS MATERIALIZED (SELECT e.id FROM psa_searchentry e WHERE {match} AND {where}) "
        f"SELECT * FROM (({newest}) UNION ALL ({older})) found LIMIT %s OFFSET %s"
    )
    values = [
        *match_values, *params,
        [kind], window, *match_values, *params, wanted,
        [kind], window - 1, wanted,
        limit, offset,
    ]  # fmt: skip
    return sql, values


def find(
    request,
    searchable: Searchable,
    query: t.Query,
    *,
    page: int = 1,
    limit: int = 25,
    active_only: bool = False,
    within: QuerySet | None = None,
    snippets: bool = True,
    rare: bool | None = None,
) -> Page:
    """One page of ``searchable``'s objects matching ``query`` that the caller may see (``snippets=False``: hits
    without a snippet, for a caller that shows none; ``rare``: PostgreSQL's rare-word decision, made once for a
    search over several kinds)."""
    where, params = _filters(request, searchable, active_only, within)
    offset = (page - 1) * limit
    end = offset + limit  # the page is [offset, end) of identifier matches followed by word matches
    groups = visible_groups(request, searchable)
    identified: list[tuple[int, Any]] = []
    if query.identifier and _identifiers_visible(request, searchable):
        for entry in _identifier_matches(where, params, query.identifier, end + 1):
            identified.append((0 if f" {query.identifier} " in entry.identifiers else 1, entry))
    found = len(identified)
    chosen = identified[offset:end]
    if found <= end and query.has_words and groups:
        word_offset = max(0, offset - found)
        word_limit = end + 1 - (found + word_offset)
        skip = [entry.id for _, entry in identified]
        matched = _word_matches(searchable.kind, where, params, query, groups, skip, word_limit, word_offset, rare)
        chosen += [(2, entry) for entry in matched[: limit - len(chosen)]]
        found += word_offset + len(matched)
    hits = [_hit(request, searchable, query, tier, entry, groups, snippets) for tier, entry in chosen]
    hits.sort(key=lambda h: (h.tier, -h.score, -h.entry.id))
    return Page(searchable, hits, has_next=found > end)


def _identifiers_visible(request, searchable: Searchable) -> bool:
    model = searchable.gate_model or searchable.model
    return all(gating.value_visible(request, model, name) for name in searchable.identifier_gates)


def _hit(
    request, searchable: Searchable, query: t.Query, tier: int, entry, groups: tuple[str, ...], snippets: bool
) -> Hit:
    words = {g: getattr(entry, f"words_{g}").split() for g in groups}
    score = t.score(query, words, WEIGHTS, exact_identifier=tier == 0)
    shown = [
        entry.texts[f.name]
        for g in groups
        for f in searchable.fields
        if snippets and f.group == g and f.name in entry.texts and _field_visible(request, searchable, f)
    ]
    if "a" not in groups:  # the title is made of group a's fields (name, number): hidden with them
        entry.title = HIDDEN_TITLE
    return Hit(entry, tier, score, t.snippet(query, shown), searchable.url(entry.object_id, entry.client_id))


def search_all(
    request, query: t.Query, *, kinds: list[Searchable] | None = None, page: int = 1, limit: int | None = None
) -> list[Page]:
    limit = limit or settings.SEARCH_PER_GROUP
    searchables = kinds if kinds is not None else readable(request)
    rare = None  # decided per kind by find(), unless one estimate over every kind can decide for all of them
    if connection.vendor == "postgresql" and query.has_words and len(searchables) > 1:
        rare = _rare_on_postgresql(None, query, query.websearch(positive_only=True))
    return [find(request, s, query, page=page, limit=limit, rare=rare) for s in searchables]


def matching_ids(request, searchable: Searchable, query: t.Query) -> tuple[str, list]:
    """SQL selecting the ids of every object of ``searchable`` that ``query`` finds for the caller (a list filter)."""
    where, params = _filters(request, searchable, False, None)
    parts: list[str] = []
    values: list = []
    if query.identifier and _identifiers_visible(request, searchable):
        if connection.vendor == "postgresql":
            parts.append(f"SELECT e.object_id FROM psa_searchentry e WHERE e.identifiers LIKE %s AND {where}")
            values += [f"%{_like(query.identifier)}%", *params]
        else:
            parts.append(
                "SELECT e.object_id FROM psa_search_ids JOIN psa_searchentry e ON e.id = psa_search_ids.rowid "
                f"WHERE psa_search_ids MATCH %s AND {where}"
            )
            values += [f'"{query.identifier}"', *params]
    groups = visible_groups(request, searchable)
    if query.has_words and groups:
        if connection.vendor == "postgresql":
            match = "e.document @@ websearch_to_tsquery('simple', %s)"
            match_values: list = [query.websearch(positive_only=groups != GROUPS)]
            if groups != GROUPS:
                match += " AND ts_filter(e.document, %s::\"char\"[]) @@ websearch_to_tsquery('simple', %s)"
                match_values += [list(groups), query.websearch()]
            parts.append(f"SELECT e.object_id FROM psa_searchentry e WHERE {match} AND {where}")
        else:
            parts.append(
                "SELECT e.object_id FROM psa_search_fts JOIN psa_searchentry e ON e.id = psa_search_fts.rowid "
                f"WHERE psa_search_fts MATCH %s AND {where}"
            )
            match_values = [_fts5(searchable.kind, query, groups)]
        values += [*match_values, *params]
    if not parts:
        return "SELECT NULL WHERE 1 = 0", []
    return " UNION ".join(parts), values


def fetch_found(queryset: QuerySet) -> list:
    """The rows of a page of search hits (``queryset``: those objects by primary key, with their relations joined).

    On PostgreSQL joined in the order written (:func:`psa.db.joins_in_written_order`): planning the ten-table join
    took 3-13 ms, running it 0.3 ms.
    """
    if connection.vendor != "postgresql":
        return list(queryset)
    with connections[queryset.db].execute_wrapper(joins_in_written_order):
        return list(queryset)
