"""The ConnectWise mappers' value parsing, against what the standard library decides."""

from __future__ import annotations

import ipaddress

import pytest

from integrations.connectwise.mappers import _is_ipv4, asset_type


def _stdlib_ipv4(value: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(value), ipaddress.IPv4Address)
    except ValueError:
        return False


@pytest.mark.parametrize(
    "value",
    ["10.0.0.1", "0.0.0.0", "255.255.255.255", "256.0.0.1", "10.0.0", "10.0.0.1.5", "010.0.0.1", "10.0.0.01",
     "1.2.3.4\n", " 1.2.3.4", "1.2.3.4/32", "\u0661.2.3.4", "+1.2.3.4", "1..2.3", "", "::1", "::ffff:10.0.0.1", "a.b.c.d"],
)  # fmt: skip
def test_an_ipv4_address_is_what_ipaddress_accepts(value):
    assert _is_ipv4(value) == _stdlib_ipv4(value)


def test_configuration_types_map_by_the_first_keyword_of_the_table_they_contain_whatever_the_case():
    for _ in range(2):  # the second time from the cache
        assert asset_type("Managed Server") == asset_type("SERVER") == "server"
        assert asset_type("Virtual Server") == "server"  # "server" comes before "virtual" in the table
        assert asset_type("Virtual Machine") == "virtual_machine"
        assert asset_type("Coffee machine") == "other"
