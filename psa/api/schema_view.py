from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import IsAuthenticated

from psa.api.query_params import refuse_unknown
from psa.api.renderers import EnvelopeRenderer


class SchemaView(SpectacularAPIView):
    """The OpenAPI document, for authenticated callers; its errors use the JSON envelope, not YAML."""

    permission_classes = [IsAuthenticated]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        refuse_unknown(list(request.query_params), frozenset({"format"}))

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        self.request.accepted_renderer = EnvelopeRenderer()
        self.request.accepted_media_type = EnvelopeRenderer.media_type
        return response
