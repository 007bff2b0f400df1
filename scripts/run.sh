#!/usr/bin/env bash
# Runs the app on the embedded default: SQLite, a Celery worker with beat on a
# filesystem broker (no server needed), emails as files readable at /dev/mailbox/.
# With DATABASE_URL and REDIS_URL set, the same processes use PostgreSQL and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_DEBUG="${DJANGO_DEBUG:-1}"
# The demo sweeps every 30 s so deadlines visibly fire; production keeps the default.
export CPOR_SWEEP_INTERVAL_SECONDS="${CPOR_SWEEP_INTERVAL_SECONDS:-30}"
export CPOR_OUTBOX_DRAIN_INTERVAL_SECONDS="${CPOR_OUTBOX_DRAIN_INTERVAL_SECONDS:-10}"
# The demo users sign in with their password alone (the README's walk-through); production
# asks reviewers and Global admins for a second factor (docs/operations.md, "Second factor").
export CPOR_MFA_REQUIRED_FOR="${CPOR_MFA_REQUIRED_FOR-}"
PY=.venv/bin/python
BIND="${CPOR_BIND:-127.0.0.1:8000}"

$PY manage.py migrate --noinput
$PY manage.py seed_demo

mkdir -p var
.venv/bin/celery -A cpor worker --beat --pool=solo -Q celery,deliveries,precheck --loglevel=INFO \
  --schedule=var/celerybeat-schedule >var/celery.log 2>&1 &
WORKER=$!
trap 'kill $WORKER 2>/dev/null || true; wait $WORKER 2>/dev/null || true' EXIT INT TERM

cat <<MSG

  CPOR Claims is starting at http://$BIND/
  Sign in as fabrikam-global / demo-password to see a partner's claims,
  or reviewer-ana / demo-password for the review queue.
  Emails the app sends (the customer's consent link too): http://$BIND/dev/mailbox/
  Celery worker + beat log: var/celery.log   (Ctrl-C stops everything)

MSG
$PY manage.py runserver "$BIND"
