"""The API's JSON parser: strict JSON, bounded nesting, clear errors for bytes that are not UTF-8.

orjson parses; anything it refuses goes to the standard parser, so errors read exactly as they always did.
"""

from __future__ import annotations

import re
from itertools import accumulate

import orjson
from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils import json

from psa.utils import has_long_number

# A JSON string literal (escapes included); removed before counting brackets so that "[[[" inside text is not nesting.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def nesting_depth(text: str) -> int:
    """The deepest bracket nesting of a JSON text, found without recursion (so any depth is measured safely)."""
    brackets = _BRACKETS.findall(_STRING.sub('""', text))
    return max(accumulate(_DEPTH_STEP[b] for b in brackets), default=0)


def loads_bounded(text: str):
    """``json.loads`` for text from a client (query values, form fields): too deep is a ``ValueError`` as well."""
    if nesting_depth(text) > settings.MAX_JSON_DEPTH:
        raise ValueError(f"JSON is nested deeper than {settings.MAX_JSON_DEPTH} levels.")
    return json.loads(text)


class BoundedJSONParser(JSONParser):
    """``JSONParser`` that refuses bodies nested deeper than ``settings.MAX_JSON_DEPTH`` with a 400.

    Python's own parser would raise RecursionError (a 500) on a body about 1,000 levels deep; the depth is checked
    first, on the raw text.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise ParseError(f"The body is not valid {encoding} text.") from None
        limit = settings.MAX_JSON_DEPTH
        if nesting_depth(text) > limit:
            raise ParseError(f"JSON is nested deeper than {limit} levels.")
        if not has_long_number(text):  # orjson reads integers beyond 64 bits as floats; the standard parser does not
            try:
                return orjson.loads(text)
            except orjson.JSONDecodeError:
                pass  # not strict RFC 8259 JSON: the standard parser answers (its error or result) exactly as before
        parse_constant = json.strict_constant if self.strict else None
        try:
            return json.loads(text, parse_constant=parse_constant)
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"JSON parse error - {exc}"[:300]) from None
