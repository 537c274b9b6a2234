"""Tokenisation, the query language and snippets: the same rules whatever the database.

Text is folded (NFKC, case-folded, accents stripped) and split into words of letters and digits; everything else
separates words. Both engines index exactly these words (PostgreSQL receives a ``tsvector`` built here, SQLite's FTS5
receives the words separated by spaces), so what matches is decided here and not by a database's parser.

Queries follow ``websearch_to_tsquery``: words must all match, ``"a quoted phrase"`` matches words in a row,
``or`` between two terms matches either, and ``-word`` excludes. A typed word that folds into several words
(``wi-fi``, ``10.0.0.5``) is a phrase of them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.html import escape

# Longer words are dropped (PostgreSQL refuses lexemes over 2 KiB; nobody searches for a 100-letter word).
MAX_WORD = 100
# PostgreSQL keeps 256 positions per lexeme and no position past 16,383: the index stops there on both engines.
MAX_POSITIONS_PER_WORD = 256
MAX_POSITION = 16_383
# The filler FTS5 indexes between fields (so a phrase never spans two) and in place of words past the caps above.
# A query can never contain it: query words are letters and digits only.
FILLER = "_"
MAX_QUERY_TERMS = 16

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_QUERY_TOKEN = re.compile(r'"[^"]*"?|\S+')


def fold(text: str) -> str:
    if text.isascii():
        return text.lower()  # what the rest does to ASCII, 20 times faster
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The indexed words of ``text``, in order."""
    folded = fold(text)
    found = _WORD.findall(folded)
    if len(folded) <= MAX_WORD:  # no word can be too long (most texts: a name, a serial)
        return found
    return [w for w in found if len(w) <= MAX_WORD]


# --- queries ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One word, or a phrase of words in a row."""

    words: tuple[str, ...]

    def websearch(self) -> str:
        # Always quoted: a lone "or" would otherwise be read as the operator.
        return '"' + " ".join(self.words) + '"'

    def fts5(self) -> str:
        return '"' + " ".join(self.words) + '"'


@dataclass(frozen=True)
class Query:
    """All of ``clauses`` (each: any of its terms), none of ``excluded``; ``raw`` as typed (stripped)."""

    raw: str
    clauses: tuple[tuple[Term, ...], ...] = ()
    excluded: tuple[Term, ...] = ()
    identifier: str | None = None  # the query read as one identifier (ticket number, serial, MAC, IP), if it is one
    highlight: frozenset[str] = field(default_factory=frozenset)

    @property
    def has_words(self) -> bool:
        return bool(self.clauses)

    def websearch(self, *, positive_only: bool = False) -> str:
        """The query in ``websearch_to_tsquery`` syntax, rebuilt from folded words (nothing typed reaches it)."""
        parts = [" or ".join(t.websearch() for t in clause) for clause in self.clauses]
        if not positive_only:
            parts += ["-" + t.websearch() for t in self.excluded]
        return " ".join(parts)

    def fts5(self, columns: tuple[str, ...]) -> str:
        """The query as an FTS5 MATCH expression over ``columns``, with the same meaning as :meth:`websearch`."""
        ands = " AND ".join("(" + " OR ".join(t.fts5() for t in clause) + ")" for clause in self.clauses)
        expression = f"({ands})"
        if self.excluded:
            expression += " NOT (" + " OR ".join(t.fts5() for t in self.excluded) + ")"
        return "{" + " ".join(columns) + "} : (" + expression + ")"

    def matches(self, document: list[list[str]]) -> bool:
        """Whether a document (its fields' word lists) matches: the reference the engines are tested against."""
        return all(any(_contains(document, t) for t in clause) for clause in self.clauses) and not any(
            _contains(document, t) for t in self.excluded
        )


def _contains(fields: list[list[str]], term: Term) -> bool:
    size = len(term.words)
    return any(
        tuple(field_words[i : i + size]) == term.words for field_words in fields for i in range(len(field_words))
    )


def parse(raw: str) -> Query:
    """Read a typed query; unbalanced quotes close at the end, as ``websearch_to_tsquery`` reads them."""
    raw = " ".join(raw.split())
    clauses: list[list[Term]] = []
    excluded: list[Term] = []
    pending_or = False
    for token in _QUERY_TOKEN.findall(raw):
        negated = token.startswith("-") and len(token) > 1
        body = token[1:] if negated else token
        if body.lower() == "or" and not negated and not body.startswith('"'):
            pending_or = bool(clauses)
            continue
        found = words(body.strip('"'))
        if not found:
            continue
        term = Term(tuple(found))
        if negated:
            excluded.append(term)
        elif pending_or:
            clauses[-1].append(term)
        else:
            clauses.append([term])
        pending_or = False
        if len(clauses) + len(excluded) >= MAX_QUERY_TERMS:
            break
    highlight = frozenset(w for clause in clauses for t in clause for w in t.words)
    return Query(
        raw=raw,
        clauses=tuple(tuple(c) for c in clauses),
        excluded=tuple(excluded),
        identifier=identifier_of(raw),
        highlight=highlight,
    )


# --- identifiers ---------------------------------------------------------------------------------------------

_IDENTIFIER = re.compile(r"^[0-9a-z][0-9a-z.:_/-]*$")
_MAC = re.compile(r"^(?:[0-9a-f]{2}[:-]){5}[0-9a-f]{2}$|^(?:[0-9a-f]{4}\.){2}[0-9a-f]{4}$|^[0-9a-f]{12}$")
_MAC_PART = re.compile(r"^[0-9a-f]{2}(?:[:-][0-9a-f]{2})+$|^[0-9a-f]{4}(?:\.[0-9a-f]{1,4})+$")
MIN_IDENTIFIER = 3


_NOT_HEX = re.compile(r"[^0-9a-f]")


def normalize_identifier(value: str) -> str:
    """How an identifier is stored: lower case, and a MAC address as 12 hex digits (any notation reads the same)."""
    value = value.strip().lower()
    if _MAC.match(value):
        return _NOT_HEX.sub("", value)
    return value


def identifier_of(raw: str) -> str | None:
    """``raw`` read as (part of) an identifier: (part of) a MAC address, or one token with a digit; at least 3
    characters; else None."""
    value = raw.strip().lower()
    if _MAC.match(value) or _MAC_PART.match(value):
        value = re.sub(r"[^0-9a-f]", "", value)
    elif " " in value or not _IDENTIFIER.match(value) or not any(c.isdigit() for c in value):
        return None
    return value if len(value) >= MIN_IDENTIFIER else None


def identifiers_column(values: list[str]) -> str:
    """The stored identifiers: each surrounded by spaces, so `` x `` finds exactly ``x``."""
    kept = sorted({normalize_identifier(v) for v in values if v and not v.isspace()})
    return " " + " ".join(v for v in kept if " " not in v) + " " if kept else ""


# --- ranking and snippets (on the returned page only) ---------------------------------------------------------


def score(query: Query, groups: dict[str, list[str]], weights: dict[str, float], exact_identifier: bool) -> float:
    """Each matching term scores the weight of the best group it occurs in; an exact identifier scores 10."""
    total = 10.0 if exact_identifier else 0.0
    for clause in query.clauses:
        total += max(
            (weights[g] for g, group_words in groups.items() if any(_contains([group_words], t) for t in clause)),
            default=0.0,
        )
    return round(total, 4)


SNIPPET_WORDS = 30


def snippet(query: Query, texts: list[str]) -> str:
    """HTML: about 24 words around the first matching word of ``texts``, matches in ``<mark>``; else the start."""
    if not texts:
        return ""
    wanted = query.highlight
    for text in texts:
        position = _first_match(text, wanted)
        if position is not None:
            return _window(text, position, wanted)
    return _window(texts[0], 0, wanted)


def _first_match(text: str, wanted: frozenset[str]) -> int | None:
    """Where the first word of ``text`` that ``wanted`` holds starts, or None."""
    if not wanted:
        return None
    if text.isascii():  # folding keeps every position: one regular expression over the whole text
        pattern = (
            r"(?<![^\W_])(?:" + "|".join(re.escape(w) for w in sorted(wanted, key=len, reverse=True)) + r")(?![^\W_])"
        )
        found = re.search(pattern, text.lower())
        return found.start() if found else None
    for match in _WORD.finditer(text):
        if wanted & set(words(match.group())):
            return match.start()
    return None


SNIPPET_BEFORE, SNIPPET_AFTER = 60, 160  # characters around the match


def _window(text: str, position: int, wanted: frozenset[str]) -> str:
    start, end = max(0, position - SNIPPET_BEFORE), position + SNIPPET_AFTER
    tokens = text[start:end].split()
    if start and tokens and not text[start - 1].isspace():
        tokens = tokens[1:]  # a word cut at the window's start
    if end < len(text) and tokens and not text[end].isspace():
        tokens = tokens[:-1]
    shown = " ".join(_marked(token, wanted) for token in tokens[:SNIPPET_WORDS])
    return ("… " if start else "") + shown + (" …" if end < len(text) else "")


def _marked(token: str, wanted: frozenset[str]) -> str:
    """``token`` escaped, with each of its words that ``wanted`` holds in ``<mark>``."""
    parts, last = [], 0
    for match in _WORD.finditer(token):
        parts.append(escape(token[last : match.start()]))
        word = match.group()
        parts.append(f"<mark>{escape(word)}</mark>" if wanted & set(words(word)) else escape(word))
        last = match.end()
    parts.append(escape(token[last:]))
    return "".join(parts)
