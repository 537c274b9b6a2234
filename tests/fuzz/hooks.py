"""schemathesis hooks for the fuzz run (loaded through ``SCHEMATHESIS_HOOKS`` by tests/fuzz/run_schemathesis.py).

``positive_data_acceptance`` takes any 400 to a schema-valid request as a lie of the schema. Some rules cannot be
written in a schema: a moniker must be unique, a reference must name an existing object of the same client, an
expiry must lie in the future. ``valid_data_accepted`` is that check with one difference: a 400 in our error
envelope is accepted when every field it names is

- a reference (a UUID, or a list of them, in the operation's documented body or query): whether the object exists
  and is in the same client depends on the data, not on the request's shape; or
- a field of a reviewed rule of the operation (``[[rule]]`` in exceptions.toml, each with its reason).

A 400 about any other field (a wrong type, a bound or pattern the schema does not state) still fails.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path

import schemathesis
from schemathesis.specs.openapi.checks import _openapi_positive_data_acceptance

EXCEPTIONS_FILE = Path(__file__).resolve().parent / "exceptions.toml"
SCHEMA_FILE = os.environ.get("PSA_FUZZ_SCHEMA", "")


def load_rules() -> list[tuple[re.Pattern, frozenset[str]]]:
    """(a regex on ``METHOD /path``, the body or query fields the reviewed business rule may name), per rule."""
    rules = tomllib.loads(EXCEPTIONS_FILE.read_text()).get("rule", [])
    return [(re.compile(entry["operation"]), frozenset(entry["fields"])) for entry in rules]


def _resolve(schema: dict, document: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _is_reference(schema: dict, document: dict) -> bool:
    schema = _resolve(schema, document)
    if schema.get("type") == "array":
        return _is_reference(schema.get("items", {}), document)
    if schema.get("format") == "uuid":
        return True
    return any(_is_reference(option, document) for option in schema.get("anyOf", []) + schema.get("oneOf", []))


def load_references(path: str) -> dict[str, frozenset[str]]:
    """Operation label -> the top-level body properties and query parameters that hold UUID references."""
    if not path:
        return {}
    document = json.loads(Path(path).read_text())
    references: dict[str, frozenset[str]] = {}
    for route, operations in document["paths"].items():
        for method, operation in operations.items():
            names = {
                p["name"]
                for p in operation.get("parameters", [])
                if p.get("in") == "query" and _is_reference(p.get("schema", {}), document)
            }
            for media in operation.get("requestBody", {}).get("content", {}).values():
                properties = _resolve(media.get("schema", {}), document).get("properties", {})
                names.update(name for name, prop in properties.items() if _is_reference(prop, document))
            references[f"{method.upper()} {route}"] = frozenset(names)
    return references


RULES = load_rules()
REFERENCES = load_references(SCHEMA_FILE)


def allowed_fields(label: str) -> frozenset[str]:
    allowed = set(REFERENCES.get(label, ()))
    for pattern, fields in RULES:
        if pattern.fullmatch(label):
            allowed |= fields
    return frozenset(allowed)


def refused_fields(body: bytes) -> set[str] | None:
    """The top-level fields a 400 in our envelope names, or None if the body is not our envelope or names none."""
    try:
        error = json.loads(body)["error"]
        details = error["details"]
        # An error about the body as a whole (path []) is named "__all__", as Django names it.
        fields = {str(item["path"][0]) if item["path"] else "__all__" for item in details}
    except (ValueError, KeyError, TypeError, IndexError):
        return None
    if error.get("code") != "VALIDATION_ERROR" or not fields:
        return None
    return fields


@schemathesis.check
def valid_data_accepted(ctx, response, case) -> bool | None:
    try:
        return _openapi_positive_data_acceptance(ctx, response, case)
    except AssertionError:
        allowed = allowed_fields(case.operation.label)
        if allowed and response.status_code == 400:
            fields = refused_fields(response.content)
            if fields is not None and fields <= allowed:
                return None
        raise
