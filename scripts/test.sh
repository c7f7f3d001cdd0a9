#!/usr/bin/env bash
# ./run test — install what is missing, then run the whole suite: type check,
# lint, unit and integration tests (backend on SQLite and PostgreSQL), and the
# end-to-end tests in Chromium. Every phase runs even when an earlier check
# fails, so one run shows everything that is wrong; the exit code is non-zero
# when anything failed.
#
#   --only NAME   run only that check (tsc [with API reports], lint, start, unit, e2e); repeatable
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=scripts/services.sh
source "$TENANCY_ROOT/scripts/services.sh"
cd "$TENANCY_ROOT"

ONLY=()
while [ $# -gt 0 ]; do
  case "$1" in
    --only) ONLY+=("$2"); shift 2 ;;
    *) die "unknown option $1 (see scripts/test.sh)" ;;
  esac
done
wants() {
  [ ${#ONLY[@]} -eq 0 ] && return 0
  local o
  for o in "${ONLY[@]}"; do [ "$o" = "$1" ] && return 0; done
  return 1
}

E2E_BACKEND_PID=""
E2E_DATA=""
stop_e2e_portal() {
  if [ -n "$E2E_BACKEND_PID" ]; then
    stop_tree "$E2E_BACKEND_PID"
    E2E_BACKEND_PID=""
  fi
  [ -n "$E2E_DATA" ] && rm -rf "$E2E_DATA"
  E2E_DATA=""
}
cleanup() {
  stop_e2e_portal
  stop_test_postgres
  stop_test_redis
  if [ -n "$SANDBOX_STARTED" ]; then
    sandbox_down
    SANDBOX_STARTED=""
  fi
}
SANDBOX_STARTED=""
export TENANCY_SANDBOX_DIR="$TENANCY_VAR/sandbox-test"
# Gitea's port is fixed (templates/create-service lists it in allowedHosts);
# 3301 lets the test sandbox run beside ./run start's on 3300.
export TENANCY_SANDBOX_GIT_PORT="${TENANCY_SANDBOX_GIT_PORT:-3301}"
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

app_fingerprint() {
  {
    cat yarn.lock
    find packages/app plugins -type f \
      -not -path '*/node_modules/*' -not -path '*/dist/*' -not -path '*/dist-types/*' \
      -not -path '*/e2e-tests/*' -not -name '*.test.*' 2>/dev/null | sort | xargs cat
  } | sha256sum | cut -d' ' -f1
}

# The production build of the frontend, which the backend serves in e2e;
# skipped when no frontend source changed since the last build.
build_app() {
  local stamp="packages/app/dist/.tenancy-build" fp
  fp="$(app_fingerprint)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$fp" ]; then
    log "frontend unchanged since the last build, skipping"
    return 0
  fi
  yarn workspace app build >"$TENANCY_VAR/logs/app-build.log" 2>&1 ||
    { tail -50 "$TENANCY_VAR/logs/app-build.log" >&2; return 1; }
  echo "$fp" >"$stamp"
}

# The backend on :7017 serving the built frontend, on a fresh SQLite folder so
# every run starts from the same catalog.
start_e2e_portal() {
  port_in_use 7017 && die "port 7017 is in use; the e2e portal needs it"
  # The dev-mode backend watches its config and sources with inotify; a busy
  # machine (several sandboxes, watchers) runs out of the default 128
  # instances and the backend dies with EMFILE. Raise the limit when we may.
  local inotify=/proc/sys/fs/inotify/max_user_instances
  if [ -w "$inotify" ] && [ "$(cat "$inotify")" -lt 1024 ]; then
    echo 1024 >"$inotify" 2>/dev/null || true
  fi
  E2E_DATA="$(mktemp -d /tmp/tenancy-e2e.XXXXXX)"
  (
    cd packages/backend
    # The sandbox's mkdocs, for TechDocs of the services the tests create.
    PATH="$TENANCY_SANDBOX_DIR/bin:$PATH" \
      TENANCY_SQLITE_DIR="$E2E_DATA" exec yarn backstage-cli package start \
      --config ../../app-config.yaml --config ../../app-config.e2e.yaml \
      --config "$TENANCY_SANDBOX_DIR/app-config.sandbox.yaml"
  ) >"$TENANCY_VAR/logs/e2e-backend.log" 2>&1 &
  E2E_BACKEND_PID=$!
  local deadline=$((SECONDS + 240))
  until curl -fsS -o /dev/null --max-time 5 http://localhost:7017/.backstage/health/v1/readiness 2>/dev/null; do
    if ! kill -0 "$E2E_BACKEND_PID" 2>/dev/null || [ "$SECONDS" -gt "$deadline" ]; then
      tail -40 "$TENANCY_VAR/logs/e2e-backend.log" >&2
      log "the e2e backend did not become ready (log: var/logs/e2e-backend.log)"
      return 1
    fi
    sleep 1
  done
  # Read the whole page first: `curl | grep -q` fails under pipefail when grep
  # stops reading at the match and curl cannot write the rest (curl exit 23).
  local page
  page="$(curl -fsS http://localhost:7017/)" && grep -q '<div id="root">' <<<"$page" ||
    { log "the backend does not serve the frontend at http://localhost:7017/"; return 1; }
}

run_process_tests() {
  local rc=0
  (cd packages/backend && env CI=true TENANCY_REQUIRE_POSTGRES=1 yarn test:process) || rc=$?
  # Every backend those tests start carries this marker; none may outlive them.
  local pids
  pids="$(grep -lsz -x -F TENANCY_PROCESS_TEST=1 /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3 | tr '\n' ' ')"
  if [ -n "$pids" ]; then
    log "backend processes of the process tests still running: $pids"
    ps -o pid,cmd -p "${pids// /,}" >&2 || true
    kill -KILL $pids 2>/dev/null || true
    rc=1
  fi
  return "$rc"
}

run_e2e() {
  rm -rf "$TENANCY_VAR/screenshots"
  mkdir -p "$TENANCY_VAR/screenshots"
  local rc=0
  PLAYWRIGHT_URL=http://localhost:7017 yarn playwright test || rc=$?
  if [ "$rc" != 0 ]; then
    # What the portal said while the tests ran: CI keeps only this output.
    log "the e2e portal's warnings and errors (whole log: var/logs/e2e-backend.log):"
    sed 's/\x1b\[[0-9;]*m//g' "$TENANCY_VAR/logs/e2e-backend.log" |
      grep -E ' (warn|error) | mutation: ' | cut -c1-300 | tail -60 >&2 || true
    return "$rc"
  fi
  log "screenshots: $(cd "$TENANCY_VAR/screenshots" && ls | tr '\n' ' ')(in var/screenshots/)"
}

T0="$(now)"
mkdir -p "$TENANCY_VAR/logs"
phase "toolchain (Node $TENANCY_NODE_VERSION, yarn 4)" ensure_toolchain || exit 1
phase "dependencies (yarn install)" ensure_deps || exit 1

if wants tsc; then
  # Not incremental: the API reports below read the declarations this
  # writes (dist-types), and an incremental build keeps declarations of
  # earlier runs, whose inferred types may list union members in another
  # order than a build from scratch.
  phase "type check (tsc)" yarn tsc --incremental false || true
  # The benches are outside the root tsconfig (packages and plugins only);
  # they are not run here, but they must keep compiling.
  phase "type check (bench/)" yarn tsc -p bench || true
  # A change to a published package's API without its report.api.md fails
  # here; regenerate the reports with `yarn api-reports:update`.
  phase "API reports (published packages)" bash scripts/check-api-reports.sh || true
fi
if wants lint; then
  phase "lint (eslint, all packages)" yarn backstage-cli repo lint || true
  phase "format (prettier --check)" yarn prettier --check --loglevel warn . || true
fi
if wants start; then
  # The README's first command, exactly as typed, on its own sandbox and ports.
  phase "./run start (the README's first command; Ctrl-C)" bash scripts/check-start.sh || true
fi
if wants unit || wants e2e; then
  phase "sandbox up (3 clusters, moto, seed)" sandbox_up || exit 1
  SANDBOX_STARTED=1
fi
if wants unit; then
  phase "template checks (every template, dry run on the sandbox)" yarn templates:check || true
  phase "PostgreSQL for the backend tests" start_test_postgres || exit 1
  phase "Redis for the two-replica tests" start_test_redis || exit 1
  # CI=true: one run, no watch mode. TENANCY_REQUIRE_POSTGRES makes the
  # backend's database tests fail rather than quietly skip PostgreSQL.
  phase "unit + integration tests (SQLITE_3, $TENANCY_TEST_POSTGRES_ID)" \
    env CI=true TENANCY_REQUIRE_POSTGRES=1 yarn backstage-cli repo test --verbose || true
  # Tests that start the portal's backend as real processes and kill -9 them
  # (packages/backend/src/*.process.test.ts): one at a time, after the others,
  # so their backends do not starve the timing-sensitive tests above.
  phase "crash + replica tests (backend processes, kill -9; SQLITE_3, $TENANCY_TEST_POSTGRES_ID, Redis)" \
    run_process_tests || true
  stop_test_postgres
  stop_test_redis
fi
if wants e2e; then
  phase "Chromium" ensure_chromium || exit 1
  if phase "frontend production build" build_app &&
    phase "portal for e2e (backend :7017 serving the build)" start_e2e_portal; then
    phase "end-to-end tests (Chromium)" run_e2e || true
  fi
  stop_e2e_portal
fi
if [ -n "$SANDBOX_STARTED" ]; then
  phase "sandbox down" sandbox_down || true
  SANDBOX_STARTED=""
  phase "nothing left running" sandbox_left_behind || true
fi
cleanup

print_phase_summary "$T0"
if [ ${#FAILED_PHASES[@]} -gt 0 ]; then
  printf '\n\033[31mFAILED:\033[0m %s\n' "${FAILED_PHASES[*]}" >&2
  exit 1
fi
printf '\n\033[32mAll checks passed.\033[0m\n' >&2
