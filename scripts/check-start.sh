#!/usr/bin/env bash
# The README's first command, run the way a person runs it: `./run start` from
# the repository root, in a process group of its own as a terminal would
# start it. It gets its own sandbox state folder, Gitea port, portal ports and
# SQLite folder, so it can run beside the test command's sandbox and beside a
# `./run start` someone already has open. Then:
#
#   - waits for the backend's readiness and the frontend dev server's page and
#     reads the guest's team page as the app on that page would (scripts/start-probe.mjs);
#   - presses Ctrl-C: SIGINT to the whole process group;
#   - checks that `./run start` exited and that nothing it started is left
#     (its process group, every sandbox process, the ports).
#
# Fails, saying the portal did not come up, when any of that does not hold.
# Its output is in var/logs/run-start.log.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=scripts/services.sh
source "$TENANCY_ROOT/scripts/services.sh"
cd "$TENANCY_ROOT"
ensure_toolchain

APP_PORT="${TENANCY_START_CHECK_APP_PORT:-3010}"
BACKEND_PORT="${TENANCY_START_CHECK_BACKEND_PORT:-7010}"
STATE="$TENANCY_VAR/sandbox-start"
# For sandbox_down / sandbox_left_behind below (./run start gets it too).
export TENANCY_SANDBOX_DIR="$STATE"
LOG="$TENANCY_VAR/logs/run-start.log"
mkdir -p "$TENANCY_VAR/logs" "$STATE"
for port in "$APP_PORT" "$BACKEND_PORT"; do
  port_in_use "$port" && die "port $port is in use; the start-command check needs it (TENANCY_START_CHECK_APP_PORT / TENANCY_START_CHECK_BACKEND_PORT pick others)"
done
# A sandbox an earlier, killed check left running.
sandbox_down >/dev/null 2>&1 || true

PID=""
PGID=""
SQLITE=""
# Live members of the group (zombies waiting to be reaped do not count).
group_alive() {
  ps -e -o pgid=,stat= | awk -v g="$PGID" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}
cleanup() {
  if [ -n "$PGID" ] && group_alive; then
    kill -KILL -- "-$PGID" 2>/dev/null || true
  elif [ -n "$PID" ]; then
    kill -KILL "$PID" 2>/dev/null || true
  fi
  sandbox_down >/dev/null 2>&1 || true
  [ -z "$SQLITE" ] || rm -rf "$SQLITE"
}
trap cleanup EXIT
SQLITE="$(mktemp -d /tmp/tenancy-start-check.XXXXXX)"

# setsid: a new session and process group led by ./run start, like a shell's
# foreground job; Ctrl-C is SIGINT to that group. A script starts background
# commands with SIGINT ignored (and bash cannot trap a signal ignored on
# entry): --default-signal gives ./run start a terminal's disposition.
setsid env --default-signal=INT,QUIT \
  TENANCY_APP_PORT="$APP_PORT" \
  TENANCY_BACKEND_PORT="$BACKEND_PORT" \
  TENANCY_SANDBOX_GIT_PORT="${TENANCY_START_CHECK_GIT_PORT:-3302}" \
  TENANCY_SQLITE_DIR="$SQLITE" \
  ./run start </dev/null >"$LOG" 2>&1 &
PID=$!
# setsid makes ./run start the leader of its own group (PGID = its PID) as it
# execs; until then the child is still in this script's group, which must
# never be signalled.
for _ in $(seq 1 50); do
  if [ "$(ps -o pgid= -p "$PID" 2>/dev/null | tr -d ' ')" = "$PID" ]; then
    PGID="$PID"
    break
  fi
  sleep 0.1
done
[ -n "$PGID" ] || die "./run start did not get a process group of its own"
log "./run start is pid $PID (process group $PGID); its output: var/logs/run-start.log"

rc=0
node scripts/start-probe.mjs \
  --app "http://localhost:$APP_PORT" \
  --backend "http://localhost:$BACKEND_PORT" \
  --pid "$PID" --log "$LOG" --timeout "${TENANCY_START_CHECK_TIMEOUT:-600}" \
  --setup-timeout "${TENANCY_START_CHECK_SETUP_TIMEOUT:-2700}" || rc=$?
if [ "$rc" -ne 0 ]; then
  log "last lines of ./run start's output:"
  tail -40 "$LOG" | sed 's/^/    /' >&2
  die "the portal did not come up with ./run start (log: var/logs/run-start.log)"
fi

# Ctrl-C.
t0="$(now)"
kill -INT -- "-$PGID" || die "./run start's process group was gone before Ctrl-C"
deadline=$((SECONDS + 120))
while kill -0 "$PID" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.5; done
if kill -0 "$PID" 2>/dev/null; then
  tail -20 "$LOG" | sed 's/^/    /' >&2
  die "./run start did not exit within 120 s of Ctrl-C"
fi
code=0
wait "$PID" || code=$?
# start.sh exits 130 after Ctrl-C, once it has stopped everything.
[ "$code" -eq 130 ] || die "./run start exited with $code after Ctrl-C, not 130 (see var/logs/run-start.log)"
log "./run start exited $(elapsed "$t0") s after Ctrl-C (exit 130)"

left=0
# Give the last children a moment to finish exiting.
for _ in $(seq 1 20); do group_alive || break; sleep 0.5; done
if group_alive; then
  log "processes of ./run start still running after Ctrl-C:"
  ps -e -o pgid=,pid=,cmd= | awk -v g="$PGID" '$1 == g' >&2 || true
  left=1
fi
sandbox_left_behind || left=1
for port in "$APP_PORT" "$BACKEND_PORT"; do
  if port_in_use "$port"; then
    log "port $port still answers after Ctrl-C"
    left=1
  fi
done
[ "$left" -eq 0 ] || die "Ctrl-C left processes of ./run start running"
log "nothing ./run start started is left (its process group, the sandbox, ports $APP_PORT and $BACKEND_PORT)"
