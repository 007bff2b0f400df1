from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from claims.models import Association, Claim, Subscription, User


@override_settings(DEBUG=True)
def test_seed_demo_creates_the_documented_data_and_every_status(db, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "fabrikam-global" in out and "demo-password" in out
    states = Counter(Claim.objects.filter(company__name="Fabrikam Consulting").values_list("state", flat=True))
    assert set(states) == {"editing", "submitted", "under_review", "partner_action_required", "approved", "rejected"}
    assert User.objects.get(username="fabrikam-global").check_password("demo-password")
    assert User.objects.get(username="fabrikam-viewer").is_partner is False
    held = Association.objects.get(subscription__subscription_id="77777777-7777-4777-8777-777777777777", ended_at__isnull=True)
    assert held.company.name == "Northwind Solutions"
    assert Subscription.objects.count() == 8
    # the two "valid" Contoso subscriptions stay free for a demo user to claim
    assert not Association.objects.filter(
        subscription__subscription_id__in=["11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"]
    ).exists()
    call_command("seed_demo")
    assert "already there" in capsys.readouterr().out


@override_settings(DEBUG=False)
def test_seed_demo_refuses_without_debug(db):
    with pytest.raises(CommandError):
        call_command("seed_demo")
    assert not User.objects.exists()


@pytest.mark.parametrize("today", ["2026-11-18", "2026-11-19", "2026-11-27", "2026-11-28", "2026-12-24"])
@override_settings(DEBUG=True)
def test_the_demo_never_stores_a_business_day_deadline_on_a_weekend_or_holiday(db, today, capsys):
    from datetime import UTC, datetime

    import time_machine

    from claims.calendar import is_business_day
    from claims.clocks import BUSINESS_DAY_CLOCKS

    with time_machine.travel(datetime.fromisoformat(today).replace(hour=10, tzinfo=UTC), tick=False):
        call_command("seed_demo")
    clocked = Claim.objects.filter(deadline_kind__in=BUSINESS_DAY_CLOCKS)
    assert clocked.count() >= 4
    for claim in clocked:
        assert is_business_day(claim.deadline_at.date()), (claim.name, claim.deadline_kind, claim.deadline_at)
