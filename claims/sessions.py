"""Sessions on allauth.usersessions (issue 21, point 6; docs/operations.md, "Sessions").

allauth records each sign-in's session (UserSession: address, browser, when) and its page
/accounts/sessions/ lists them with "sign out the other sessions". What it does not decide
for this product is here:

- Changing or setting the password ends the user's other sessions; a completed reset ends
  all of them (`end_sessions_after_password_change`, `end_sessions_after_password_reset`,
  allauth's signals, connected in claims.apps). Django already refuses a session whose
  password hash is stale; ending them also deletes the rows, so the page and the session
  store agree.
- Deactivating a user ends all their sessions (`end_sessions`), called by whatever
  deactivates (the admin, the team page). Django's backend refuses an inactive user's
  session on its next request anyway, even one allauth never recorded.
"""

from __future__ import annotations

from allauth.usersessions.adapter import get_adapter
from allauth.usersessions.models import UserSession
from django.http import HttpRequest


def end_sessions(user, *, keep: str | None = None) -> int:
    """Ends every recorded session of `user` but the one whose key is `keep`: the session
    store's entry and its row go. Returns how many were ended."""
    sessions = [s for s in UserSession.objects.filter(user_id=user.pk) if not keep or s.session_key != keep]
    get_adapter().end_sessions(sessions)
    return len(sessions)


def end_sessions_after_password_change(sender=None, *, request: HttpRequest, user, **kwargs) -> None:
    """allauth's `password_changed` and `password_set`: the session that changed it stays."""
    keep = getattr(getattr(request, "session", None), "session_key", None)
    end_sessions(user, keep=keep)


def end_sessions_after_password_reset(sender=None, *, request: HttpRequest, user, **kwargs) -> None:
    """allauth's `password_reset`: whoever held the old password is signed out everywhere."""
    end_sessions(user)
