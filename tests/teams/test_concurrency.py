"""Two Global admins removing each other at the same moment (PostgreSQL row locks): one wins,
the other is refused with last_global_admin, never both, never a deadlock or a 500."""

import threading

import pytest
from django.db import close_old_connections

from claims.choices import Role
from claims.errors import DomainError
from claims.models import User
from teams import services

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def at_once(*calls):
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            call()
            outcomes[i] = "ok"
        except DomainError as exc:
            outcomes[i] = exc.code
        except Exception as exc:  # a deadlock or a 500 fails the test with its name
            outcomes[i] = type(exc).__name__
        finally:
            close_old_connections()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


@pytest.mark.parametrize("change", ["deactivate", "demote"])
def test_two_global_admins_removing_each_other_leave_one(fabrikam, fabrikam_billing, change):
    services.change_role(actor=fabrikam, member=fabrikam_billing, role=Role.GLOBAL_ADMIN)
    a, b = User.objects.get(pk=fabrikam.pk), User.objects.get(pk=fabrikam_billing.pk)

    def remove(actor, member):
        if change == "deactivate":
            return lambda: services.set_active(actor=actor, member=member, is_active=False)
        return lambda: services.change_role(actor=actor, member=member, role=Role.MEMBER)

    outcomes = sorted(at_once(remove(a, b), remove(b, a)))
    assert outcomes in (["last_global_admin", "ok"], ["ok", "team_admin_only"])
    assert User.objects.filter(company=fabrikam.company, role=Role.GLOBAL_ADMIN, is_active=True).count() == 1
