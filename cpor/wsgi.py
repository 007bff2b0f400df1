import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cpor.settings")
from .startup import require_secret_key  # noqa: E402

require_secret_key()
application = get_wsgi_application()

from claims import calendar  # noqa: E402

calendar.load()  # not in a first request: see calendar.load
