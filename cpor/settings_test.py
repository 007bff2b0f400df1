"""Test settings: the real settings, plus what makes a test run fast and isolated.

The database and broker still come from DATABASE_URL / REDIS_URL, so CI runs the
same suite on PostgreSQL and Redis.
"""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("CPOR_VAR_DIR", tempfile.mkdtemp(prefix="cpor-test-"))

from .settings import *  # noqa: E402,F403
from .settings import VAR_DIR  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
# Unit tests run tasks in-process; the integration test starts a real worker instead.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
SITE_URL = "http://testserver"
# Each test process counts in its own memory (tests clear it); the gunicorn test proves Redis.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The test client speaks plain HTTP.
SECURE_SSL_REDIRECT = False
