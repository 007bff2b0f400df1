import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cpor.settings")
from .startup import prepare_serving_process, require_secret_key  # noqa: E402

require_secret_key()
application = get_asgi_application()
prepare_serving_process()
