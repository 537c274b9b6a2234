"""The API's JSON renderer: orjson for speed, with DRF's encoder for every type orjson does not know natively."""

from __future__ import annotations

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

# Datetimes go through DRF's encoder too, so a UTC time still ends in "Z" exactly as before.
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
_drf_default = JSONEncoder().default


def _default(value):
    return _drf_default(value)


class EnvelopeRenderer(JSONRenderer):
    """Wraps successful bodies as ``{"data": ...}`` unless the view already built the envelope."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None and not getattr(response, "enveloped", False) and response.status_code < 400:
            if data is None and response.status_code == 204:
                return b""
            data = {"data": data}
        if data is None:
            return b""
        if self.get_indent(accepted_media_type or "", renderer_context or {}) is None:
            try:
                return orjson.dumps(data, default=_default, option=_OPTIONS)
            except TypeError:
                pass  # e.g. an integer beyond 64 bits: the standard encoder below handles it as before
        return super().render(data, accepted_media_type, renderer_context)
