#!/usr/bin/env bash
# ./run test-install — proves the public packages work outside this repo:
#
#   1. builds every public workspace under plugins/ (no "private": true) and
#      packs it with `yarn pack`, as it would be published;
#   2. checks the tarballs: built code in main/types, every import a declared
#      dependency, no workspace: ranges (install-test/check-tarballs.mjs);
#   3. makes an app with Backstage's own template (@backstage/create-app, the
#      release in backstage.json), outside this repo so nothing resolves from
#      its node_modules, adds the suite as the packages' READMEs say
#      (install-test/prepare-app.mjs) with every @tenancy package taken from
#      its tarball, and installs it;
#   4. type-checks the app (the README lines against the packed types);
#   5. starts the app's backend (`yarn start` in packages/backend, 127.0.0.1,
#      a free port) and asks /api/tenancy and the scaffolder's action list
#      (install-test/probe.mjs).
#
# Every phase prints its time; exit code non-zero when any of it failed.
# Cached in $TENANCY_CACHE/install-test (keyed by the packages' sources and
# the create-app version), so a second run skips the build, the template and
# most of the install.
#
#   TENANCY_CREATE_APP_VERSION   create-app to use (default 0.9.2 = Backstage 1.55.0)
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$TENANCY_ROOT"

CREATE_APP_VERSION="${TENANCY_CREATE_APP_VERSION:-0.9.2}"
HERE="$TENANCY_ROOT/scripts/install-test"
WORK="$TENANCY_CACHE/install-test"
LOGS="$TENANCY_VAR/logs"
RUNNER="$WORK/create-app-$CREATE_APP_VERSION"
TEMPLATE="$WORK/template-$CREATE_APP_VERSION"
APP="$WORK/app-$CREATE_APP_VERSION"
BACKEND_PID=""
PORT=""
CLUSTER_PORT=""
TARBALLS=""
TSC_OK=""

stop_backend() {
  if [ -n "$BACKEND_PID" ]; then
    stop_tree "$BACKEND_PID"
    BACKEND_PID=""
  fi
  # Every process of this run's backend carries this marker; none may
  # outlive the test (a dev-mode backend whose parent died keeps running).
  local pids
  pids="$(grep -lsz -x -F "TENANCY_INSTALL_TEST_BACKEND=$$" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3 | tr '\n' ' ')" || true
  if [ -n "${pids// /}" ]; then
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
  fi
}
trap stop_backend EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

finish() {
  stop_backend
  rm -f "$WORK/tarballs/.sources-$$" "$WORK/tarballs/.sources-after-$$"
  print_phase_summary "$T0"
  if [ ${#FAILED_PHASES[@]} -gt 0 ]; then
    printf '\n\033[31mFAILED:\033[0m %s\n' "${FAILED_PHASES[*]}" >&2
    printf '(logs: var/logs/install-test-*.log; the app: %s)\n' "$APP" >&2
    exit 1
  fi
  printf '\n\033[32mThe packed packages install and run in a fresh Backstage app.\033[0m\n' >&2
  exit 0
}

# run_logged LOG CMD... — CMD's output into LOG; its tail on failure.
run_logged() {
  local logfile="$1"
  shift
  "$@" >>"$logfile" 2>&1 && return 0
  local rc=$?
  tail -40 "$logfile" >&2
  log "failed: $* (log: ${logfile#"$TENANCY_ROOT"/})"
  return "$rc"
}

free_port() {
  local p
  while :; do
    p="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
    case "$p" in 7007 | 7010 | 7017) continue ;; esac
    [ "$p" != "$PORT" ] && { echo "$p"; return 0; }
  done
}

# The public packages: every plugins/* workspace not marked private.
discover_packages() {
  PACKAGES_JSON="$(node -e '
    const fs = require("fs"), path = require("path");
    const out = [];
    for (const d of fs.readdirSync("plugins").sort()) {
      const f = path.join("plugins", d, "package.json");
      if (!fs.existsSync(f)) continue;
      const p = JSON.parse(fs.readFileSync(f, "utf8"));
      if (p.private) continue;
      out.push({ dir: path.join("plugins", d), name: p.name, version: p.version,
        role: p.backstage?.role, pluginId: p.backstage?.pluginId });
    }
    console.log(JSON.stringify(out));')"
  mapfile -t PACKAGE_DIRS < <(node -e 'for (const p of JSON.parse(process.argv[1])) console.log(p.dir)' "$PACKAGES_JSON")
  [ ${#PACKAGE_DIRS[@]} -gt 0 ] || { log "no public package under plugins/"; return 1; }
  log "public packages: $(node -e 'console.log(JSON.parse(process.argv[1]).map(p => p.name).join(", "))' "$PACKAGES_JSON")"
}

# What the tarballs are made from: the packages' files but their tests, the
# lockfile, the TypeScript and yarn setup.
# (The list of files and their hashes stays in $1, when given.)
sources_fingerprint() {
  local listing="${1:-/dev/null}"
  {
    node --version
    sha256sum yarn.lock package.json tsconfig.json .yarnrc.yml
    find "${PACKAGE_DIRS[@]}" -type f -not -path '*/node_modules/*' -not -path '*/dist/*' \
      -not -name '*.test.ts' -not -name '*.test.tsx' -not -path '*/__testUtils__/*' -print0 |
      sort -z | xargs -0 sha256sum
  } | tee "$listing" | sha256sum | cut -c1-16
}

tarballs_cached() {
  FINGERPRINT="$(sources_fingerprint "$WORK/tarballs/.sources-$$")"
  TARBALLS="$WORK/tarballs/$FINGERPRINT"
  [ -f "$TARBALLS/index.json" ]
}

# dist-types: `backstage-cli package build` makes each package's
# dist/index.d.ts from them. The repo's own tsconfig, limited to what the
# public packages ship (their src/ without tests, and what it imports): a type
# error in a test or an unrelated package is `./run test`'s business, not
# this one's. The config lives in dist-types/ (ignored by git) so that
# TypeScript finds the repo's node_modules/@types from it.
declarations() {
  mkdir -p dist-types || return 1
  node -e '
    const [json] = process.argv.slice(1);
    const include = JSON.parse(json).flatMap(p => [`../${p.dir}/src`, `../${p.dir}/config.d.ts`]);
    console.log(JSON.stringify({
      extends: "../tsconfig.json",
      include,
      exclude: ["../node_modules", "../**/*.test.ts", "../**/*.test.tsx",
        "../**/__testUtils__/**", "../**/setupTests.ts"],
      compilerOptions: { rootDir: "..", outDir: ".", tsBuildInfoFile: "./install-test.tsbuildinfo" },
    }, null, 2));
  ' "$PACKAGES_JSON" >dist-types/install-test.tsconfig.json || return 1
  run_logged "$LOGS/install-test-tsc-packages.log" yarn tsc -p dist-types/install-test.tsconfig.json
}

build_packages() {
  local logfile="$LOGS/install-test-build.log" dir
  : >"$logfile"
  for dir in "${PACKAGE_DIRS[@]}"; do
    log "backstage-cli package build: $dir"
    (cd "$dir" && run_logged "$logfile" yarn backstage-cli package build) || return $?
  done
}

pack_packages() {
  local out="$WORK/tarballs/.packing-$$" logfile="$LOGS/install-test-pack.log" i=0 dir
  : >"$logfile"
  # Left by earlier runs: half-packed sets, sets that were used once.
  find "$WORK/tarballs" -maxdepth 1 \( -name '.packing-*' -o -name '.once-*' -o -name '.sources-*' \) \
    -not -name "*-$$" -exec rm -rf {} +
  mkdir -p "$out"
  for dir in "${PACKAGE_DIRS[@]}"; do
    log "yarn pack: $dir"
    mkdir -p "$out/$i"
    (cd "$dir" && run_logged "$logfile" yarn pack --out "$out/$i/package.tgz") || return $?
    i=$((i + 1))
  done
  # Named by content, in one folder for all sets: yarn caches a file:
  # tarball by its path, so a changed package must get a new path and an
  # unchanged one keeps its own (and is not installed again).
  mkdir -p "$WORK/tarballs/files"
  node -e '
    const fs = require("fs"), path = require("path"), crypto = require("crypto");
    const [out, json] = process.argv.slice(1);
    const pool = path.join(out, "..", "files");
    const index = JSON.parse(json).map((p, i) => {
      const from = path.join(out, String(i), "package.tgz");
      const sha = crypto.createHash("sha256").update(fs.readFileSync(from)).digest("hex").slice(0, 12);
      const file = `${p.name.replace(/^@/, "").replace(/\//g, "-")}-${p.version}-${sha}.tgz`;
      const to = path.join(pool, file);
      if (fs.existsSync(to)) fs.rmSync(from);
      else fs.renameSync(from, to);
      fs.rmdirSync(path.join(out, String(i)));
      console.log(`  ${file} (${Math.round(fs.statSync(to).size / 1024)} KiB)`);
      return { ...p, file: path.join("..", "files", file) };
    });
    fs.writeFileSync(path.join(out, "index.json"), JSON.stringify(index, null, 2));
  ' "$out" "$PACKAGES_JSON" >&2
  # Keep the tarballs for the next run only if nothing changed meanwhile
  # (others may be editing the packages while this one builds).
  local after="$WORK/tarballs/.sources-after-$$"
  if [ -n "$TSC_OK" ] && [ "$(sources_fingerprint "$after")" = "$FINGERPRINT" ]; then
    rm -rf "$TARBALLS"
    mv "$out" "$TARBALLS"
    # The last three sets are enough.
    (cd "$WORK/tarballs" && ls -1t | grep -v -e '^\.' -e '^files$' | tail -n +4 | xargs -r rm -rf)
  else
    if [ -z "$TSC_OK" ]; then
      log "not cached (tsc failed): these tarballs are used once"
    else
      log "not cached: these files changed while the packages were built (the tarballs are used once):"
      diff "$WORK/tarballs/.sources-$$" "$after" | sed -n 's/^[<>] [0-9a-f]*  /    /p' | sort -u | head -10 >&2
    fi
    TARBALLS="$WORK/tarballs/.once-$$"
    rm -rf "$TARBALLS"
    mv "$out" "$TARBALLS"
  fi
  rm -f "$WORK/tarballs/.sources-$$" "$after"
  # Tarballs no set refers to any more.
  node -e '
    const fs = require("fs"), path = require("path");
    const dir = process.argv[1], used = new Set();
    for (const set of fs.readdirSync(dir)) {
      const f = path.join(dir, set, "index.json");
      if (fs.existsSync(f)) for (const p of JSON.parse(fs.readFileSync(f, "utf8"))) used.add(path.basename(p.file));
    }
    for (const f of fs.readdirSync(path.join(dir, "files"))) if (!used.has(f)) fs.rmSync(path.join(dir, "files", f));
  ' "$WORK/tarballs"
}

check_tarballs() {
  node "$HERE/check-tarballs.mjs" "$TARBALLS"
}

# The app must not sit below a node_modules or a package.json of something
# else: Node would resolve missing dependencies from there and hide them.
check_app_location() {
  local d="$WORK"
  while [ "$d" != / ]; do
    d="$(dirname "$d")"
    if [ -e "$d/node_modules" ] || [ -e "$d/package.json" ]; then
      log "$d has a node_modules or package.json: put TENANCY_CACHE elsewhere (the app at $APP would resolve packages from it)"
      return 1
    fi
  done
  case "$APP/" in "$TENANCY_ROOT"/*)
    log "the app must be outside the repo (TENANCY_CACHE=$TENANCY_CACHE)"
    return 1
    ;;
  esac
}

# @backstage/create-app in a folder of its own (yarn, the repo's yarn
# release), then the template, made once per create-app version.
create_app() {
  check_app_location || return 1
  local logfile="$LOGS/install-test-create-app.log"
  : >"$logfile"
  if [ ! -f "$RUNNER/node_modules/@backstage/create-app/package.json" ]; then
    log "installing @backstage/create-app@$CREATE_APP_VERSION"
    rm -rf "$RUNNER"
    mkdir -p "$RUNNER/.yarn/releases" || return 1
    local release
    release="$(sed -n 's/^yarnPath: *//p' .yarnrc.yml)"
    cp .yarnrc.yml "$RUNNER/" && cp "$release" "$RUNNER/$release" || return 1
    printf '{\n  "name": "tenancy-create-app",\n  "private": true,\n  "dependencies": { "@backstage/create-app": "%s" }\n}\n' \
      "$CREATE_APP_VERSION" >"$RUNNER/package.json"
    : >"$RUNNER/yarn.lock"
    # Its own lockfile is made here: not immutable, even on CI.
    (cd "$RUNNER" && YARN_ENABLE_IMMUTABLE_INSTALLS=false run_logged "$logfile" yarn install) || return $?
  fi
  if [ ! -f "$TEMPLATE/.tenancy-template" ]; then
    log "backstage-create-app --path $TEMPLATE --skip-install"
    rm -rf "$TEMPLATE" "$TEMPLATE.tmp"
    # The app's name comes from BACKSTAGE_APP_NAME (no prompt); it runs
    # `yarn -v` in its working folder, where the yarn shim finds a release.
    (cd "$RUNNER" && BACKSTAGE_APP_NAME=tenancy-install-test run_logged "$logfile" \
      node node_modules/@backstage/create-app/bin/backstage-create-app \
      --path "$TEMPLATE.tmp" --skip-install </dev/null) || return $?
    [ -f "$TEMPLATE.tmp/packages/backend/src/index.ts" ] ||
      { log "create-app made no packages/backend (log: $logfile)"; return 1; }
    rm -rf "$TEMPLATE.tmp/.git"
    mv "$TEMPLATE.tmp" "$TEMPLATE" && touch "$TEMPLATE/.tenancy-template" || return 1
  fi
  local ours theirs
  ours="$(node -p 'require("./backstage.json").version')"
  theirs="$(node -p "require('$TEMPLATE/backstage.json').version")"
  if [ "$ours" != "$theirs" ]; then
    log "create-app $CREATE_APP_VERSION makes Backstage $theirs apps; this repo is on $ours (backstage.json): set TENANCY_CREATE_APP_VERSION to the create-app of $ours"
    return 1
  fi
  log "template: Backstage $theirs (create-app $CREATE_APP_VERSION)"
}

# A fresh copy of the template's files over the app folder (its node_modules
# and resolved yarn.lock kept for speed), then the suite added to it.
prepare_app() {
  if [ ! -f "$APP/yarn.lock" ]; then
    rm -rf "$APP"
    mkdir -p "$APP" || return 1
    # create-app's lock seed comes from GitHub (not reachable here, and not
    # needed): the repo's lockfile is of the same Backstage release, already
    # resolved, and only pins versions — the suite comes from its tarballs.
    cp yarn.lock "$APP/yarn.lock" || return 1
  fi
  local lock
  lock="$(mktemp)"
  cp "$APP/yarn.lock" "$lock" || return 1
  rm -f "$APP/app-config.local.yaml" "$APP/install-test.json" "$APP/packages/app/src/tenancyInstallCheck.ts"
  cp -a "$TEMPLATE/." "$APP/" && cp "$lock" "$APP/yarn.lock" || return 1
  rm -f "$APP/.tenancy-template" "$lock"
  PORT="$(free_port)"
  CLUSTER_PORT="$(free_port)"
  node "$HERE/prepare-app.mjs" --app "$APP" --repo "$TENANCY_ROOT" --tarballs "$TARBALLS" \
    --port "$PORT" --cluster-port "$CLUSTER_PORT"
}

install_app() {
  local logfile="$LOGS/install-test-yarn.log"
  : >"$logfile"
  # The app's lockfile changes with the tarballs: not immutable, even on CI.
  (cd "$APP" && YARN_ENABLE_IMMUTABLE_INSTALLS=false run_logged "$logfile" yarn install) || return $?
  # What yarn says about the suite's packages (peer dependencies and such).
  grep -a '@tenancy/' "$logfile" | grep -av -e 'YN0000' -e 'YN0085' | sed 's/^/  /' >&2 || true
}

typecheck_app() {
  local logfile="$LOGS/install-test-tsc.log"
  : >"$logfile"
  (cd "$APP" && run_logged "$logfile" yarn tsc)
}

start_backend() {
  local logfile="$LOGS/install-test-backend.log"
  : >"$logfile"
  port_in_use "$PORT" && { log "port $PORT is taken"; return 1; }
  # As in scripts/test.sh: the dev-mode backend watches files with inotify.
  local inotify=/proc/sys/fs/inotify/max_user_instances
  if [ -w "$inotify" ] && [ "$(cat "$inotify")" -lt 1024 ]; then
    echo 1024 >"$inotify" 2>/dev/null || true
  fi
  log "yarn start in $APP/packages/backend (http://127.0.0.1:$PORT)"
  (
    cd "$APP/packages/backend"
    TENANCY_INSTALL_TEST_BACKEND=$$ exec yarn start
  ) >"$logfile" 2>&1 &
  BACKEND_PID=$!
  # `backstage-cli package start` outlives a backend that dies (it waits for
  # a change to restart it): watch the log for the death too.
  local deadline=$((SECONDS + ${TENANCY_INSTALL_TEST_START_TIMEOUT:-420}))
  until curl -fsS -o /dev/null --max-time 5 "http://127.0.0.1:$PORT/.backstage/health/v1/readiness" 2>/dev/null; do
    if ! kill -0 "$BACKEND_PID" 2>/dev/null ||
      grep -aqE 'Backend startup failed|BackendStartupError|Assertion failed|Error: Cannot find module' "$logfile" ||
      [ "$SECONDS" -gt "$deadline" ]; then
      grep -aE ' error |Error|Assertion' "$logfile" | grep -av '^\s*at ' | cut -c1-400 | head -20 >&2
      log "the app's backend did not become ready (log: var/logs/install-test-backend.log)"
      return 1
    fi
    sleep 1
  done
  log "ready: $(grep -ac '' "$logfile") log lines, $(grep -ac ' warn ' "$logfile") warnings"
}

probe() {
  node "$HERE/probe.mjs" "$1" --url "http://127.0.0.1:$PORT" --expect "$APP/install-test.json"
}

T0="$(now)"
mkdir -p "$LOGS" "$WORK/tarballs"
phase "toolchain (Node $TENANCY_NODE_VERSION, yarn 4)" ensure_toolchain || finish
phase "dependencies (yarn install)" ensure_deps || finish
phase "public packages (plugins/*, not private)" discover_packages || finish
if tarballs_cached; then
  phase "build + pack: cached, the packages are unchanged" \
    log "tarballs $FINGERPRINT (made from the same sources; no tsc, build or pack)"
else
  : >"$LOGS/install-test-tsc-packages.log"
  phase "type declarations (tsc, the packages' sources)" declarations && TSC_OK=1
  phase "build (backstage-cli package build)" build_packages || finish
  phase "pack (yarn pack)" pack_packages || finish
fi
phase "check the tarballs (imports, entry points)" check_tarballs || true
phase "template app (@backstage/create-app $CREATE_APP_VERSION)" create_app || finish
phase "add the suite as the READMEs say" prepare_app || finish
phase "yarn install in the app (suite from tarballs)" install_app || finish
phase "type check the app (tsc)" typecheck_app || true
if phase "start the app's backend (yarn start)" start_backend; then
  phase "/api/tenancy answers" probe tenancy || true
  phase "scaffolder actions include the suite's" probe actions || true
fi
stop_backend
finish
