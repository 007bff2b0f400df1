from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = _("Claims")

    def ready(self) -> None:
        # Registers the Celery tasks in every process (web included), so the outbox can
        # ask for a drain by the task's name without importing the tasks module.
        from . import tasks  # noqa: F401
