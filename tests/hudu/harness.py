"""The Hudu part of the route harness: the status route reads the MSP's Hudu source (no client scope applies)."""

from tests.hudu.conftest import make_hudu_source

CLOSED_PORT_URL = "http://127.0.0.1:9"


def build(world) -> None:
    make_hudu_source(CLOSED_PORT_URL, name="Harness Hudu")
