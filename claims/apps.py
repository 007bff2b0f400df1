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

        # A new password ends the user's other sessions (issue 21, point 6).
        from allauth.account.signals import password_changed, password_set

        from .sessions import end_sessions_after_password_change, end_sessions_after_password_reset

        password_changed.connect(end_sessions_after_password_change, dispatch_uid="cpor-password-ends-sessions")
        password_set.connect(end_sessions_after_password_change, dispatch_uid="cpor-password-set-ends-sessions")
        password_reset.connect(end_sessions_after_password_reset, dispatch_uid="cpor-reset-ends-sessions")
        # A sign-in through an identity provider that asked a second factor counts as one (claims/sso.py).
        from allauth.account.signals import user_logged_in

        from .sso import remember_idp_mfa

        user_logged_in.connect(remember_idp_mfa, dispatch_uid="cpor-remember-idp-mfa")

        # The PoE pre-check reads a file only once the malware scan found it clean (issue 24 after
        # issue 22, point 3): claims.scanning runs its after_clean subscribers on that commit.
        from . import precheck, scanning

        scanning.after_clean("precheck", precheck.schedule)
        # A stored file whose database row rolled back is deleted when the request or task ends.
        from cpor import storage

        storage.connect()
