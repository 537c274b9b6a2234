import json
import re
import uuid
from typing import Any

import orjson

# orjson reads an integer beyond 64 bits as a float (silently losing digits); the standard parser keeps it exact.
# 19 digits is the longest run every 64-bit integer fits in, so a longer run goes to the standard parser.
_LONG_NUMBER = re.compile(r"\d{19}")
_LONG_NUMBER_BYTES = re.compile(rb"\d{19}")


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def has_long_number(text: str | bytes) -> bool:
    """Whether ``text`` holds a run of digits orjson might read inexactly (a long string of digits counts too)."""
    pattern = _LONG_NUMBER_BYTES if isinstance(text, bytes) else _LONG_NUMBER
    return pattern.search(text) is not None


def loads_json(data: str | bytes) -> Any:
    """Strict JSON, read by orjson (several times faster) unless a long number needs the standard parser's exact
    integers. Raises ValueError on anything that is not strict JSON."""
    if has_long_number(data):
        return json.loads(data, parse_constant=_refuse_constant)
    return orjson.loads(data)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")
