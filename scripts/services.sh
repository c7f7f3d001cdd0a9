# shellcheck shell=bash
# Chromium and PostgreSQL for the test command, from Debian's packages when the
# machine lacks them. Sourced after scripts/lib.sh.

ensure_chromium() {
  if [ -n "${TENANCY_CHROMIUM:-}" ]; then
    [ -x "$TENANCY_CHROMIUM" ] || die "TENANCY_CHROMIUM=$TENANCY_CHROMIUM is not executable"
  elif command -v chromium >/dev/null; then
    TENANCY_CHROMIUM="$(command -v chromium)"
  else
    log "installing Chromium from Debian's packages (playwright's own browser download is not used)"
    apt_install chromium || return $?
    TENANCY_CHROMIUM="$(command -v chromium)"
  fi
  export TENANCY_CHROMIUM
  log "$("$TENANCY_CHROMIUM" --version 2>/dev/null) at $TENANCY_CHROMIUM"
}

pg_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/postgres" ] && { echo "$d"; return 0; }
  done
  command -v postgres >/dev/null && { dirname "$(command -v postgres)"; return 0; }
  return 1
}

free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Starts a private, throw-away PostgreSQL on 127.0.0.1 for this run (its own
# data folder and port, so it never touches a server the machine already runs),
# and exports the connection string Backstage's TestDatabases reads. Set
# TENANCY_TEST_PG_URL to use an existing server instead.
TENANCY_PG_DIR=""
start_test_postgres() {
  local url
  if [ -n "${TENANCY_TEST_PG_URL:-}" ]; then
    url="$TENANCY_TEST_PG_URL"
    log "using the PostgreSQL server from TENANCY_TEST_PG_URL"
  else
    local bindir
    if ! bindir="$(pg_bindir)"; then
      log "installing PostgreSQL from Debian's packages"
      apt_install postgresql || return $?
      bindir="$(pg_bindir)" || die "postgres not found after installing"
      # The package may start its own cluster; ours is separate, so stop it.
      as_root service postgresql stop >/dev/null 2>&1 || true
    fi
    local port run=()
    port="$(free_port)"
    TENANCY_PG_DIR="$(mktemp -d /tmp/tenancy-pg.XXXXXX)"
    # PostgreSQL refuses to run as root.
    if [ "$(id -u)" -eq 0 ]; then
      chown postgres: "$TENANCY_PG_DIR"
      run=(runuser -u postgres --)
    fi
    # (from /, which the postgres user can always enter)
    (cd / && "${run[@]}" "$bindir/initdb" -D "$TENANCY_PG_DIR/data" -U tenancy -A trust --no-sync >/dev/null) ||
      die "initdb failed"
    (cd / && "${run[@]}" "$bindir/pg_ctl" -D "$TENANCY_PG_DIR/data" -l "$TENANCY_PG_DIR/log" -w -t 60 \
      -o "-h 127.0.0.1 -p $port -k $TENANCY_PG_DIR -c fsync=off -c max_connections=200" start >/dev/null) ||
      { cat "$TENANCY_PG_DIR/log" >&2; die "PostgreSQL did not start"; }
    url="postgresql://tenancy@127.0.0.1:$port"
    # Tells the backend tests they need not drop their databases: this server
    # and its data folder are deleted after the run.
    export TENANCY_TEST_PG_EPHEMERAL=1
    TENANCY_PG_BINDIR="$bindir"
    log "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $TENANCY_PG_DIR)"
  fi
  local major
  major="$(cd "$TENANCY_ROOT/packages/backend" && PGURL="$url/postgres" node -e '
    const { Client } = require("pg");
    const c = new Client({ connectionString: process.env.PGURL });
    c.connect()
      .then(() => c.query("show server_version_num"))
      .then(r => { console.log(String(r.rows[0].server_version_num).slice(0, 2)); return c.end(); })
      .catch(e => { console.error(e.message); process.exit(1); });
  ')" || die "cannot connect to PostgreSQL at the test URL"
  # Backstage's TestDatabases picks the server up by this variable name; the
  # backend tests run on every id whose variable is set, plus SQLite.
  export "BACKSTAGE_TEST_DATABASE_POSTGRES${major}_CONNECTION_STRING=$url"
  export TENANCY_TEST_POSTGRES_ID="POSTGRES_${major}"
}

stop_test_postgres() {
  [ -n "$TENANCY_PG_DIR" ] || return 0
  local run=()
  [ "$(id -u)" -eq 0 ] && run=(runuser -u postgres --)
  (cd / && "${run[@]}" "$TENANCY_PG_BINDIR/pg_ctl" -D "$TENANCY_PG_DIR/data" -m immediate -w stop >/dev/null 2>&1) || true
  rm -rf "$TENANCY_PG_DIR"
  TENANCY_PG_DIR=""
}

# Starts a private, throw-away Redis (Debian's redis-server; Backstage's
# `redis` cache store speaks to Redis and Valkey alike) on a free 127.0.0.1
# port, with no persistence, and exports its URL as TENANCY_TEST_REDIS_URL for
# the tests that run several backend replicas on one shared cache. Set
# TENANCY_TEST_REDIS_URL to use a server you already run instead.
TENANCY_REDIS_DIR=""
TENANCY_REDIS_PID=""
start_test_redis() {
  if [ -n "${TENANCY_TEST_REDIS_URL:-}" ]; then
    log "using the Redis server from TENANCY_TEST_REDIS_URL"
    return 0
  fi
  if ! command -v redis-server >/dev/null; then
    log "installing redis-server from Debian's packages"
    apt_install redis-server || return $?
    # The package may start its own server; ours is separate, so stop it.
    as_root service redis-server stop >/dev/null 2>&1 || true
  fi
  local port
  port="$(free_port)"
  TENANCY_REDIS_DIR="$(mktemp -d /tmp/tenancy-redis.XXXXXX)"
  redis-server --bind 127.0.0.1 --port "$port" --dir "$TENANCY_REDIS_DIR" \
    --save '' --appendonly no --daemonize no --logfile "$TENANCY_REDIS_DIR/log" &
  TENANCY_REDIS_PID=$!
  local deadline=$((SECONDS + 30))
  until redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; do
    if ! kill -0 "$TENANCY_REDIS_PID" 2>/dev/null || [ "$SECONDS" -gt "$deadline" ]; then
      cat "$TENANCY_REDIS_DIR/log" >&2 2>/dev/null || true
      die "redis-server did not start"
    fi
    sleep 0.2
  done
  export TENANCY_TEST_REDIS_URL="redis://127.0.0.1:$port"
  log "$(redis-server --version | awk '{print $1, $2, $3}') on 127.0.0.1:$port"
}

stop_test_redis() {
  [ -n "$TENANCY_REDIS_PID" ] || return 0
  kill "$TENANCY_REDIS_PID" 2>/dev/null || true
  wait "$TENANCY_REDIS_PID" 2>/dev/null || true
  rm -rf "$TENANCY_REDIS_DIR"
  TENANCY_REDIS_PID=""
  TENANCY_REDIS_DIR=""
}

# The sandbox (packages/sandbox): three kube-apiservers with simulated nodes,
# AWS Organizations on moto behind a fault layer, seed data. The test command
# uses its own state folder, so it never stops a sandbox `./run start` runs.
sandbox_up() {
  (cd "$TENANCY_ROOT" && yarn sandbox up)
}

sandbox_down() {
  [ -f "$TENANCY_SANDBOX_DIR/ports.json" ] || return 0
  (cd "$TENANCY_ROOT" && yarn sandbox down) || true
}

# Fails when any process started for this sandbox still runs.
sandbox_left_behind() {
  local marker="TENANCY_SANDBOX_MEMBER_OF=$(cd "$TENANCY_SANDBOX_DIR" 2>/dev/null && pwd)"
  local pids
  pids="$(grep -lsz -x -F "$marker" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3 | tr '\n' ' ')"
  if [ -n "$pids" ]; then
    log "sandbox processes still running after down: $pids"
    ps -o pid,cmd -p ${pids// /,} >&2 || true
    return 1
  fi
  log "no sandbox process left behind (checked every process's environment)"
}
