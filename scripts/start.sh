#!/usr/bin/env bash
# ./run start — install what is missing, then run the portal in the foreground:
# frontend dev server on http://localhost:3000, backend on http://localhost:7007.
# First brings up the local sandbox (packages/sandbox) and points the portal at
# it. Ctrl-C (or TERM) stops the frontend, the backend, the sandbox and
# everything they started.
#
#   --keep-sandbox   leave the sandbox running on exit (faster next start)
#   --no-sandbox     start the portal alone
#
# TENANCY_APP_PORT / TENANCY_BACKEND_PORT (default 3000 / 7007) move the portal
# to other ports, e.g. to run a second one beside it (the test command's
# start-command check does); TENANCY_SANDBOX_DIR picks the sandbox's state folder.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=scripts/services.sh
source "$TENANCY_ROOT/scripts/services.sh"
cd "$TENANCY_ROOT"
TENANCY_SANDBOX_DIR="${TENANCY_SANDBOX_DIR:-$TENANCY_VAR/sandbox}"
mkdir -p "$TENANCY_SANDBOX_DIR"
TENANCY_SANDBOX_DIR="$(cd "$TENANCY_SANDBOX_DIR" && pwd)"
export TENANCY_SANDBOX_DIR
APP_PORT="${TENANCY_APP_PORT:-3000}"
BACKEND_PORT="${TENANCY_BACKEND_PORT:-7007}"

KEEP_SANDBOX=""
PORTAL_ARGS=()
for arg in "$@"; do
  case "$arg" in
    --keep-sandbox) KEEP_SANDBOX=1 ;;
    --no-sandbox) NO_SANDBOX=1 ;;
    *) PORTAL_ARGS+=("$arg") ;;
  esac
done

T0="$(now)"
phase "toolchain (Node $TENANCY_NODE_VERSION, yarn 4)" ensure_toolchain || exit 1
phase "dependencies (yarn install)" ensure_deps || exit 1

for port in "$APP_PORT" "$BACKEND_PORT"; do
  if port_in_use "$port"; then
    die "port $port is already in use — is the portal already running? ($(command -v ss >/dev/null && ss -ltnpH "sport = :$port" | head -1))"
  fi
done

# Local data (SQLite, one file per plugin) lives in the git-ignored var/ folder
# and survives restarts; delete var/sqlite for a clean slate.
mkdir -p "$TENANCY_VAR/sqlite"

# Absolute paths: `backstage-cli repo start` resolves a relative --config
# against each package's own folder (packages/backend/app-config.yaml), not
# against the folder it was started from.
CONFIGS=(--config "$TENANCY_ROOT/app-config.yaml")
SANDBOX_STARTED=""
if [ -z "${NO_SANDBOX:-}" ]; then
  if phase "sandbox (3 clusters, AWS Organizations, seed data)" sandbox_up; then
    SANDBOX_STARTED=1
    CONFIGS+=(--config "$TENANCY_SANDBOX_DIR/app-config.sandbox.yaml")
    # The sandbox's mkdocs (TechDocs builds a service's docs with it).
    export PATH="$TENANCY_SANDBOX_DIR/bin:$PATH"
  else
    log "The sandbox could not start (see above); starting the portal without it."
    log "To point the portal at real clusters, put them in app-config.local.yaml under"
    log "kubernetes.clusterLocatorMethods (see README: 'Using real clusters')."
  fi
fi
[ -f app-config.local.yaml ] && CONFIGS+=(--config "$TENANCY_ROOT/app-config.local.yaml")
if [ "$APP_PORT" != 3000 ] || [ "$BACKEND_PORT" != 7007 ]; then
  # Written last so it wins over every other file.
  PORTS_CONFIG="$TENANCY_VAR/app-config.ports-$APP_PORT-$BACKEND_PORT.yaml"
  cat >"$PORTS_CONFIG" <<YAML
# Written by ./run start for TENANCY_APP_PORT=$APP_PORT TENANCY_BACKEND_PORT=$BACKEND_PORT.
app:
  baseUrl: http://localhost:$APP_PORT
backend:
  baseUrl: http://localhost:$BACKEND_PORT
  listen:
    port: $BACKEND_PORT
  cors:
    origin: http://localhost:$APP_PORT
YAML
  CONFIGS+=(--config "$PORTS_CONFIG")
fi
print_phase_summary "$T0"

log "starting the portal: frontend http://localhost:$APP_PORT, backend http://localhost:$BACKEND_PORT — Ctrl-C stops it"
yarn start "${CONFIGS[@]}" "${PORTAL_ARGS[@]}" &
PORTAL_PID=$!

(
  if wait_for_url "http://localhost:$BACKEND_PORT/.backstage/health/v1/readiness" 600 &&
    wait_for_url "http://localhost:$APP_PORT" 600; then
    printf '\n\033[1;32m✔ portal ready\033[0m after %ss: http://localhost:%s\n\n' "$(elapsed "$T0")" "$APP_PORT" >&2
  fi
) &
WATCHER_PID=$!

shutdown() {
  trap - INT TERM
  log "stopping the portal"
  kill "$WATCHER_PID" 2>/dev/null || true
  stop_tree "$PORTAL_PID"
  if [ -n "$SANDBOX_STARTED" ] && [ -z "$KEEP_SANDBOX" ]; then
    sandbox_down
    SANDBOX_STARTED=""
  fi
}
trap 'shutdown; exit 130' INT
trap 'shutdown; exit 143' TERM

rc=0
wait "$PORTAL_PID" || rc=$?
shutdown
exit "$rc"
