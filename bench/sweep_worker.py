"""B1: one process per data set, driven by the harness over stdin/stdout (JSON lines).

Commands: `restore` (put the due claims back), `settle` (vacuum what the last run left, then a
checkpoint: every timed run starts alike), `product` (the product's own
`claims.tasks.run_deadline_sweep` task, called directly until it returns 0), `floor`
(raw SQL making the same changes: UPDATE per outcome, history INSERT ... SELECT,
outbox INSERT ... SELECT, in one transaction). Each answers {"seconds": ..., "rows": ...}.
"""

from __future__ import annotations

import json
import sys
import time

from bench import env

env.configure(sys.argv[1])

from django.db import connection, transaction  # noqa: E402

from bench import datagen  # noqa: E402

# (deadline kinds, state before) -> SET clause, history row, email (recipient expression) or None.
OUTCOMES = [
    (
        ("review_pickup",),
        "submitted",
        "state = 'under_review', is_overdue = true, deadline_kind = 'review_decision', "
        "deadline_at = %(now)s + interval '7 days', deadline_expired = false",
        ("review_auto_started", "submitted", "under_review", "'{}'::jsonb"),
        None,
    ),
    (
        ("review_decision", "dispute_decision"),
        "under_review",
        "is_overdue = true, deadline_expired = true",
        ("review_overdue", "", "", "jsonb_build_object('deadline', u.deadline_kind, 'due_at', u.deadline_at)"),
        ("review_overdue", "(SELECT email FROM claims_user r WHERE r.id = u.assigned_reviewer_id)"),
    ),
    (
        ("partner_answer",),
        "partner_action_required",
        "state = 'rejected', rejection_reason = 'no_partner_response', rejection_message = '', decided_at = %(now)s, "
        "is_overdue = false, deadline_kind = CASE WHEN c.disputed_at IS NULL THEN 'dispute_window' ELSE '' END, "
        "deadline_at = CASE WHEN c.disputed_at IS NULL THEN %(now)s + interval '30 days' END, deadline_expired = false",
        ("auto_rejected", "partner_action_required", "rejected", "'{}'::jsonb"),
        ("claim_rejected", "u.partner_contact_email"),
    ),
    (
        ("consent_window",),
        "approved",
        "eligibility_sent_at = %(now)s, deadline_expired = true",
        ("consent_period_passed", "", "", "'{}'::jsonb"),
        ("consent_period_passed", "u.partner_contact_email"),
    ),
    (
        ("dispute_window",),
        "rejected",
        "deadline_expired = true",
        ("dispute_window_closed", "", "", "'{}'::jsonb"),
        None,
    ),
]

BODY = "Hello,\\n\\nThe claim has moved on. Open it to see what changed and what to do next.\\n\\n" * 4

KNOWN = {
    "kind": "%(kind)s",
    "to": "{to}",
    "subject": "'CPOR claim #' || u.id || ': ' || u.name",
    "body_text": f"E'{BODY}'",
    "body_html": "''",
    "status": "'pending'",
    "created_at": "%(now)s",
    "attempts": "0",
    "last_error": "''",
    "claim_id": "u.id",
    "language": "'en'",
    "context": "jsonb_build_object('due_at', u.deadline_at)",
}


def _notification_columns() -> list[tuple[str, str]]:
    """Every column the floor must fill: the known ones, and any NOT NULL one a later
    migration added (with a neutral value of its type)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT column_name, data_type, is_nullable = 'YES', column_default IS NOT NULL
               FROM information_schema.columns WHERE table_name = 'claims_notification' AND column_name <> 'id'
               ORDER BY ordinal_position"""
        )
        out = []
        for name, data_type, nullable, has_default in cursor.fetchall():
            if name in KNOWN:
                out.append((name, KNOWN[name]))
            elif not nullable and not has_default:
                neutral = {
                    "jsonb": "'{}'::jsonb",
                    "json": "'{}'::json",
                    "boolean": "false",
                    "integer": "0",
                    "bigint": "0",
                    "smallint": "0",
                    "timestamp with time zone": "%(now)s",
                    "uuid": "gen_random_uuid()",
                }
                out.append((name, neutral.get(data_type, "''")))
        return out


def floor() -> int:
    now = datetime_now()
    ncols = _notification_columns()
    total = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for kinds, state, sets, event, mail in OUTCOMES:
            action, from_state, to_state, details = event
            sql = f"""
                WITH u AS (
                    UPDATE claims_claim c SET {sets}, updated_at = %(now)s
                    WHERE NOT c.deadline_expired AND c.deadline_at <= %(now)s AND c.deadline_kind = ANY(%(kinds)s)
                      AND c.state = %(state)s
                    RETURNING c.*
                ), ev AS (
                    INSERT INTO claims_claimevent (at, actor_role, action, from_state, to_state, changes, details, actor_id, claim_id)
                    SELECT %(now)s, 'system', %(action)s, %(from_state)s, %(to_state)s, '{{}}'::jsonb, {details}, NULL, u.id FROM u
                    RETURNING 1
                )"""
            if mail:
                kind, to = mail
                cols = ", ".join(f'"{name}"' for name, _ in ncols)
                values = ", ".join(expr.format(to=to) for _, expr in ncols)
                sql += f""", nt AS (
                    INSERT INTO claims_notification ({cols})
                    SELECT {values} FROM u WHERE {to} IS NOT NULL AND {to} <> ''
                    RETURNING 1
                )
                SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM ev), (SELECT count(*) FROM nt)"""
            else:
                kind = ""
                sql += " SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM ev), 0"
            cursor.execute(
                sql,
                {
                    "now": now,
                    "kinds": list(kinds),
                    "state": state,
                    "action": action,
                    "from_state": from_state,
                    "to_state": to_state,
                    "kind": kind,
                },
            )
            total += cursor.fetchone()[0]
    return total


def datetime_now():
    from django.utils import timezone

    return timezone.now()


def product() -> int:
    from claims import tasks

    total = 0
    while True:
        handled = tasks.run_deadline_sweep()
        total += handled or 0
        if not handled:
            return total


def purge_broker() -> None:
    """Drops the delivery messages a product run published (nobody consumes them here)."""
    try:
        from cpor.celery import app

        app.control.purge()
    except Exception as exc:  # a broker that is down does not change the timing of the next run
        print(f"purge failed: {exc}", file=sys.stderr)


def main() -> None:
    # This process stands in for a Celery worker, which prepares itself once at start
    # (cpor.celery: worker_process_init); without it the first timed product run would
    # also pay the imports and the holiday calendar a real worker has long loaded.
    from cpor.startup import prepare_serving_process

    prepare_serving_process()
    for line in sys.stdin:
        command = line.strip()
        if not command:
            continue
        if command == "vacuum":
            t0 = time.perf_counter()
            datagen.vacuum()
            result = {"seconds": time.perf_counter() - t0, "rows": 0}
        elif command == "settle":
            t0 = time.perf_counter()
            datagen.vacuum()
            datagen.checkpoint()
            result = {"seconds": time.perf_counter() - t0, "rows": 0}
        elif command == "restore":
            t0 = time.perf_counter()
            datagen.restore_due()
            purge_broker()
            result = {"seconds": time.perf_counter() - t0, "rows": datagen.due_count()}
        elif command in ("product", "floor"):
            t0 = time.perf_counter()
            rows = product() if command == "product" else floor()
            result = {"seconds": time.perf_counter() - t0, "rows": rows}
        else:
            result = {"error": f"unknown command {command!r}"}
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
