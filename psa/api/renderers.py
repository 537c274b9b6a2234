from rest_framework.renderers import JSONRenderer


class EnvelopeRenderer(JSONRenderer):
    """Wraps successful bodies as ``{"data": ...}`` unless the view already built the envelope."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None and not getattr(response, "enveloped", False) and response.status_code < 400:
            if data is None and response.status_code == 204:
                return b""
            data = {"data": data}
        return super().render(data, accepted_media_type, renderer_context)
