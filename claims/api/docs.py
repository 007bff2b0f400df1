"""Swagger UI without inline script or style (the page's Content-Security-Policy forbids
them): drf-spectacular's split view serves the init script as its own request, and our
template (templates/drf_spectacular/swagger_ui.html) links the page's CSS. Any refusal,
e.g. OPTIONS or POST, is the API's JSON envelope instead of a template render."""

from __future__ import annotations

from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.renderers import JSONRenderer


class DocsView(SpectacularSwaggerSplitView):
    http_method_names = ["get", "head"]

    def handle_exception(self, exc):
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)
