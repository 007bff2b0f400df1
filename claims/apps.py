from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = _("Claims")

    def ready(self) -> None:
        # Registers the Celery tasks in every process (web included), so the outbox can
        # ask for a drain by the task's name without importing the tasks module.
        from django.contrib.auth.signals import user_login_failed

        from cpor.security import log_failed_sign_in

        from . import emails, tasks  # noqa: F401

        # Emails and the in-app notifications page follow claim history (claims.events).
        emails.subscribe()

        user_login_failed.connect(log_failed_sign_in, dispatch_uid="cpor-log-failed-sign-in")

        # A completed password reset lifts the account's sign-in locks (issue 20, point 8).
        from allauth.account.signals import password_reset

        from .accounts import lift_sign_in_locks

        password_reset.connect(lift_sign_in_locks, dispatch_uid="cpor-reset-lifts-locks")

        # A stored file whose database row rolled back is deleted when the request or task ends.
        from cpor import storage

        storage.connect()
