"""ConnectWise ``conditions``: building them safely (the client) and evaluating them (the simulator).

Grammar (the subset ConnectWise documents): ``field op value`` joined by ``and``/``or`` with parentheses; fields
are paths with ``/`` (``company/id``); operators ``= != < <= > >= contains like in``, ``not in``; values are
``"strings"`` (``\\"`` and ``\\\\`` escaped), numbers, ``true``/``false``/``null``, ``[2024-01-01T00:00:00Z]`` and
``(1, 2, 3)`` lists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

CW_TIME = "%Y-%m-%dT%H:%M:%SZ"


# --- building -----------------------------------------------------------------------------------------------------


def quote(value: Any) -> str:
    """A literal for ``value``: strings quoted with ``"`` and ``\\`` escaped, datetimes in brackets."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return f"[{format_time(value)}]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def format_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime(CW_TIME)


def parse_time(value: str) -> datetime:
    return datetime.strptime(value, CW_TIME).replace(tzinfo=UTC)


_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*$")
_OPS = {"=", "!=", "<", "<=", ">", ">=", "contains", "like"}


def condition(field: str, op: str, value: Any) -> str:
    if not _FIELD.match(field) or op not in _OPS:
        raise ValueError(f"bad condition {field!r} {op!r}")
    return f"{field}{op}{quote(value)}" if op not in ("contains", "like") else f"{field} {op} {quote(value)}"


def in_list(field: str, values: Iterable[Any]) -> str:
    if not _FIELD.match(field):
        raise ValueError(f"bad field {field!r}")
    return f"{field} in ({','.join(quote(v) for v in values)})"


def all_of(*parts: str | None) -> str:
    kept = [p for p in parts if p]
    return " and ".join(f"({p})" if " or " in p.lower() else p for p in kept)


# --- parsing and evaluating ---------------------------------------------------------------------------------------


class ConditionError(ValueError):
    pass


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<datetime>\[[^\]]*\])
      | (?P<number>-?\d+(?:\.\d+)?(?![A-Za-z_]))
      | (?P<op>!=|<=|>=|=|<|>)
      | (?P<paren>[(),])
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*)
    )""",
    re.VERBOSE,
)


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise ConditionError(f"cannot parse conditions at character {pos}: {text[pos : pos + 20]!r}")
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


Predicate = Callable[[dict], bool]


class _Parser:
    def __init__(self, text: str, known: Callable[[str], bool]) -> None:
        self.tokens = _tokens(text)
        self.pos = 0
        self.known = known

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise ConditionError("conditions end too early")
        self.pos += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token and token[0] == "word" and token[1].lower() == word:
            self.pos += 1
            return True
        return False

    def parse(self) -> Predicate:
        predicate = self.expr()
        if self.peek() is not None:
            raise ConditionError(f"unexpected {self.peek()[1]!r}")
        return predicate

    def expr(self) -> Predicate:
        parts = [self.term()]
        while self.keyword("or"):
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else (lambda row, ps=tuple(parts): any(p(row) for p in ps))

    def term(self) -> Predicate:
        parts = [self.factor()]
        while self.keyword("and"):
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else (lambda row, ps=tuple(parts): all(p(row) for p in ps))

    def factor(self) -> Predicate:
        token = self.peek()
        if token == ("paren", "("):
            self.take()
            inner = self.expr()
            if self.take() != ("paren", ")"):
                raise ConditionError("missing ')'")
            return inner
        return self.comparison()

    def comparison(self) -> Predicate:
        kind, field = self.take()
        if kind != "word":
            raise ConditionError(f"expected a field name, got {field!r}")
        if not self.known(field):
            raise ConditionError(f"unknown field {field!r}")
        negate = self.keyword("not")
        if self.keyword("in"):
            values = self.value_list()
            return lambda row: (_get(row, field) in values) != negate
        if negate:
            raise ConditionError("'not' must be followed by 'in'")
        if self.keyword("contains"):
            op = "contains"
        elif self.keyword("like"):
            op = "like"
        else:
            kind, op = self.take()
            if kind != "op":
                raise ConditionError(f"expected an operator after {field!r}")
        value = self.value()
        return _compare(field, op, value)

    def value_list(self) -> list[Any]:
        if self.take() != ("paren", "("):
            raise ConditionError("'in' needs a (list)")
        values = [self.value()]
        while self.peek() == ("paren", ","):
            self.take()
            values.append(self.value())
        if self.take() != ("paren", ")"):
            raise ConditionError("missing ')' after the list")
        return values

    def value(self) -> Any:
        kind, text = self.take()
        if kind == "string":
            return re.sub(r"\\(.)", r"\1", text[1:-1])
        if kind == "number":
            return float(text) if "." in text else int(text)
        if kind == "datetime":
            try:
                return parse_time(text[1:-1])
            except ValueError:
                raise ConditionError(f"bad datetime {text}; use [YYYY-MM-DDTHH:MM:SSZ]") from None
        if kind == "word" and text.lower() in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[text.lower()]
        raise ConditionError(f"expected a value, got {text!r}")


def _get(row: dict, path: str) -> Any:
    if path == "lastUpdated":
        path = "_info/lastUpdated"
    value: Any = row
    for part in path.split("/"):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, str) and path.endswith("lastUpdated"):
        return parse_time(value)
    return value


def _compare(field: str, op: str, value: Any) -> Predicate:
    def check(row: dict) -> bool:
        actual = _get(row, field)
        if op == "=":
            return actual == value
        if op == "!=":
            return actual != value
        if op in ("contains", "like"):
            if not isinstance(actual, str) or not isinstance(value, str):
                return False
            if op == "contains":
                return value.lower() in actual.lower()
            pattern = "^" + ".*".join(re.escape(p) for p in re.split(r"[%*]", value.lower())) + "$"
            return re.match(pattern, actual.lower()) is not None
        if actual is None or value is None:
            return False
        try:
            return {"<": actual < value, "<=": actual <= value, ">": actual > value, ">=": actual >= value}[op]
        except TypeError:
            return False

    return check


def compile_conditions(text: str, known: Callable[[str], bool]) -> Predicate:
    """A predicate over records; raises :class:`ConditionError` for bad syntax or an unknown field."""
    return _Parser(text, known).parse()
