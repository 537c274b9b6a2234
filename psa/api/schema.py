"""OpenAPI generation matching the envelope: single objects are documented inside ``{"data": ...}``."""

from drf_spectacular.openapi import AutoSchema

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"nullable": True},
            },
        }
    },
}


RATE_LIMIT_HEADERS = {
    "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds until the rate-limit window resets"},
    "RateLimit-Limit": {"schema": {"type": "integer"}, "description": "Requests allowed per window"},
    "RateLimit-Remaining": {"schema": {"type": "integer"}, "description": "Requests left in this window"},
    "RateLimit-Reset": {"schema": {"type": "integer"}, "description": "Seconds until the window resets"},
}


def _is_envelope(schema: dict) -> bool:
    ref = schema.get("$ref", "")
    properties = schema.get("properties", {})
    return "/Paginated" in ref or "pagination" in properties or "data" in properties


class EnvelopeAutoSchema(AutoSchema):
    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        if not str(status_code).startswith("2"):
            return response
        for media in response.get("content", {}).values():
            schema = media.get("schema")
            if schema is not None and not _is_envelope(schema):
                media["schema"] = {"type": "object", "required": ["data"], "properties": {"data": schema}}
        return response

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        error = {"content": {"application/json": {"schema": ERROR_SCHEMA}}}
        auth = getattr(self.view, "permission_classes", None)
        if not auth or any(getattr(p, "__name__", "") != "AllowAny" for p in auth):
            responses.setdefault("401", {**error, "description": "Missing or invalid credentials"})
            responses.setdefault("403", {**error, "description": "A permission node is missing"})
        if self.method in ("POST", "PUT", "PATCH") or self._is_list_view():
            responses.setdefault("400", {**error, "description": "Validation error; details name each field"})
        if "{" in self.path:
            responses.setdefault("404", {**error, "description": "Not found, or outside the caller's client scope"})
        if self.method in ("POST", "PUT", "PATCH"):
            responses.setdefault(
                "413", {**error, "description": "PAYLOAD_TOO_LARGE: the body is over PSA_MAX_REQUEST_BYTES"}
            )
        rate_limited = {**error, "description": "RATE_LIMITED: over PSA_API_RATE_LIMIT; see Retry-After"}
        responses.setdefault("429", {**rate_limited, "headers": RATE_LIMIT_HEADERS})
        return responses
