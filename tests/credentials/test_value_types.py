"""Type definitions and field values: what is accepted, what is refused, and that errors never echo a value."""

import pytest

from credentials.value_types import (
    VALUE_TYPE_ORDER,
    DefinitionError,
    InvalidValue,
    clean_value,
    resolve,
    validate_definition,
    walk,
)
from tests.credentials.factories import VPN_FIELDS


def _errors(fields):
    with pytest.raises(DefinitionError) as caught:
        validate_definition(fields)
    return caught.value.errors


def test_seed_value_types_come_first_and_ours_follow():
    assert VALUE_TYPE_ORDER[:7] == [
        "plain_text", "license_key", "ip_address", "generic_secret", "bitlocker_key", "password", "multi_credential",
    ]  # fmt: skip
    assert set(VALUE_TYPE_ORDER[7:]) == {"username", "url", "email", "totp_secret"}


def test_a_valid_definition_is_normalised():
    fields = validate_definition(VPN_FIELDS)
    assert fields[0] == {
        "id": "hostname",
        "name": "Hostname",
        "required": True,
        "secure": False,
        "value_type": "plain_text",
    }
    assert fields[1]["secure"] is True  # passwords default to secure
    assert fields[2]["sub_fields"][2]["sub_fields"][1] == {
        "id": "secret", "name": "Secret", "required": False, "secure": True, "value_type": "generic_secret",
    }  # fmt: skip
    assert [path for path, _ in walk(fields)] == [
        "hostname", "admin_password", "tunnels", "tunnels.server", "tunnels.psk", "tunnels.hops",
        "tunnels.hops.address", "tunnels.hops.secret",
    ]  # fmt: skip
    assert [f["id"] for f in resolve(fields, "tunnels.hops")] == ["address", "secret"]
    assert resolve(fields, "hostname") is None


def test_field_ids_are_unique_among_siblings():
    errors = _errors(
        [{"id": "a", "name": "A", "value_type": "plain_text"}, {"id": "a", "name": "B", "value_type": "url"}]
    )
    assert errors[0] == {} and errors[1] == {"id": ["Duplicate field id 'a'."]}


def test_sub_fields_only_on_multi_credential():
    errors = _errors([{"id": "a", "name": "A", "value_type": "plain_text", "sub_fields": []}])
    assert "sub_fields" in errors[0]
    errors = _errors([{"id": "m", "name": "M", "value_type": "multi_credential"}])
    assert "sub_fields" in errors[0]


def test_unknown_value_types_keys_and_bad_ids_are_refused():
    errors = _errors(
        [
            {"id": "a", "name": "A", "value_type": "ssh_key"},
            {"id": "1bad", "name": "B", "value_type": "url"},
            {"id": "c", "name": "", "value_type": "url", "colour": "red"},
            "not an object",
        ]
    )
    assert "value_type" in errors[0] and "id" in errors[1] and {"name", "colour"} <= set(errors[2])
    assert errors[3] == {"non_field_errors": ["Each field must be an object."]}
    assert _errors([]) == ["A credential type needs at least one field."]
    assert _errors("x") == ["Expected a list of fields."]


def test_secret_types_are_always_secure_and_multi_never():
    assert "secure" in _errors([{"id": "p", "name": "P", "value_type": "password", "secure": False}])[0]
    assert "secure" in _errors([{"id": "t", "name": "T", "value_type": "totp_secret", "secure": False}])[0]
    errors = _errors(
        [
            {
                "id": "m",
                "name": "M",
                "value_type": "multi_credential",
                "secure": True,
                "sub_fields": [{"id": "x", "name": "X", "value_type": "url"}],
            }
        ]
    )
    assert "secure" in errors[0]
    assert validate_definition([{"id": "n", "name": "N", "value_type": "plain_text", "secure": True}])[0]["secure"]


def test_nesting_is_limited_and_errors_keep_their_path():
    deep = [
        {
            "id": "a",
            "name": "A",
            "value_type": "multi_credential",
            "sub_fields": [
                {
                    "id": "b",
                    "name": "B",
                    "value_type": "multi_credential",
                    "sub_fields": [
                        {
                            "id": "c",
                            "name": "C",
                            "value_type": "multi_credential",
                            "sub_fields": [{"id": "d", "name": "D", "value_type": "url"}],
                        }
                    ],
                }
            ],
        }
    ]
    errors = _errors(deep)
    assert "value_type" in errors[0]["sub_fields"][0]["sub_fields"][0]


@pytest.mark.parametrize(
    "value_type,value,expected",
    [
        ("ip_address", " 192.168.1.10 ", "192.168.1.10"),
        ("ip_address", "2001:DB8::1", "2001:db8::1"),
        ("url", "https://portal.example.com/x?y=1", "https://portal.example.com/x?y=1"),
        ("url", "rdp://10.0.0.5", "rdp://10.0.0.5"),
        ("email", "Admin@Example.com", "Admin@Example.com"),
        ("bitlocker_key", "000011-000022-000033-000044-000055-000066-000077-000088", None),
        ("bitlocker_key", "000011 000022 000033 000044 000055 000066 000077 000088".replace(" ", ""), None),
        ("totp_secret", "JBSW Y3DP EHPK 3PXP", "JBSW Y3DP EHPK 3PXP"),
        ("plain_text", "  trimmed  ", "trimmed"),
        ("plain_text", "", None),
        ("plain_text", None, None),
    ],
)
def test_values_that_are_accepted(value_type, value, expected):
    spec = validate_definition([{"id": "f", "name": "F", "value_type": value_type}])[0]
    cleaned = clean_value(spec, value)
    if value_type == "bitlocker_key":
        assert cleaned == "000011-000022-000033-000044-000055-000066-000077-000088"
    else:
        assert cleaned == expected


@pytest.mark.parametrize(
    "value_type,value",
    [
        ("ip_address", "999.1.1.1"),
        ("ip_address", "10.0.0.0/24"),
        ("url", "not a url"),
        ("url", "javascript:alert(1)"),
        ("email", "nobody@"),
        ("bitlocker_key", "123456-000022-000033-000044-000055-000066-000077-000088"),  # 123456 % 11 != 0
        ("bitlocker_key", "000011-000022"),
        ("bitlocker_key", "720896-000022-000033-000044-000055-000066-000077-000088"),  # 720896 / 11 > 65535
        ("totp_secret", "secret-with-1-and-8"),
        ("password", "nul\x00inside"),
        ("password", "x" * 10_001),
    ],
)
def test_values_that_are_refused_never_echo_the_value(value_type, value):
    spec = validate_definition([{"id": "f", "name": "F", "value_type": value_type}])[0]
    with pytest.raises(InvalidValue) as caught:
        clean_value(spec, value)
    assert value not in str(caught.value)


def test_non_string_values_and_multi_credential_values_are_refused():
    spec = validate_definition([{"id": "f", "name": "F", "value_type": "plain_text"}])[0]
    with pytest.raises(InvalidValue, match="string"):
        clean_value(spec, 5)
    multi = validate_definition(VPN_FIELDS)[2]
    with pytest.raises(InvalidValue, match="sub-credentials"):
        clean_value(multi, "x")


def test_secure_values_keep_their_spaces():
    spec = validate_definition([{"id": "p", "name": "P", "value_type": "password"}])[0]
    assert clean_value(spec, "  spaced  ") == "  spaced  "
    assert clean_value(spec, "   ") is None
