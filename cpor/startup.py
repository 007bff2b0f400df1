"""Checks a serving process makes before it starts (web, Celery worker, Celery beat)."""

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MESSAGE = "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off."


def require_secret_key() -> None:
    # Read the environment, not settings.SECRET_KEY: Django raises its own, vaguer error on that.
    if not settings.DEBUG and not os.environ.get("DJANGO_SECRET_KEY"):
        raise ImproperlyConfigured(MESSAGE)


def freeze_startup_objects() -> None:
    """Loads the URLconf (and with it every view, form and serializer module), then moves
    everything alive into the garbage collector's permanent generation. A serving process
    keeps these objects for its whole life; left in the tracked generations, every full
    collection walks them all again (measured: rendering an email took 0.32 ms with them,
    0.18 ms without; an API list page about 0.5-0.9 ms less). Objects created later are
    collected as usual."""
    import gc

    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports every view module)
    gc.collect()
    gc.freeze()
