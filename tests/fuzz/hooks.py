"""schemathesis hooks for the fuzz run (loaded through ``SCHEMATHESIS_HOOKS`` by tests/fuzz/run_schemathesis.py).

``positive_data_acceptance`` takes any 400 to a schema-valid request as a lie of the schema. Some rules cannot be
written in a schema: a moniker must be unique, a reference must name an existing object of the same client, an
expiry must lie in the future. ``valid_data_accepted`` is that check with one difference: a 400 in our error
envelope is accepted when every field it names is

- a reference (a UUID, or a list of them, in the operation's documented body or query): whether the object exists
  and is in the same client depends on the data, not on the request's shape; or
- a field of a reviewed rule of the operation (``[[rule]]`` in exceptions.toml, each with its reason), and its
  message matches the rule's ``message`` regex when the rule has one.

A 400 about any other field (a wrong type, a bound or pattern the schema does not state) still fails.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path
from typing import NamedTuple

import schemathesis
from schemathesis.specs.openapi.checks import _openapi_positive_data_acceptance

EXCEPTIONS_FILE = Path(__file__).resolve().parent / "exceptions.toml"
SCHEMA_FILE = os.environ.get("PSA_FUZZ_SCHEMA", "")


class Rule(NamedTuple):  # not a dataclass: schemathesis loads this file as a module outside sys.modules
    """A reviewed business rule: the operations (a regex on ``METHOD /path``), the body or query fields its 400 may
    name and, optionally, a regex its messages match (a rule about one refusal, not about every refusal of a field)."""

    operation: re.Pattern
    fields: frozenset[str]
    message: re.Pattern | None = None

    def excuses(self, label: str, field: str, message: str) -> bool:
        if field not in self.fields or not self.operation.fullmatch(label):
            return False
        return self.message is None or self.message.search(message) is not None


def load_rules() -> list[Rule]:
    rules = tomllib.loads(EXCEPTIONS_FILE.read_text()).get("rule", [])
    return [
        Rule(re.compile(e["operation"]), frozenset(e["fields"]), re.compile(e["message"]) if "message" in e else None)
        for e in rules
    ]


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
    """The fields a 400 of the operation may name: its references and its rules' fields (whatever the message)."""
    allowed = set(REFERENCES.get(label, ()))
    for rule in RULES:
        if rule.operation.fullmatch(label):
            allowed |= rule.fields
    return frozenset(allowed)


def excused(label: str, refusals: list[tuple[str, str]]) -> bool:
    """Whether every (field, message) of a 400 is a reference of the operation or excused by one of its rules."""
    references = REFERENCES.get(label, frozenset())
    return bool(refusals) and all(
        field in references or any(rule.excuses(label, field, message) for rule in RULES) for field, message in refusals
    )


def refusals(body: bytes) -> list[tuple[str, str]] | None:
    """(top-level field, message) of each detail of a 400 in our envelope, or None if it is not our envelope or
    names nothing. An error about the body as a whole (path []) is named "__all__", as Django names it."""
    try:
        error = json.loads(body)["error"]
        found = [(str(d["path"][0]) if d["path"] else "__all__", str(d.get("message", ""))) for d in error["details"]]
    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None
    if error.get("code") != "VALIDATION_ERROR" or not found:
        return None
    return found


def refused_fields(body: bytes) -> set[str] | None:
    """The top-level fields a 400 in our envelope names, or None if the body is not our envelope or names none."""
    found = refusals(body)
    return None if found is None else {field for field, _message in found}


@schemathesis.check
def valid_data_accepted(ctx, response, case) -> bool | None:
    try:
        return _openapi_positive_data_acceptance(ctx, response, case)
    except AssertionError:
        if response.status_code == 400:
            found = refusals(response.content)
            if found is not None and excused(case.operation.label, found):
                return None
        raise
