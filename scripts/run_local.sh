#!/usr/bin/env bash
# The embedded default: sandbox QBO server + local CMMS database + Airflow, then a full sync.
#   scripts/run_local.sh             set up, sync, then serve the Airflow UI on :8080 (Ctrl-C stops)
#   scripts/run_local.sh --no-serve  set up and sync, then exit
# Called by `make run` / `make demo` after `make setup`. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SERVE=1
[ "${1:-}" = "--no-serve" ] && SERVE=0
BIN=$ROOT/.venv/bin
mkdir -p .run .airflow
SANDBOX_PORT=${QBO_SANDBOX_PORT:-8765}
REALM=9341453050071234

say() { printf '\n==> %s\n' "$*"; }

say "Sandbox QuickBooks server"
FRESH_COMPANY=0
if ! curl -sf "http://127.0.0.1:$SANDBOX_PORT/.well-known/openid_configuration" >/dev/null; then
  nohup "$BIN/python" -m qbo_sandbox --port "$SANDBOX_PORT" >.run/sandbox.log 2>&1 &
  echo $! >.run/sandbox.pid
  FRESH_COMPANY=1
  for _ in $(seq 1 50); do
    curl -sf "http://127.0.0.1:$SANDBOX_PORT/.well-known/openid_configuration" >/dev/null && break; sleep 0.2
  done
fi
echo "http://127.0.0.1:$SANDBOX_PORT (log: .run/sandbox.log; 'make stop' stops it)"

say "CMMS database"
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && command -v pg_ctlcluster >/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  for _ in $(seq 1 20); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  if [ "$FRESH_COMPANY" = 1 ]; then  # a new sandbox company: the demo CMMS must not keep the old one's ids
    psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS cmms_demo WITH (FORCE)"
  fi
  for db in cmms_demo airflow_demo; do
    psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1 \
      || psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db"
  done
  CMMS_URI=postgresql://postgres@127.0.0.1:5432/cmms_demo
  AIRFLOW_DB=postgresql+psycopg2://postgres@127.0.0.1:5432/airflow_demo
  echo "PostgreSQL at 127.0.0.1:5432 (CMMS: cmms_demo, Airflow: airflow_demo)"
else
  [ "$FRESH_COMPANY" = 1 ] && rm -f .run/cmms.db
  CMMS_URI=sqlite:///$ROOT/.run/cmms.db
  AIRFLOW_DB=sqlite:///$ROOT/.airflow/airflow.db
  echo "No PostgreSQL reachable: using SQLite files under .run/ and .airflow/"
fi

[ -f .run/fernet.key ] || (umask 077 && "$BIN/python" -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())" >.run/fernet.key)
cat >.run/env.sh <<ENV
# source .run/env.sh to use the airflow and qbo-sync commands against the local setup
export PATH="$BIN:\$PATH"
export AIRFLOW_HOME="$ROOT/.airflow"
export AIRFLOW__CORE__DAGS_FOLDER="$ROOT/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__TEST_CONNECTION=Enabled
export AIRFLOW__CORE__FERNET_KEY="$(cat .run/fernet.key)"
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="$AIRFLOW_DB"
export AIRFLOW__CORE__EXECUTOR=LocalExecutor
# the qbo_api pool has 2 slots: on SQLite (no shared budget) each task process takes half of QBO's limits
export QBO_BUDGET_FRACTION=0.5
export AIRFLOW_CONN_CMMS_DB="$CMMS_URI"
export AIRFLOW_CONN_QUICKBOOKS_DEFAULT='{"conn_type": "quickbooks", "login": "sandbox-demo-client", "password": "sandbox-demo-secret", "host": "http://127.0.0.1:$SANDBOX_PORT", "extra": {"environment": "local", "realm_id": "$REALM", "redirect_uri": "http://localhost:8080/qbo/oauth/callback"}}'
ENV
# shellcheck disable=SC1091
source .run/env.sh

say "CMMS schema and demo data"
qbo-sync migrate
qbo-sync seed-demo

say "Connect to QuickBooks (OAuth against the sandbox) and Test Connection"
qbo-sync connect
qbo-sync test-connection

say "Airflow"
airflow db migrate >.run/airflow-migrate.log 2>&1 || { tail -20 .run/airflow-migrate.log; exit 1; }
airflow pools set qbo_api 2 "Concurrent QuickBooks Online tasks" >/dev/null
airflow dags reserialize >/dev/null 2>&1 || true

say "Full sync: airflow dags test qbo_full_sync"
airflow dags test qbo_full_sync >.run/full-sync.log 2>&1 || { tail -40 .run/full-sync.log; exit 1; }
qbo-sync report

if [ "$SERVE" = 1 ]; then
  say "Airflow UI on http://localhost:8080 (QuickBooks page: http://localhost:8080/qbo/)"
  echo "Login: see $ROOT/.airflow/simple_auth_manager_passwords.json.generated. Ctrl-C stops."
  exec airflow standalone
fi
say "Done. 'source .run/env.sh' to use airflow / qbo-sync here; 'make run' to serve the UI."
