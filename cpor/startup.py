"""Checks a serving process makes before it starts (web, Celery worker, Celery beat)."""

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MESSAGE = "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off."


def require_secret_key() -> None:
    # Read the environment, not settings.SECRET_KEY: Django raises its own, vaguer error on that.
    if not settings.DEBUG and not os.environ.get("DJANGO_SECRET_KEY"):
        raise ImproperlyConfigured(MESSAGE)
