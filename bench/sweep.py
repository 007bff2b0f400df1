"""Benchmark of the deadline sweep on a large claims table.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cpor_bench \
      .venv/bin/python bench/sweep.py --claims 50000 --due 5000

Creates (once) a database with --claims claims of which --due are past their
partner-answer deadline, then times the sweep, counts its queries and shows the
plan of the due lookup. Claims are bulk-inserted in their states directly: this
measures the sweep, not the services that build states (the tests do that).
"""

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cpor.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench")
os.environ.setdefault("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
# Production shape: delivery tasks are published to Redis (a database of its own) and
# not run here, so the timing is the sweep's own work, its commit and the publishing.
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from claims import deadlines, demo  # noqa: E402
from claims.models import Claim, ClaimEvent, Notification, PartnerCompany, User  # noqa: E402


def build(total: int, due: int) -> None:
    call_command("migrate", verbosity=0)
    Notification.objects.all().delete()
    ClaimEvent.objects.all().delete()
    Claim.objects.all().delete()
    if not PartnerCompany.objects.exists():
        demo.seed_directory()
    company = PartnerCompany.objects.get(name="Fabrikam Consulting")
    user = User.objects.get(username="fabrikam-global")
    now = timezone.now()
    rows = []
    for i in range(total):
        is_due = i < due
        rows.append(
            Claim(
                company=company,
                created_by=user,
                name=f"bench {i}",
                state="partner_action_required",
                partner_contact_email="alex.wilber@fabrikam.example",
                deadline_kind="partner_answer",
                deadline_at=now - timedelta(hours=1) if is_due else now + timedelta(days=3 + i % 30),
            )
        )
    Claim.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE claims_claim")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=50_000)
    parser.add_argument("--due", type=int, default=5_000)
    args = parser.parse_args()
    t0 = time.perf_counter()
    build(args.claims, args.due)
    print(f"built {args.claims} claims ({args.due} due) in {time.perf_counter() - t0:.1f}s on {connection.vendor}")

    plan = deadlines.due_claims(timezone.now()).order_by("deadline_at").explain()
    print("due lookup plan:", " | ".join(line.strip() for line in plan.splitlines()[:5]))

    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        t0 = time.perf_counter()
        handled = deadlines.run_sweep()
        elapsed = time.perf_counter() - t0
    print(f"sweep: {handled} claims in {elapsed:.2f}s = {handled / elapsed:.0f} claims/s, {len(queries)} queries")
    print(f"history rows: {ClaimEvent.objects.count()}, outbox rows: {Notification.objects.count()}")
    queued = redis.Redis.from_url(os.environ["REDIS_URL"]).llen("celery")
    print(f"delivery tasks published to Redis: {queued}")
    t0 = time.perf_counter()
    again = deadlines.run_sweep()
    print(f"second sweep: {again} claims in {(time.perf_counter() - t0) * 1000:.1f}ms")


if __name__ == "__main__":
    main()
