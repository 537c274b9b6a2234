"""orjson renders and parses the API's JSON byte for byte as DRF's encoder and the standard parser did."""

from __future__ import annotations

import datetime
import decimal
import uuid

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict

from psa.api.parsers import BoundedJSONParser
from psa.api.renderers import EnvelopeRenderer

PAYLOAD = {
    "error": {
        "code": "VALIDATION_ERROR",
        "message": gettext_lazy("This field is required."),
        "details": [{"path": ["title"], "message": "Ünïcode \u2013 \u201cquotes\u201d 👍"}],
    },
    "when": datetime.datetime(2025, 1, 31, 9, 30, 15, 123456, tzinfo=datetime.UTC),
    "day": datetime.date(2025, 1, 31),
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "amount": decimal.Decimal("12.50"),
    "nested": ReturnDict({"a": (1, 2), "b": None, "c": 1.5, "d": True}, serializer=None),
    "big": 2**70,
}


def test_the_bytes_match_drfs_encoder():
    assert EnvelopeRenderer().render(PAYLOAD) == JSONRenderer().render(PAYLOAD)


def test_ids_as_keys_render_as_text():
    key = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert EnvelopeRenderer().render({key: 1}) == b'{"12345678-1234-5678-1234-567812345678":1}'


class _Stream:
    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    def read(self) -> bytes:
        return self.raw


def test_the_parser_reads_what_the_standard_parser_read():
    raw = '{"a": [1, 2.5, "ü"], "b": {"c": null}, "d": 123456789012345678901234567890}'.encode()
    assert BoundedJSONParser().parse(_Stream(raw)) == {
        "a": [1, 2.5, "ü"],
        "b": {"c": None},
        "d": 123456789012345678901234567890,
    }


@pytest.mark.parametrize("raw", [b'{"a": NaN}', b'{"a": 1', b"\xff"])
def test_bad_json_is_the_same_parse_error(raw):
    from rest_framework.exceptions import ParseError

    with pytest.raises(ParseError):
        BoundedJSONParser().parse(_Stream(raw))
