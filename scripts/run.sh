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

# Single sign-on against a local OpenID Provider (tests/sso/op.mjs, the npm package oidc-provider)
# when Node and `npm ci --prefix .ci/node` are there and no real provider is configured.
SSO=""
OP=""
if [ -z "${CPOR_PARTNER_OIDC_CLIENT_ID:-}" ] && command -v node >/dev/null && [ -f .ci/node/node_modules/oidc-provider/package.json ]; then
  mkdir -p var
  OP_PORT="${CPOR_DEMO_OIDC_PORT:-8001}"
  $PY - "$BIND" "$OP_PORT" >var/demo-oidc.json <<'PYCFG'
import json, sys
bind, port = sys.argv[1], int(sys.argv[2])
uris = [f"http://{bind}/accounts/oidc/{app}/login/callback/" for app in ("partner", "operator")]
clients = [{"client_id": f"cpor-demo-{app}", "client_secret": "demo-secret", "redirect_uris": uris} for app in ("partner", "operator")]
accounts = json.load(open("tests/sso/demo-accounts.json"))
print(json.dumps({"node_modules": ".ci/node/node_modules", "port": port, "clients": clients, "accounts": accounts}))
PYCFG
  node tests/sso/op.mjs var/demo-oidc.json >var/oidc.log 2>&1 &
  OP=$!
  trap 'kill $OP 2>/dev/null || true' EXIT INT TERM
  ISSUER="http://127.0.0.1:$OP_PORT"
  if $PY -c 'import sys, time, urllib.request
for _ in range(100):
    try:
        urllib.request.urlopen(sys.argv[1] + "/.well-known/openid-configuration", timeout=1); sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)' "$ISSUER"; then
    export CPOR_PARTNER_OIDC_SERVER_URL="$ISSUER" CPOR_PARTNER_OIDC_CLIENT_ID=cpor-demo-partner CPOR_PARTNER_OIDC_SECRET=demo-secret
    export CPOR_PARTNER_OIDC_NAME="${CPOR_PARTNER_OIDC_NAME:-the demo identity provider}"
    export CPOR_OPERATOR_OIDC_SERVER_URL="$ISSUER" CPOR_OPERATOR_OIDC_CLIENT_ID=cpor-demo-operator CPOR_OPERATOR_OIDC_SECRET=demo-secret
    export CPOR_OPERATOR_OIDC_NAME="${CPOR_OPERATOR_OIDC_NAME:-the operator (reviewers)}"
    $PY manage.py seed_demo_sso "$ISSUER"
    SSO="  Single sign-on: on the sign-in page press \"Sign in with the demo identity provider\" and pick
  fabrikam-sso-admin (created as Fabrikam's Global admin), fabrikam-sso-newhire (Incentives admin)
  or outsider (an unlinked tenant: refused); reviewers: \"Sign in with the operator (reviewers)\",
  operator-reviewer. The local provider ($ISSUER) logs to var/oidc.log."
  else
    kill "$OP" 2>/dev/null || true
    OP=""
    SSO="  Single sign-on: the local provider did not start (var/oidc.log)."
  fi
else
  SSO="  Single sign-on: run \`npm ci --prefix .ci/node\` (Node 20+) and restart to try it against a
  local OpenID Provider, or set CPOR_PARTNER_OIDC_* (README, \"Single sign-on\")."
fi

mkdir -p var
.venv/bin/celery -A cpor worker --beat --pool=solo -Q celery,deliveries,precheck --loglevel=INFO \
  --schedule=var/celerybeat-schedule >var/celery.log 2>&1 &
WORKER=$!
trap 'kill $WORKER $OP 2>/dev/null || true; wait $WORKER $OP 2>/dev/null || true' EXIT INT TERM

cat <<MSG

  CPOR Claims is starting at http://$BIND/
  Sign in as fabrikam-global / demo-password to see a partner's claims,
  or reviewer-ana / demo-password for the review queue.
  Emails the app sends (the customer's consent link too): http://$BIND/dev/mailbox/
  Celery worker + beat log: var/celery.log   (Ctrl-C stops everything)
$SSO

MSG
$PY manage.py runserver "$BIND"
