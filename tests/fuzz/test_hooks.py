"""The fuzz run's own check (tests/fuzz/hooks.py): which 400s to schema-valid requests it lets pass."""

from __future__ import annotations

import json

from tests.fuzz import hooks

DOCUMENT = {
    "paths": {
        "/api/v1/assets": {
            "post": {
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}},
                "parameters": [{"name": "client_id", "in": "query", "schema": {"type": "string", "format": "uuid"}}],
            }
        }
    },
    "components": {
        "schemas": {
            "A": {
                "properties": {
                    "name": {"type": "string"},
                    "location_id": {"anyOf": [{"type": "string", "format": "uuid"}, {"maxLength": 0}]},
                    "contact_ids": {"type": "array", "items": {"type": "string", "format": "uuid"}},
                }
            }
        }
    },
}


def envelope(*paths: list) -> bytes:
    details = [{"path": path, "message": "no"} for path in paths]
    return json.dumps({"error": {"code": "VALIDATION_ERROR", "message": "no", "details": details}}).encode()


def test_references_are_read_from_the_body_and_the_query(tmp_path):
    schema = tmp_path / "openapi.json"
    schema.write_text(json.dumps(DOCUMENT))

    references = hooks.load_references(str(schema))

    assert references["POST /api/v1/assets"] == {"location_id", "contact_ids", "client_id"}


def test_the_fields_a_400_names_are_its_top_level_paths():
    assert hooks.refused_fields(envelope(["location_id"], ["contact_ids", 0])) == {"location_id", "contact_ids"}
    assert hooks.refused_fields(envelope([])) == {"__all__"}


def test_anything_but_our_validation_envelope_names_nothing():
    assert hooks.refused_fields(b"<html>Bad Request</html>") is None
    assert hooks.refused_fields(json.dumps({"error": {"code": "CONFLICT", "details": None}}).encode()) is None
    assert hooks.refused_fields(json.dumps({"error": {"code": "VALIDATION_ERROR", "details": []}}).encode()) is None


def test_rules_excuse_only_their_own_fields():
    assert hooks.RULES, "exceptions.toml has no [[rule]] entries"
    allowed = hooks.allowed_fields("POST /api/v1/boards")
    assert "board_name" in allowed  # unique names
    assert "title" not in hooks.allowed_fields("POST /api/v1/tickets")  # a plain field is never excused


def test_a_rule_with_a_message_excuses_only_the_refusal_it_names():
    synced = "Synced from ConnectWise Manage: change it there (this field is read-only here)."

    assert hooks.excused("PATCH /api/v1/clients/{id}", [("phone", synced)])
    assert not hooks.excused("PATCH /api/v1/clients/{id}", [("phone", "Enter a valid phone number.")])
    assert not hooks.excused("POST /api/v1/clients", [("phone", synced)])  # the rule is about changes only


def test_a_400_is_excused_only_when_every_refusal_is():
    synced = "Synced from Hudu: change it there (this field is read-only here)."

    assert not hooks.excused("PATCH /api/v1/clients/{id}", [("phone", synced), ("notes", "Too long.")])
    assert not hooks.excused("PATCH /api/v1/clients/{id}", [])


def test_refusals_pair_each_field_with_its_message():
    assert hooks.refusals(envelope(["q"])) == [("q", "no")]
