"""Test settings: the real settings, plus what makes a test run fast and isolated.

The database and broker still come from DATABASE_URL / REDIS_URL, so CI runs the
same suite on PostgreSQL and Redis.
"""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-not-for-production")
# No group must set up a second factor (the README's walk-through signs in with a password
# only); the MFA tests turn it on where they need it, CPOR_MFA_REQUIRED_FOR=... for a whole run.
os.environ.setdefault("CPOR_MFA_REQUIRED_FOR", "")
# Uploads are marked clean unscanned ("no scanner" mode) unless a test starts clamd
# (tests/clamd.py) and points CPOR_CLAMD_SOCKET at it; processes the tests start inherit this.
os.environ.setdefault("CPOR_SCAN_REQUIRED", "0")
if "CPOR_VAR_DIR" not in os.environ:
    # One folder per test run (media, mail, the SQLite test database), removed when the
    # process that made it exits. Processes the tests start inherit CPOR_VAR_DIR and leave
    # it to that first process.
    _made = tempfile.mkdtemp(prefix="cpor-test-")
    os.environ["CPOR_VAR_DIR"] = _made
    atexit.register(shutil.rmtree, _made, ignore_errors=True)

from .settings import *  # noqa: E402,F403
from .settings import DATABASES, VAR_DIR  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not SQLite's in-memory default: Django shares one in-memory connection between
    # the test and the live server's threads, so two browser requests at once would run in
    # one transaction. With a file each thread has its own connection and SQLite's write
    # lock serializes them, as it does under `make run`.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
# Unit tests run tasks in-process; the integration test starts a real worker instead.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
SITE_URL = "http://testserver"
# Each test process counts in its own memory (tests clear it); the gunicorn test proves Redis.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The test client speaks plain HTTP.
SECURE_SSL_REDIRECT = False
