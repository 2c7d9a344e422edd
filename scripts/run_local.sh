#!/usr/bin/env bash
# The embedded default: sandbox QBO server + local CMMS database + Airflow, then a full sync.
#   scripts/run_local.sh             set up, sync, then serve the Airflow UI on :$AIRFLOW_PORT
#   scripts/run_local.sh --no-serve  set up and sync, then exit
#   scripts/run_local.sh --stop      stop every process a run started (make stop)
# Settings (environment): AIRFLOW_PORT (8080; the OAuth redirect URL follows it), QBO_SANDBOX_PORT
# (8765), QBO_CMMS_DB (cmms_demo) and QBO_AIRFLOW_DB (airflow_demo) on the local PostgreSQL.
# The demo: CMMS customers, vendors and work orders; the chart of accounts and tax codes pulled; then
# items, invoices, bills and expenses that name them; a full sync; a partial payment the bookkeeper
# records in the sandbox company; the payments DAG; a summary per entity.
# Called by `make run` / `make demo` after `make setup`. Safe to run again. Every process it starts
# gets its own session (process group) and a pid file in .run/; --stop ends exactly those.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

stop_pidfile() {  # stop the process group recorded in $1; say so
  local f=$1 pid
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && { kill -KILL -- "-$pid" 2>/dev/null || true; }
    echo "stopped $(basename "$f" .pid) (pid $pid)"
  fi
  rm -f "$f"
}
stop_all() {
  local found=0
  for f in .run/*.pid; do
    [ -f "$f" ] || continue
    found=1
    stop_pidfile "$f"
  done
  [ "$found" = 1 ] || echo "nothing to stop"
}
if [ "${1:-}" = "--stop" ]; then stop_all; exit 0; fi

SERVE=1
[ "${1:-}" = "--no-serve" ] && SERVE=0
API_PORT=${AIRFLOW_PORT:-8080}
CMMS_DB=${QBO_CMMS_DB:-cmms_demo}
AIRFLOW_DB_NAME=${QBO_AIRFLOW_DB:-airflow_demo}
BIN=$ROOT/.venv/bin
mkdir -p .run .airflow
SANDBOX_PORT=${QBO_SANDBOX_PORT:-8765}
REALM=9341453050071234

say() { printf '\n==> %s\n' "$*"; }

say "Sandbox QuickBooks server"
SANDBOX_URL=http://127.0.0.1:$SANDBOX_PORT
sandbox_up() { curl -sf "$SANDBOX_URL/.well-known/openid_configuration" >/dev/null; }
# The sandbox registers Airflow's OAuth callback on API_PORT (Intuit matches redirect URLs exactly):
# one started for another port is restarted (a new sandbox company).
if [ -f .run/sandbox.pid ] && [ "$(cat .run/sandbox.airflow-port 2>/dev/null)" != "$API_PORT" ]; then
  echo "the running sandbox registered another Airflow port's redirect URL: restarting it"
  stop_pidfile .run/sandbox.pid
  for _ in $(seq 1 25); do sandbox_up || break; sleep 0.2; done
fi
FRESH_COMPANY=0
if ! sandbox_up; then
  REDIRECTS=()
  for uri in "http://localhost:$API_PORT/qbo/oauth/callback" "http://127.0.0.1:$API_PORT/qbo/oauth/callback"; do
    REDIRECTS+=(--redirect-uri "$uri")
  done
  setsid nohup "$BIN/python" -m qbo_sandbox --port "$SANDBOX_PORT" "${REDIRECTS[@]}" >.run/sandbox.log 2>&1 &
  echo $! >.run/sandbox.pid
  echo "$API_PORT" >.run/sandbox.airflow-port
  FRESH_COMPANY=1
  for _ in $(seq 1 50); do sandbox_up && break; sleep 0.2; done
elif [ ! -f .run/sandbox.pid ]; then
  echo "note: a sandbox server this checkout did not start answers on port $SANDBOX_PORT; using it" \
    "(QBO_SANDBOX_PORT=<port> starts this checkout's own)"
fi
echo "$SANDBOX_URL (log: .run/sandbox.log; 'make stop' stops it)"

say "CMMS database"
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && command -v pg_ctlcluster >/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  for _ in $(seq 1 20); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  if [ "$FRESH_COMPANY" = 1 ]; then  # a new sandbox company: the demo CMMS must not keep the old one's ids
    psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $CMMS_DB WITH (FORCE)"
  fi
  for db in "$CMMS_DB" "$AIRFLOW_DB_NAME"; do
    psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1 \
      || psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db"
  done
  CMMS_URI=postgresql://postgres@127.0.0.1:5432/$CMMS_DB
  AIRFLOW_DB=postgresql+psycopg2://postgres@127.0.0.1:5432/$AIRFLOW_DB_NAME
  echo "PostgreSQL at 127.0.0.1:5432 (CMMS: $CMMS_DB, Airflow: $AIRFLOW_DB_NAME)"
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
export AIRFLOW__API__PORT=$API_PORT
export AIRFLOW__API__BASE_URL="http://localhost:$API_PORT"
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://localhost:$API_PORT/execution/"
# the connections quickbooks_default and cmms_db live in Airflow's metadata database (Admin -> Connections)
ENV
# shellcheck disable=SC1091
source .run/env.sh
# Airflow reads connections from AIRFLOW_CONN_* variables before its database: the demo uses the stored ones
unset AIRFLOW_CONN_QUICKBOOKS_DEFAULT AIRFLOW_CONN_CMMS_DB

say "Airflow metadata database and the connections (Admin -> Connections)"
airflow db migrate >.run/airflow-migrate.log 2>&1 || { tail -20 .run/airflow-migrate.log; exit 1; }
airflow pools set qbo_api 2 "Concurrent QuickBooks Online tasks" >/dev/null
QBO_CONN='{"conn_type": "quickbooks", "login": "sandbox-demo-client", "password": "sandbox-demo-secret", "host": "http://127.0.0.1:'$SANDBOX_PORT'", "extra": {"environment": "local", "realm_id": "'$REALM'", "redirect_uri": "http://localhost:'$API_PORT'/qbo/oauth/callback"}}'
# added once: later edits made in the UI are kept on the next run
airflow connections get quickbooks_default >/dev/null 2>&1 \
  || airflow connections add quickbooks_default --conn-json "$QBO_CONN" >/dev/null
airflow connections get cmms_db >/dev/null 2>&1 \
  || airflow connections add cmms_db --conn-uri "$CMMS_URI" >/dev/null
# the demo seeds and pushes demo records: only into the local sandbox and the demo CMMS, never into
# a company or a CMMS someone pointed these connections at since the last run
qbo-sync demo-guard --sandbox-port "$SANDBOX_PORT" --cmms-uri "$CMMS_URI"
qbo-sync local-redirect --port "$API_PORT"  # the OAuth callback follows AIRFLOW_PORT
echo "quickbooks_default and cmms_db are stored in Airflow (edit them under Admin -> Connections)"

say "CMMS schema and demo data (customers, vendors, work orders)"
qbo-sync migrate
qbo-sync seed-demo

say "Connect to QuickBooks (OAuth against the sandbox) and Test Connection"
qbo-sync connect
qbo-sync test-connection

say "Airflow DAGs"
airflow dags reserialize >/dev/null 2>&1 || true

dag_test() {  # dag_test <log name> <dag id> [airflow dags test options]
  local log=.run/$1.log; shift
  airflow dags test "$@" >"$log" 2>&1 || { tail -40 "$log"; echo "(full log: $log)"; exit 1; }
}
say "Chart of accounts, tax codes and rates from QuickBooks: airflow dags test qbo_full_sync (reference)"
dag_test reference-sync qbo_full_sync -c '{"entities": ["accounts", "tax_codes", "tax_rates"]}'

say "Demo items, invoices, bills and expenses (they name the pulled accounts and tax codes)"
qbo-sync seed-demo

say "Full sync: airflow dags test qbo_full_sync"
dag_test full-sync qbo_full_sync

say "The bookkeeper records a partial payment in QuickBooks"
qbo-sync demo-payment
say "Payments from QuickBooks: airflow dags test qbo_payments"
dag_test payments qbo_payments
say "What the sync did, per entity"
qbo-sync report
say "The payment log and the payment batches (latest 3)"
qbo-sync payments --limit 3

start() {  # start one Airflow component in its own session, recorded in .run/<name>.pid
  local name=$1; shift
  if [ -f ".run/$name.pid" ] && kill -0 "$(cat ".run/$name.pid")" 2>/dev/null; then return; fi
  setsid nohup "$@" >".run/$name.log" 2>&1 &
  echo $! >".run/$name.pid"
}
if [ "$SERVE" = 1 ]; then
  say "Airflow: API server, scheduler, DAG processor, triggerer"
  start api-server airflow api-server --port "$API_PORT"
  start scheduler airflow scheduler
  start dag-processor airflow dag-processor
  start triggerer airflow triggerer
  for _ in $(seq 1 90); do curl -sf "http://localhost:$API_PORT/api/v2/monitor/health" >/dev/null && break; sleep 1; done
  PASSWORDS="$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated"
  echo "UI:        http://localhost:$API_PORT  (QuickBooks page: http://localhost:$API_PORT/plugin/quickbooks)"
  echo "Login:     admin / $(sed -n 's/.*"admin": *"\([^"]*\)".*/\1/p' "$PASSWORDS" 2>/dev/null || echo "see $PASSWORDS")"
  echo "Logs:      .run/*.log     Stop everything: make stop"
  exit 0
fi
say "Done. 'source .run/env.sh' to use airflow / qbo-sync here; 'make run' to serve the UI."
