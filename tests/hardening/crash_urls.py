"""The real URLs plus one API view that crashes, to see what a 500 looks like."""

from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny

from cpor.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


@api_view(["GET"])
@permission_classes([AllowAny])
def boom(request):
    raise RuntimeError("a bug")


def page_boom(request):
    raise RuntimeError("a bug in a page")


urlpatterns = [path("api/v1/boom/", boom), path("boom/", page_boom), *urlpatterns]
