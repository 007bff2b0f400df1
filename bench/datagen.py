"""The benchmark data set, generated set-based (generate_series + INSERT ... SELECT).

One database per data set. A generated set records its parameters in `bench_meta`;
a later run with the same parameters (and generator version) reuses it, after putting
back the due claims a previous run may have left swept.

Shape (N claims, D due, step = N // D):
- 100 partner companies (20 in small sets); company #1 ("Bench Partner 001") holds the
  first `big` claims (10,000 at 1M), the rest are spread over the others;
- N / 10 customer tenants with searchable names and subdomains, in one block per company
  (a company works with its own customers; every 50th claim names another company's, so
  about 2 % of claims compete);
- each claim: one product (a second one for 30 %), a "created" and a "submitted" history
  row, a tenant; D claims are due: pickup (30 %), decision (15 %), partner answer (20 %),
  consent window (20 %), dispute window (15 %) clocks. Where they sit is the layout
  (`--due-layout`, DUE_LAYOUTS): every `step`-th claim by default, or the last D written;
- the others: 5 % Editing, 2 % Submitted, 3 % Under Review, 2 % Partner Action Required,
  23 % Approved (most past their consent window), 65 % Rejected (most past the dispute
  window); approved claims hold the association of their tenant and product unless
  another partner holds it already, which gives the competition the queue shows.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from django.db import connection

GENERATOR = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
PASSWORD = "bench-password"
PRODUCT_COUNT = 12
COMPANY_BASE = 1000
USER_BASE = 10_000
TENANT_BASE = 1_000_000
REVIEWERS = 10

BULK_TABLES = ("claims_claim", "claims_claimproduct", "claims_claimevent", "claims_association", "claims_customertenant")
# The due claims as generated; the reset puts them back from this copy.
SNAPSHOT = "bench_due_snapshot"


# Where the due claims sit in the table: which claims k = 1..N are due, and which of the 20
# clock slots (the mix above) each one takes.
# - "spread" (the default): every `step`-th claim, evenly over the whole table. The pessimistic
#   layout: at 1,000,000 claims the 100,000 updates land on ten times as many distinct heap and
#   index pages as at 100,000, each written to the WAL in full once after a checkpoint, so the
#   database's own work (the raw-SQL floor) grows with the table (docs/benchmarks.md has the figures).
# - "filed": the last D claims written, side by side, as claims whose clocks run out together
#   were filed (and last changed) together. The same clock mix.
DUE_LAYOUTS = {
    "spread": ("(k %% %(step)s = 0 AND k / %(step)s <= %(due)s)", "(k / %(step)s) %% 20"),
    "filed": ("(k > %(n)s - %(due)s)", "k %% 20"),
}


@dataclass(frozen=True)
class Params:
    claims: int
    due: int
    big: int
    companies: int
    layout: str = "spread"

    @property
    def step(self) -> int:
        return max(1, self.claims // self.due)

    @property
    def tenants(self) -> int:
        return max(100, self.claims // 10)


def _exec(sql: str, params: dict | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.rowcount


def _scalar(sql: str, params: dict | None = None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        row = cursor.fetchone()
        return row[0] if row else None


def stored_params() -> dict | None:
    if not _scalar("SELECT to_regclass('bench_meta') IS NOT NULL"):
        return None
    raw = _scalar("SELECT value FROM bench_meta WHERE key = 'params'")
    return json.loads(raw) if raw else None


def _wanted(p: Params) -> dict:
    return {**asdict(p), "generator": GENERATOR}


def ensure(p: Params, log=print) -> bool:
    """Generates the data set unless the database already holds it. True when generated."""
    stored = stored_params()
    if stored == _wanted(p):
        restore_due()
        vacuum()
        return False
    t0 = time.perf_counter()
    generate(p, log=log)
    log(f"  generated {p.claims:,} claims ({p.due:,} due) in {time.perf_counter() - t0:.0f} s")
    return True


def generate(p: Params, log=print) -> None:
    from django.contrib.auth.hashers import make_password

    from claims import demo

    _exec("DROP TABLE IF EXISTS bench_meta")
    _exec(f"DROP TABLE IF EXISTS {SNAPSHOT}")
    tables = [
        t
        for t in connection.introspection.table_names()
        if t.startswith(("claims_", "authtoken_", "django_session", "django_admin_log"))
        or t.startswith(("integrations_", "reviews_"))
    ]
    # TRUNCATE keeps the tables' storage options (claims_claim's fillfactor, migration 0014).
    _exec("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
    # Bulk loads run several times faster without the secondary indexes: drop them (unique
    # ones stay, the association insert relies on one) and build them again at the end.
    dropped = _rows(
        """SELECT indexname, indexdef FROM pg_indexes
           WHERE schemaname = current_schema() AND tablename = ANY(%(t)s) AND indexdef NOT LIKE 'CREATE UNIQUE%%'""",
        {"t": list(BULK_TABLES)},
    )
    for name, _definition in dropped:
        _exec(f'DROP INDEX "{name}"')
    _column_defaults()
    demo.seed_directory()
    product_ids = list(
        _rows("SELECT id, solution_area FROM claims_product ORDER BY id")  # demo products, ids 1..12
    )
    assert len(product_ids) == PRODUCT_COUNT, product_ids
    pw = make_password(PASSWORD)
    n, m = p.claims, p.companies
    log(f"  directory: {m} companies, {p.tenants:,} tenants")
    _exec(
        """INSERT INTO claims_partnercompany (id, name)
           SELECT %(base)s + g, 'Bench Partner ' || lpad(g::text, 3, '0') FROM generate_series(1, %(m)s) g""",
        {"base": COMPANY_BASE, "m": m},
    )
    _exec(
        """INSERT INTO claims_mpn (id, company_id, mpn_id, incentive_enrolled, program_name)
           SELECT %(base)s + g, %(base)s + g, '9' || lpad(g::text, 6, '0'), g %% 2 = 1,
                  CASE WHEN g %% 2 = 1 THEN 'Business Applications incentives' ELSE '' END
           FROM generate_series(1, %(m)s) g""",
        {"base": COMPANY_BASE, "m": m},
    )
    user_cols = (
        "id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined, role, company_id"
    )
    _exec(
        f"""INSERT INTO claims_user ({user_cols})
            SELECT %(ub)s + g, %(pw)s, false, 'bench-partner-' || lpad(g::text, 3, '0'), 'Partner', lpad(g::text, 3, '0'),
                   'partner' || g || '@bench.example', false, true, now(), 'global_admin', %(cb)s + g
            FROM generate_series(1, %(m)s) g""",
        {"ub": USER_BASE, "cb": COMPANY_BASE, "m": m, "pw": pw},
    )
    _exec(
        f"""INSERT INTO claims_user ({user_cols})
            SELECT %(ub)s + 900 + g, %(pw)s, false, 'bench-reviewer-' || lpad(g::text, 2, '0'), 'Reviewer', lpad(g::text, 2, '0'),
                   'reviewer' || g || '@reviews.bench.example', false, true, now(), 'reviewer', NULL
            FROM generate_series(1, %(r)s) g""",
        {"ub": USER_BASE, "pw": pw, "r": REVIEWERS},
    )
    _exec(
        """INSERT INTO claims_customertenant (id, tenant_id, name, subdomain)
           SELECT %(tb)s + g, md5('tenant-' || g)::uuid,
                  (ARRAY['Contoso','Litware','Adatum','Tailspin Toys','Wingtip','Fourth Coffee','Alpine Ski House',
                         'Blue Yonder','Coho Winery','Woodgrove Bank','Northwind Traders','Proseware','Lucerne Publishing',
                         'Margie''s Travel','Trey Research','Wide World Importers'])[1 + g %% 16]
                    || ' ' || (ARRAY['Holdings','Group','Labs','Retail','Health','Energy','Logistics','Studios'])[1 + (g / 16) %% 8]
                    || ' ' || g,
                  (ARRAY['contoso','litware','adatum','tailspintoys','wingtip','fourthcoffee','alpineskihouse','blueyonder','cohowinery','woodgrovebank','northwindtraders','proseware','lucernepublishing','margiestravel','treyresearch','wideworldimporters'])[1 + g %% 16] || g
           FROM generate_series(1, %(t)s) g""",
        {"tb": TENANT_BASE, "t": p.tenants},
    )
    log(f"  claims: {n:,}")
    # Claim k = 1..N: its company, tenant, state and clock follow from k (reproducible).
    due_sql, slot_sql = DUE_LAYOUTS[p.layout]
    _exec(
        """
        INSERT INTO claims_claim (
            id, name, customer_tenant_id, customer_domain, solution_area, activity,
            customer_contact_name, customer_contact_email, customer_contact_phone,
            partner_contact_name, partner_contact_email, partner_contact_phone,
            state, deadline_kind, deadline_at, deadline_expired, is_overdue, info_request_reasons,
            info_request_message, rejection_reason, rejection_message, is_dispute, disputed_at,
            dispute_justification, created_at, updated_at, submitted_at, review_started_at, decided_at,
            eligibility_sent_at, consent_nonce, assigned_reviewer_id, created_by_id, tenant_id, mpn_id,
            company_id, arbitration_notified_at)
        SELECT k,
               (ARRAY['Sales rollout','Service migration','Field Service pilot','Finance upgrade','Teams adoption',
                      'Intune deployment','Power Apps workshop','Exchange migration'])[1 + k %% 8] || ' ' || k,
               md5('tenant-' || t)::uuid,
               (ARRAY['contoso','litware','adatum','tailspintoys','wingtip','fourthcoffee','alpineskihouse','blueyonder','cohowinery','woodgrovebank','northwindtraders','proseware','lucernepublishing','margiestravel','treyresearch','wideworldimporters'])[1 + t %% 16] || t || '.onmicrosoft.com',
               CASE WHEN k %% 12 < 6 THEN 'business_applications' ELSE 'microsoft_365' END,
               (ARRAY['presales','usage','revenue_association'])[1 + k %% 3],
               'Customer ' || t, 'it@' || (ARRAY['contoso','litware','adatum','tailspintoys','wingtip','fourthcoffee','alpineskihouse','blueyonder','cohowinery','woodgrovebank','northwindtraders','proseware','lucernepublishing','margiestravel','treyresearch','wideworldimporters'])[1 + t %% 16] || t || '.example', '',
               'Partner contact', 'claims' || (company_id - %(cb)s) || '@partner.bench.example', '',
               st, kind,
               CASE WHEN due THEN now() - make_interval(mins => 1 + (k %% 10000))
                    WHEN kind = '' THEN NULL
                    WHEN expired THEN now() - make_interval(days => 10 + k %% 300)
                    ELSE now() + make_interval(days => 40 + k %% 300) END,
               expired, false,
               CASE WHEN st = 'partner_action_required' THEN '["missing_poe"]'::jsonb ELSE '[]'::jsonb END,
               CASE WHEN st = 'partner_action_required' THEN 'Please upload the signed PoE.' ELSE '' END,
               CASE WHEN st = 'rejected' THEN 'insufficient_poe' ELSE '' END,
               '', kind = 'dispute_decision', CASE WHEN kind = 'dispute_decision' THEN now() - interval '2 days' END, '',
               now() - make_interval(days => 20 + k %% 700), now() - make_interval(days => 1 + k %% 20),
               CASE WHEN st <> 'editing' THEN now() - make_interval(days => 15 + k %% 600) END,
               CASE WHEN st NOT IN ('editing', 'submitted') THEN now() - make_interval(days => 10 + k %% 500) END,
               CASE WHEN st IN ('approved', 'rejected') THEN now() - make_interval(days => 8 + k %% 400) END,
               CASE WHEN st = 'approved' AND expired THEN now() - make_interval(days => 1 + k %% 300) END,
               md5('nonce-' || k)::uuid,
               CASE WHEN st IN ('under_review', 'partner_action_required') AND k %% 4 <> 0
                    THEN %(ub)s + 900 + 1 + k %% %(rv)s END,
               %(ub)s + (company_id - %(cb)s), %(tb)s + t, company_id, company_id, NULL
        FROM (
            SELECT k, due, t, company_id,
                   CASE WHEN due THEN (ARRAY['submitted','submitted','submitted','submitted','submitted','submitted',
                                            'under_review','under_review','under_review',
                                            'partner_action_required','partner_action_required','partner_action_required',
                                            'partner_action_required','approved','approved','approved','approved',
                                            'rejected','rejected','rejected'])[1 + db]
                        WHEN r < 5 THEN 'editing' WHEN r < 7 THEN 'submitted' WHEN r < 10 THEN 'under_review'
                        WHEN r < 12 THEN 'partner_action_required' WHEN r < 35 THEN 'approved' ELSE 'rejected' END AS st,
                   CASE WHEN due THEN (ARRAY['review_pickup','review_pickup','review_pickup','review_pickup','review_pickup',
                                            'review_pickup','review_decision','review_decision','dispute_decision',
                                            'partner_answer','partner_answer','partner_answer','partner_answer',
                                            'consent_window','consent_window','consent_window','consent_window',
                                            'dispute_window','dispute_window','dispute_window'])[1 + db]
                        WHEN r < 5 THEN '' WHEN r < 7 THEN 'review_pickup' WHEN r < 10 THEN 'review_decision'
                        WHEN r < 12 THEN 'partner_answer' WHEN r < 35 THEN 'consent_window' ELSE 'dispute_window' END AS kind,
                   NOT due AND ((r >= 12 AND r < 32) OR r >= 40) AS expired
            FROM (
                SELECT k,
                       CASE WHEN k <= %(big)s THEN %(cb)s + 1 ELSE %(cb)s + 2 + (k %% (%(m)s - 1)) END AS company_id,
                       -- A company works with its own customers (a block of tenants); every
                       -- 50th claim names another company's customer, which makes competition.
                       1 + (((CASE WHEN k <= %(big)s THEN 0 ELSE 1 + k %% (%(m)s - 1) END
                              + CASE WHEN k %% 50 = 0 THEN 1 ELSE 0 END) %% %(m)s) * (%(t)s / %(m)s)
                            + ((k * 7) / %(m)s) %% (%(t)s / %(m)s)) AS t,
                       {due} AS due,
                       {slot} AS db,
                       (k * 37) %% 100 AS r
                FROM generate_series(1, %(n)s) k
            ) plan
        ) s
        """.replace("{due}", due_sql).replace("{slot}", slot_sql),
        {
            "n": n,
            "big": p.big,
            "cb": COMPANY_BASE,
            "ub": USER_BASE,
            "tb": TENANT_BASE,
            "m": m,
            "t": p.tenants,
            "step": p.step,
            "due": p.due,
            "rv": REVIEWERS,
        },
    )
    # Approved decision in dispute: the dispute decision clock belongs to Under Review, marked.
    _exec("UPDATE claims_claim SET is_dispute = true WHERE deadline_kind = 'dispute_decision'")
    log("  products, history, associations")
    _exec(
        """INSERT INTO claims_claimproduct (claim_id, product_id, subscription_id)
           SELECT id, 1 + id %% 12, NULL::bigint FROM claims_claim
           UNION ALL
           SELECT id, 1 + (id + 5) %% 12, NULL::bigint FROM claims_claim WHERE id %% 10 < 3"""
    )
    _exec(
        """INSERT INTO claims_claimevent (at, actor_role, action, from_state, to_state, changes, details, actor_id, claim_id)
           SELECT created_at, 'partner', 'created', '', '', '{}'::jsonb, '{}'::jsonb, created_by_id, id FROM claims_claim
           UNION ALL
           SELECT submitted_at, 'partner', 'submitted', 'editing', 'submitted', '{}'::jsonb, '{}'::jsonb, created_by_id, id
           FROM claims_claim WHERE submitted_at IS NOT NULL"""
    )
    # Active associations for approved claims (first claim wins a tenant and product), and
    # ended ones for some rejected claims (history the competition check must skip).
    _exec(
        """INSERT INTO claims_association (started_at, ended_at, end_reason, claim_id, tenant_id, company_id, product_id, subscription_id)
           SELECT c.decided_at, NULL::timestamptz, '', c.id, c.tenant_id, c.company_id, cp.product_id, NULL::bigint
           FROM claims_claim c JOIN claims_claimproduct cp ON cp.claim_id = c.id
           WHERE c.state = 'approved'
           ORDER BY c.id
           ON CONFLICT (tenant_id, product_id) WHERE ended_at IS NULL DO NOTHING"""
    )
    _exec(
        """INSERT INTO claims_association (started_at, ended_at, end_reason, claim_id, tenant_id, company_id, product_id, subscription_id)
           SELECT c.decided_at - interval '30 days', c.decided_at, 'withdrawn', c.id, c.tenant_id, c.company_id, cp.product_id, NULL::bigint
           FROM claims_claim c JOIN claims_claimproduct cp ON cp.claim_id = c.id
           WHERE c.state = 'rejected' AND c.id %% 10 = 1"""
    )
    # One PoE row per claim of the big company (the claim page lists it; no file is read).
    _exec(
        """INSERT INTO claims_claimevidence (claim_id, file, original_name, content_type, size, sha256, uploaded_by_id,
                                            uploaded_at, for_dispute, scan_status, scan_signature)
           SELECT id, 'evidence/bench/poe.pdf', 'signed PoE ' || id || '.pdf', 'application/pdf', 1234, repeat('0', 64),
                  created_by_id, created_at, false, 'clean', ''
           FROM claims_claim WHERE company_id = %(cb)s + 1 AND state <> 'editing'""",
        {"cb": COMPANY_BASE},
    )
    log(f"  indexes ({len(dropped)})")
    _exec("SET maintenance_work_mem = '256MB'")
    for _name, definition in dropped:
        _exec(definition)
    for table in ("claims_claim", "claims_customertenant", "claims_user", "claims_partnercompany", "claims_mpn"):
        _exec(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    snapshot_due()
    log("  vacuum analyze")
    with connection.cursor() as cursor:
        for table in ("claims_claim", "claims_claimproduct", "claims_claimevent", "claims_association", "claims_customertenant"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    _exec("CREATE TABLE bench_meta (key text PRIMARY KEY, value text NOT NULL)")
    _exec("INSERT INTO bench_meta VALUES ('params', %(v)s)", {"v": json.dumps(_wanted(p), sort_keys=True)})


def _column_defaults() -> None:
    """The SQL below names the columns it fills; every other NOT NULL column of the bulk-loaded
    tables gets its model default as a database default, so a column a later change adds
    (a blank text, a flag) does not break the load. Only this bench database is altered."""
    from django.apps import apps
    from django.db.models import NOT_PROVIDED

    for model in apps.get_app_config("claims").get_models():
        table = model._meta.db_table
        for field in model._meta.concrete_fields:
            if field.null or field.primary_key:
                continue
            # dict and list: a JSON column's empty default (a callable, so each row has its own).
            default = field.default() if field.default in (dict, list) else field.default
            if default is not NOT_PROVIDED and not callable(default):
                value = field.get_db_prep_save(default, connection)
            elif field.get_internal_type() in ("CharField", "TextField", "EmailField", "SlugField") and field.blank:
                value = ""
            else:
                continue
            if isinstance(value, (dict, list)):
                value = json.dumps(value)
            with connection.cursor() as cursor:
                default = cursor.mogrify("%s", [value]).decode()
            _exec(f'ALTER TABLE "{table}" ALTER COLUMN "{field.column}" SET DEFAULT {default}')


def _rows(sql: str, params: dict | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.fetchall()


# --- The due set: kept aside once, put back before every sweep run ---------------------

# Outbox rows first: they point at the history rows.
WATERMARKED = ("claims_notification", "claims_claimevent", "claims_claimcomment", "claims_association")


def snapshot_due() -> None:
    _exec(f"DROP TABLE IF EXISTS {SNAPSHOT}")
    _exec(f"CREATE TABLE {SNAPSHOT} AS SELECT * FROM claims_claim WHERE NOT deadline_expired AND deadline_at <= now()")
    _exec(f"ALTER TABLE {SNAPSHOT} ADD PRIMARY KEY (id)")
    _exec("DROP TABLE IF EXISTS bench_watermark")
    _exec("CREATE TABLE bench_watermark (tbl text PRIMARY KEY, max_id bigint NOT NULL)")
    for table in WATERMARKED:
        _exec(f"INSERT INTO bench_watermark SELECT '{table}', coalesce(max(id), 0) FROM {table}")
    _exec("DROP TABLE IF EXISTS bench_assoc_snapshot")
    _exec(f"CREATE TABLE bench_assoc_snapshot AS SELECT a.* FROM claims_association a JOIN {SNAPSHOT} s ON s.id = a.claim_id")


def due_count() -> int:
    return _scalar(f"SELECT count(*) FROM {SNAPSHOT}")


def restore_due() -> None:
    """Puts every due claim back as generated and deletes the rows a run created."""
    claim_cols = [c for c in _columns("claims_claim") if c != "id" and c in set(_columns(SNAPSHOT))]
    sets = ", ".join(f'"{c}" = s."{c}"' for c in claim_cols)
    with connection.cursor() as cursor:
        for table in WATERMARKED:
            if table in connection.introspection.table_names():
                cursor.execute(f"DELETE FROM {table} WHERE id > (SELECT max_id FROM bench_watermark WHERE tbl = %s)", [table])
        assoc_cols = [c for c in _columns("claims_association") if c != "id" and c in set(_columns("bench_assoc_snapshot"))]
        assoc_sets = ", ".join(f'"{c}" = s."{c}"' for c in assoc_cols)
        cursor.execute(f"UPDATE claims_association a SET {assoc_sets} FROM bench_assoc_snapshot s WHERE a.id = s.id")
        cursor.execute(f"UPDATE claims_claim c SET {sets} FROM {SNAPSHOT} s WHERE c.id = s.id")
    _exec("ANALYZE claims_claim")


def _columns(table: str) -> list[str]:
    with connection.cursor() as cursor:
        return [c.name for c in connection.introspection.get_table_description(cursor, table)]


def vacuum() -> None:
    """Clears the dead rows sweep runs and resets leave (autovacuum would, in its own time)."""
    with connection.cursor() as cursor:
        for table in ("claims_claim", "claims_claimevent", "claims_notification", "claims_association"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def checkpoint() -> None:
    """Writes out what the last run dirtied, so the next timed run does not pay for it (or
    for a checkpoint that happens to start in the middle of it). Needs a superuser; without
    one the runs are only less alike."""
    try:
        _exec("CHECKPOINT")
    except Exception as exc:  # a non-superuser bench role
        print(f"CHECKPOINT skipped: {exc}", file=sys.stderr)
