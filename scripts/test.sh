#!/usr/bin/env bash
# Runs every test of the solution on real components.
#   1. PostgreSQL 15 and RabbitMQ: installed from Debian packages when absent, started when stopped
#      (idempotent, and quick when everything is already up); Debian's Chromium for the browser tests.
#   2. dotnet test on Workflows.sln.
#   3. A last line "tests: N passed, N failed, N skipped".
# Under CI=true a PostgreSQL, RabbitMQ or Chromium that cannot be provisioned fails the run; elsewhere it is a
# warning and the tests that need it fail on their own. SQL Server cannot be installed here: its
# dialect runs whenever WORKFLOWS_TEST_SQLSERVER holds a connection string.
set -uo pipefail
cd "$(dirname "$0")/.."

ci=${CI:-false}
apt_updated=0

say() { printf '%s\n' "$*" >&2; }

missing() {
    if [ "$ci" = "true" ]; then
        say "error: $1"
        exit 1
    fi
    say "warning: $1; the tests that need it will fail"
}

apt_install() {
    if [ "$apt_updated" = 0 ]; then
        apt-get update -qq >/dev/null 2>&1 || true
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1
}

provision_postgres() {
    if ! command -v pg_lsclusters >/dev/null 2>&1 || ! pg_lsclusters 2>/dev/null | grep -q '^15 '; then
        say "installing PostgreSQL 15"
        apt_install postgresql || return 1
    fi
    if ! pg_lsclusters 2>/dev/null | grep -qE '^15 +main +[0-9]+ +online'; then
        pg_ctlcluster 15 main start >/dev/null 2>&1 || return 1
    fi
    for _ in $(seq 1 30); do
        su postgres -c "pg_isready -q" >/dev/null 2>&1 && break
        sleep 1
    done
    su postgres -c "pg_isready -q" >/dev/null 2>&1 || return 1
    su postgres -c "psql -q -c \"CREATE ROLE workflows LOGIN SUPERUSER PASSWORD 'workflows'\"" >/dev/null 2>&1 || true
}

provision_rabbitmq() {
    if ! command -v rabbitmq-server >/dev/null 2>&1; then
        say "installing RabbitMQ"
        apt_install rabbitmq-server || return 1
    fi
    if ! rabbitmq-diagnostics -q ping >/dev/null 2>&1; then
        (setsid rabbitmq-server >/tmp/workflows-rabbitmq.log 2>&1 &)
        for _ in $(seq 1 90); do
            rabbitmq-diagnostics -q ping >/dev/null 2>&1 && break
            sleep 1
        done
    fi
    rabbitmq-diagnostics -q ping >/dev/null 2>&1
}

provision_chromium() {
    if [ ! -x /usr/bin/chromium ]; then
        say "installing Chromium"
        apt_install chromium || return 1
    fi
    [ -x /usr/bin/chromium ]
}

if provision_postgres; then
    export WORKFLOWS_TEST_POSTGRES="${WORKFLOWS_TEST_POSTGRES:-Host=127.0.0.1;Port=5432;Username=workflows;Password=workflows;Database=postgres;SSL Mode=Disable}"
    say "PostgreSQL is up"
else
    missing "PostgreSQL 15 could not be installed or started"
fi

if provision_rabbitmq; then
    export WORKFLOWS_TEST_RABBITMQ="${WORKFLOWS_TEST_RABBITMQ:-amqp://guest:guest@127.0.0.1:5672/}"
    say "RabbitMQ is up"
else
    missing "RabbitMQ could not be installed or started"
fi

if provision_chromium; then
    export WORKFLOWS_TEST_CHROMIUM="${WORKFLOWS_TEST_CHROMIUM:-/usr/bin/chromium}"
    say "Chromium is there"
else
    missing "Chromium could not be installed"
fi

[ -n "${WORKFLOWS_TEST_SQLSERVER:-}" ] && say "SQL Server dialect: on (WORKFLOWS_TEST_SQLSERVER is set)" \
    || say "SQL Server dialect: off (set WORKFLOWS_TEST_SQLSERVER to a connection string to run it)"

log=$(mktemp)
dotnet test Workflows.sln -c Release 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# One summary line per test project: "Passed!  - Failed: 0, Passed: 567, Skipped: 0, Total: 567, ...".
read -r passed failed skipped < <(grep -E '^(Passed|Failed)! +- ' "$log" | awk '
    { for (i = 1; i <= NF; i++) { v = $(i + 1); gsub(",", "", v)
        if ($i == "Passed:") p += v; if ($i == "Failed:") f += v; if ($i == "Skipped:") s += v } }
    END { printf "%d %d %d\n", p, f, s }')
if grep -q "Test Run Aborted" "$log" && [ "$status" = 0 ]; then
    status=1
fi
rm -f "$log"

echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
