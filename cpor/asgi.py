import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cpor.settings")
from .startup import require_secret_key  # noqa: E402

require_secret_key()
application = get_asgi_application()

from claims import calendar  # noqa: E402

calendar.load()  # not in a first request: see calendar.load
