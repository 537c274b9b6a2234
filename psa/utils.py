import json
import uuid
from typing import Any

import orjson

# orjson reads an integer beyond 64 bits as a float (silently losing digits); the standard parser keeps it exact.
# 19 digits is the longest run every 64-bit integer fits in, so a longer run goes to the standard parser. The run is
# found by mapping every ASCII digit to "0" (and anything else to a space) and searching for 19 zeros: both are
# single passes in C, about 15 times cheaper than the regular expression ``\d{19}``, which cost twice orjson's own
# parse of a vendor's page. JSON numbers are ASCII digits only, so other scripts' digits need no check.
_DIGITS_AS_ZERO = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x20 for byte in range(256))
_LONG_RUN = b"0" * 19


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def has_long_number(text: str | bytes) -> bool:
    """Whether ``text`` holds a run of digits orjson might read inexactly (a long string of digits counts too)."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    return _LONG_RUN in data.translate(_DIGITS_AS_ZERO)


def loads_json(data: str | bytes) -> Any:
    """Strict JSON, read by orjson (several times faster) unless a long number needs the standard parser's exact
    integers. Raises ValueError on anything that is not strict JSON."""
    if has_long_number(data):
        return json.loads(data, parse_constant=_refuse_constant)
    return orjson.loads(data)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")
