"""Settings for benchmark runs: the product's settings plus the bench-only raw-SQL views.

Never used in production: only bench/ (the harness and the gunicorn it starts) loads it.
"""

from cpor.settings import *  # noqa: F403
from cpor.settings import STORAGES

ROOT_URLCONF = "bench.urls"
# No collectstatic for a benchmark: pages are measured, not their assets.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
# Quiet logs: one line per gunicorn worker about the missing staticfiles/ (whitenoise) and
# axes' start banner drowned the figures.
AXES_VERBOSE = False
import warnings  # noqa: E402

warnings.filterwarnings("ignore", message="No directory at: ")
