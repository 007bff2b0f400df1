"""Checks a serving process makes before it starts (web, Celery worker, Celery beat)."""

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MESSAGE = "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off."


def require_secret_key() -> None:
    # Read the environment, not settings.SECRET_KEY: Django raises its own, vaguer error on that.
    if not settings.DEBUG and not os.environ.get("DJANGO_SECRET_KEY"):
        raise ImproperlyConfigured(MESSAGE)


def prepare_serving_process() -> None:
    """What a web or worker process does once at start, rather than in its first request or task:
    - loads the URLconf (and with it every view, form and serializer module);
    - builds the holiday calendar (claims.calendar.load: the first lookup imports every country
      module of the holidays package, otherwise paid in the middle
      of the first page or CSV export that shows a review deadline);
    - then moves everything alive into the garbage collector's permanent generation. The
      process keeps these objects for its whole life; left in the tracked generations, every
      full collection walks them all again (measured in docs/benchmarks.md). Later objects are
      collected as usual."""
    import gc

    from django.urls import get_resolver

    from claims import calendar

    get_resolver().url_patterns  # noqa: B018 (imports every view module)
    calendar.load()
    gc.collect()
    gc.freeze()
