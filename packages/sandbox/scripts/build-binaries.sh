#!/usr/bin/env bash
# build-binaries.sh — build Kubernetes control-plane binaries, etcd and kwok from Go
# modules (Go module proxy only; no GitHub release downloads) and cache them by version:
#
#   ~/.cache/tenancy/bin/<component>-<version>/<component>
#
# Components:
#   kube-apiserver, kube-controller-manager, kube-scheduler  (k8s.io/kubernetes v1.34.x)
#   kubectl                                                 (same module, for bench/)
#   etcd                                                    (go.etcd.io/etcd/server/v3 v3.6.x)
#   kwok                                                    (sigs.k8s.io/kwok, newest)
#   gitea                                                   (code.gitea.io/gitea v1.26.x, with
#                                                            templates/ options/ public/ beside it)
#
# Versions default to the newest release the proxy knows about; override with
#   K8S_VERSION=v1.34.4 ETCD_VERSION=v3.6.16 KWOK_VERSION=v0.8.0 GITEA_VERSION=v1.26.4 ./build-binaries.sh
# (K8S_MINOR=1.34, ETCD_MINOR=3.6 and GITEA_MINOR=1.26 select the series used for
# auto-detection; K8S_GIT_COMMIT=<sha> stamps gitCommit, which the proxy cannot tell us).
# Gitea stays on <= 1.26: 1.27 renames the module.
#
# Idempotent: a component whose cached binary already exists (and reports the right
# version) is skipped. Builds run under `nice -n 19`. Exit status is non-zero on failure.
# Optional arguments restrict the run to some components: k8s, etcd, kwok, gitea.
set -Eeuo pipefail

CACHE_ROOT="${TENANCY_CACHE:-$HOME/.cache/tenancy}"
BIN_ROOT="$CACHE_ROOT/bin"
BUILD_ROOT="$CACHE_ROOT/build"
K8S_MINOR="${K8S_MINOR:-1.34}"
ETCD_MINOR="${ETCD_MINOR:-3.6}"
GITEA_MINOR="${GITEA_MINOR:-1.26}"

export CGO_ENABLED=0
export GOTOOLCHAIN=local
export GOFLAGS="-mod=mod -buildvcs=false"
export GO111MODULE=on
# always build for the host, whatever GOOS/GOARCH the caller has exported
GOOS="$(env -u GOOS -u GOARCH go env GOHOSTOS)"; GOARCH="$(env -u GOOS -u GOARCH go env GOHOSTARCH)"; export GOOS GOARCH
NICE=(nice -n 19)

log()  { printf '[build-binaries %(%H:%M:%S)T] %s\n' -1 "$*"; }
die()  { printf '[build-binaries] ERROR: %s\n' "$*" >&2; exit 1; }
trap 'rc=$?; printf "[build-binaries] ERROR: command failed (exit %s) at line %s: %s\n" "$rc" "$LINENO" "$BASH_COMMAND" >&2; exit "$rc"' ERR

command -v go >/dev/null || die "go not found in PATH"
GO_LOCAL_VERSION="$(go env GOVERSION)"          # e.g. go1.26.8
GO_LOCAL_VERSION="${GO_LOCAL_VERSION#go}"

want() { [[ ${#SELECTED[@]} -eq 0 ]] && return 0; local c; for c in "${SELECTED[@]}"; do [[ $c == "$1" ]] && return 0; done; return 1; }
SELECTED=("$@")
for c in "${SELECTED[@]}"; do [[ $c =~ ^(k8s|etcd|kwok|gitea)$ ]] || die "unknown component '$c' (use k8s, etcd, kwok, gitea)"; done

# newest_version MODULE REGEX -> newest non-prerelease version matching REGEX
newest_version() {
  local mod=$1 re=$2 out
  out="$(cd /tmp && go list -m -versions "$mod" 2>&1)" || die "cannot list versions of $mod: $out"
  tr ' ' '\n' <<<"$out" | tail -n +2 | grep -E "$re" | grep -v -- '-' | sort -V | tail -n 1
}

# newest_patch MODULE MINOR -> newest vMINOR.N on the proxy. `go list -m -versions` can
# miss tags (for code.gitea.io/gitea it lists v1.26.0 but not v1.26.1..4), so probe the
# following patch versions one by one until the proxy has none.
newest_patch() {
  local mod=$1 minor=$2 v n
  v="$(newest_version "$mod" "^v${minor//./\\.}\\.[0-9]+$")"
  [[ -n $v ]] || v="v$minor.0"
  n=${v##*.}
  while (cd /tmp && go list -m -json "$mod@v$minor.$((n + 1))" >/dev/null 2>&1); do n=$((n + 1)); done
  (cd /tmp && go list -m -json "$mod@v$minor.$n" >/dev/null 2>&1) && echo "v$minor.$n"
}

# ver_le A B : true if Go version A <= B (e.g. 1.24.0 <= 1.26.8)
ver_le() { [[ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" == "$1" ]]; }

# gomod_path MODULE VERSION -> path of that version's go.mod in the module cache
gomod_path() {
  local json
  json="$(cd /tmp && go mod download -json "$1@$2")" || die "go mod download $1@$2 failed: $json"
  jq -r '.GoMod' <<<"$json"
}

# go_line GOMOD -> value of its `go` directive
go_line() { awk '$1=="go"{print $2; exit}' "$1"; }

# install_bin SRC COMPONENT VERSION : atomically place SRC at $BIN_ROOT/COMPONENT-VERSION/COMPONENT
install_bin() {
  local src=$1 comp=$2 ver=$3 dir="$BIN_ROOT/$2-$3"
  mkdir -p "$dir"
  mv -f "$src" "$dir/$comp.tmp.$$"
  chmod 0755 "$dir/$comp.tmp.$$"
  mv -f "$dir/$comp.tmp.$$" "$dir/$comp"
}

# version_args COMPONENT -> the arguments that make it print its version
version_args() { if [[ $1 == kubectl ]]; then echo "version --client"; else echo "--version"; fi; }

# have_bin COMPONENT VERSION VERSIONSTRING : cached binary exists and reports VERSIONSTRING
have_bin() {
  local b="$BIN_ROOT/$1-$2/$1" args
  [[ -x $b ]] || return 1
  read -ra args <<<"$(version_args "$1")"
  # capture first: grep -q would stop reading early, and a second line of output
  # (kubectl's Kustomize Version) would then fail the pipe under pipefail
  if grep -qF -- "$3" <<<"$("$b" "${args[@]}" 2>/dev/null)"; then return 0; fi
  log "cached $b does not report '$3'; rebuilding"; rm -f "$b"; return 1
}

# run_logged DIR LOGFILE CMD... : run a (niced) command in DIR, tee output to LOGFILE,
# fail with a clear message
run_logged() {
  local dir=$1 logf=$2 rc=0; shift 2
  log "+ (cd $dir && $*)"
  ( cd "$dir" && "${NICE[@]}" "$@" ) 2>&1 | tee -a "$logf" || rc=$?
  [[ $rc -eq 0 ]] || die "'$*' failed (exit $rc) — full log: $logf"
}

# write_wrapper DIR GOLINE REQUIRE_LINE [GODEBUG_LINES] [REPLACE_LINES]
write_wrapper() {
  local dir=$1 goline=$2 req=$3 godebug=${4:-} repl=${5:-}
  if ! ver_le "$goline" "$GO_LOCAL_VERSION"; then
    die "module needs go $goline but local Go is $GO_LOCAL_VERSION (GOTOOLCHAIN=local)"
  fi
  mkdir -p "$dir"
  {
    echo "// Generated by build-binaries.sh — wrapper module, do not edit."
    echo "module tenancy.local/build/$(basename "$dir")"
    echo
    echo "go $goline"
    [[ -n $godebug ]] && { echo; echo "$godebug"; }
    echo
    echo "require $req"
    [[ -n $repl ]] && { echo; echo "replace ("; echo "$repl"; echo ")"; }
  } > "$dir/go.mod.new"
  # Only reset go.mod/go.sum if the generated header changed (keeps go.sum warm on reruns).
  if ! cmp -s "$dir/go.mod.new" "$dir/go.mod.gen" 2>/dev/null; then
    cp "$dir/go.mod.new" "$dir/go.mod"
    cp "$dir/go.mod.new" "$dir/go.mod.gen"
    rm -f "$dir/go.sum"
  fi
  rm -f "$dir/go.mod.new"
}

declare -A PHASE_SECS=()
phase_start() { PHASE_T0=$(date +%s); log "=== phase: $1"; }
phase_end()   { local d=$(( $(date +%s) - PHASE_T0 )); PHASE_SECS[$1]=$d; log "=== phase $1 took ${d}s"; }

mkdir -p "$BIN_ROOT" "$BUILD_ROOT"
# serialize concurrent runs (two builds on 2 cores would just thrash)
exec 9>"$BUILD_ROOT/.lock"
if ! flock -n 9; then log "another build-binaries.sh is running; waiting for its lock"; flock 9; fi
TOTAL_T0=$(date +%s)

###############################################################################
# Versions
###############################################################################
phase_start resolve-versions
if want k8s;  then K8S_VERSION="${K8S_VERSION:-$(newest_version k8s.io/kubernetes "^v${K8S_MINOR//./\\.}\\.[0-9]+$")}"; [[ -n $K8S_VERSION ]] || die "no k8s.io/kubernetes v$K8S_MINOR.x on the proxy"; fi
if want etcd; then ETCD_VERSION="${ETCD_VERSION:-$(newest_version go.etcd.io/etcd/server/v3 "^v${ETCD_MINOR//./\\.}\\.[0-9]+$")}"; [[ -n $ETCD_VERSION ]] || die "no etcd v$ETCD_MINOR.x on the proxy"; fi
if want kwok; then KWOK_VERSION="${KWOK_VERSION:-$(newest_version sigs.k8s.io/kwok '^v[0-9]+\.[0-9]+\.[0-9]+$')}"; [[ -n $KWOK_VERSION ]] || die "no sigs.k8s.io/kwok release on the proxy"; fi
if want gitea; then GITEA_VERSION="${GITEA_VERSION:-$(newest_patch code.gitea.io/gitea "$GITEA_MINOR")}"; [[ -n $GITEA_VERSION ]] || die "no code.gitea.io/gitea v$GITEA_MINOR.x on the proxy"; fi
log "versions: kubernetes=${K8S_VERSION:-skip} etcd=${ETCD_VERSION:-skip} kwok=${KWOK_VERSION:-skip} gitea=${GITEA_VERSION:-skip} (go $GO_LOCAL_VERSION)"
phase_end resolve-versions

BUILD_DATE="$(date -u +%Y-%m-%dT%H:%M:%SZ)"

###############################################################################
# Kubernetes control plane
###############################################################################
k8s_version_string() { if [[ $1 == kubectl ]]; then echo "Client Version: $2"; else echo "Kubernetes $2"; fi; }

build_k8s() {
  local v=$K8S_VERSION comps=(kube-apiserver kube-controller-manager kube-scheduler kubectl) todo=() c
  for c in "${comps[@]}"; do
    # kubectl prints "Client Version: v1.34.4", the control plane "Kubernetes v1.34.4"
    if have_bin "$c" "$v" "$(k8s_version_string "$c" "$v")"; then log "$c $v cached: $BIN_ROOT/$c-$v/$c"; else todo+=("$c"); fi
  done
  [[ ${#todo[@]} -eq 0 ]] && return 0

  local dir="$BUILD_ROOT/k8s-$v" logf gomod goline godebug staging repl="" s
  mkdir -p "$dir"; logf="$dir/build.log"; : > "$logf"

  phase_start "k8s-prepare"
  gomod="$(gomod_path k8s.io/kubernetes "$v")"
  goline="$(go_line "$gomod")"
  godebug="$(grep -E '^godebug ' "$gomod" || true)"
  # Staging modules: required as v0.0.0 and replaced with ./staging/src/... upstream.
  staging="$(awk '/^replace \(/{r=1;next} r&&/^\)/{r=0} r&&$2=="=>"&&$3 ~ /^\.\/staging\//{print $1}' "$gomod")"
  [[ -n $staging ]] || die "could not find staging replace block in $gomod"
  local mver="v0.${v#v1.}"      # v1.34.4 -> v0.34.4
  for s in $staging; do
    # only the ones kubernetes actually requires (sample-* etc. may not be required)
    grep -qE "^[[:space:]]+$s v0\.0\.0" "$gomod" || continue
    repl+=$'\t'"$s => $s $mver"$'\n'
  done
  repl="${repl%$'\n'}"
  write_wrapper "$dir" "$goline" "k8s.io/kubernetes $v" "$godebug" "$repl"
  local pkgs=() ; for c in "${todo[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
  run_logged "$dir" "$logf" go get "${pkgs[@]/%/@$v}"
  phase_end "k8s-prepare"

  local pfx ld="-s -w" minor="${v#v1.}"; minor="${minor%%.*}"
  for pfx in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $pfx.gitVersion=$v -X $pfx.gitMajor=1 -X $pfx.gitMinor=$minor"
    ld+=" -X $pfx.gitTreeState=clean -X $pfx.buildDate=$BUILD_DATE"
    # the module proxy does not tell us the commit; default to empty instead of the
    # in-tree placeholder "$Format:%H$" (override with K8S_GIT_COMMIT=<sha>)
    ld+=" -X $pfx.gitCommit=${K8S_GIT_COMMIT:-}"
  done
  local args want
  for c in "${todo[@]}"; do
    phase_start "build-$c"
    run_logged "$dir" "$logf" go build -trimpath -ldflags "$ld" -o "$dir/$c.out" "k8s.io/kubernetes/cmd/$c"
    read -ra args <<<"$(version_args "$c")"; want="$(k8s_version_string "$c" "$v")"
    grep -qF "$want" <<<"$("$dir/$c.out" "${args[@]}")" || die "$c does not report '$want' (got: $("$dir/$c.out" "${args[@]}" 2>&1))"
    install_bin "$dir/$c.out" "$c" "$v"
    log "built $BIN_ROOT/$c-$v/$c: $("$BIN_ROOT/$c-$v/$c" "${args[@]}" | sed -n 1p)"
    phase_end "build-$c"
  done
}

###############################################################################
# etcd
###############################################################################
build_etcd() {
  local v=$ETCD_VERSION
  if have_bin etcd "$v" "etcd Version: ${v#v}"; then log "etcd $v cached: $BIN_ROOT/etcd-$v/etcd"; return 0; fi
  local dir="$BUILD_ROOT/etcd-$v" logf gomod
  mkdir -p "$dir"; logf="$dir/build.log"; : > "$logf"
  phase_start build-etcd
  gomod="$(gomod_path go.etcd.io/etcd/server/v3 "$v")"
  # etcd's own replace directives (../api etc.) are ignored for a dependency; its
  # requirements already pin the matching published api/client/pkg modules.
  write_wrapper "$dir" "$(go_line "$gomod")" "go.etcd.io/etcd/server/v3 $v"
  run_logged "$dir" "$logf" go get "go.etcd.io/etcd/server/v3@$v"
  run_logged "$dir" "$logf" go build -trimpath -ldflags "-s -w" -o "$dir/etcd.out" go.etcd.io/etcd/server/v3
  "$dir/etcd.out" --version | grep -qF "etcd Version: ${v#v}" || die "etcd does not report ${v#v} (got: $("$dir/etcd.out" --version 2>&1))"
  install_bin "$dir/etcd.out" etcd "$v"
  log "built $BIN_ROOT/etcd-$v/etcd: $("$BIN_ROOT/etcd-$v/etcd" --version | tr '\n' ' ')"
  phase_end build-etcd
}

###############################################################################
# kwok
###############################################################################
# kwok has no built-in stages when run standalone ("no stages found"). Write the same
# default set kwokctl uses (node-initialize, node-heartbeat-with-lease, pod-ready,
# pod-complete, pod-delete) from the module source next to the binary; run kwok with
#   --config=<that file> --node-lease-duration-seconds=40
write_kwok_stages() {
  local v=$1 src out="$BIN_ROOT/kwok-$1/kwok-default-stages.yaml" f
  [[ -s $out ]] && return 0
  src="$(cd /tmp && go mod download -json "sigs.k8s.io/kwok@$v" | jq -r .Dir)/kustomize/stage"
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
           pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    [[ -f $src/$f ]] || die "kwok $v: stage file $src/$f not found"
    printf -- '---\n# from sigs.k8s.io/kwok@%s/kustomize/stage/%s\n' "$v" "$f"; cat "$src/$f"
  done > "$out.tmp"
  mv -f "$out.tmp" "$out"
  log "wrote $out"
}

build_kwok() {
  local v=$KWOK_VERSION
  if have_bin kwok "$v" "${v#v}"; then log "kwok $v cached: $BIN_ROOT/kwok-$v/kwok"; write_kwok_stages "$v"; return 0; fi
  local dir="$BUILD_ROOT/kwok-$v" logf gomod
  mkdir -p "$dir"; logf="$dir/build.log"; : > "$logf"
  phase_start build-kwok
  gomod="$(gomod_path sigs.k8s.io/kwok "$v")"
  write_wrapper "$dir" "$(go_line "$gomod")" "sigs.k8s.io/kwok $v"
  run_logged "$dir" "$logf" go get "sigs.k8s.io/kwok/cmd/kwok@$v"
  run_logged "$dir" "$logf" go build -trimpath \
      -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$v" \
      -o "$dir/kwok.out" sigs.k8s.io/kwok/cmd/kwok
  "$dir/kwok.out" --version | grep -qF "${v#v}" || die "kwok does not report $v (got: $("$dir/kwok.out" --version 2>&1))"
  install_bin "$dir/kwok.out" kwok "$v"
  write_kwok_stages "$v"
  log "built $BIN_ROOT/kwok-$v/kwok: $("$BIN_ROOT/kwok-$v/kwok" --version)"
  phase_end build-kwok
}

###############################################################################
# Gitea
###############################################################################
# Built without the `bindata` tag, so it reads templates/, options/ and public/ from
# STATIC_ROOT_PATH at run time: they are copied next to the binary (the runtime then
# does not depend on GOMODCACHE); the sandbox sets STATIC_ROOT_PATH to that folder.
# public/ from the module has no built frontend (no JS/CSS bundles, no vite manifest):
# pages render unstyled, which is all the API, git over HTTP and publish:gitea need.
# An empty vite manifest and the theme stylesheets (plain CSS variables, from
# web_src/css/themes) stop Gitea from logging an error on every page view.
GITEA_TAGS="sqlite sqlite_unlock_notify"

gitea_static_ok() { [[ -f $BIN_ROOT/gitea-$1/.static-complete && -f $BIN_ROOT/gitea-$1/public/assets/.vite/manifest.json ]]; }

copy_gitea_static() {
  local v=$1 src=$2 out="$BIN_ROOT/gitea-$1" tmp d
  gitea_static_ok "$v" && return 0
  tmp="$out/.static.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  for d in templates options public; do
    [[ -d $src/$d ]] || die "gitea $v: $src/$d not found"
    cp -R "$src/$d" "$tmp/$d"
  done
  chmod -R u+w "$tmp"      # the module cache is read-only
  mkdir -p "$tmp/public/assets/.vite" "$tmp/public/assets/css"
  echo '{}' > "$tmp/public/assets/.vite/manifest.json"
  cp "$src"/web_src/css/themes/theme-*.css "$tmp/public/assets/css/"
  for d in templates options public; do rm -rf "${out:?}/$d"; mv "$tmp/$d" "$out/$d"; done
  rmdir "$tmp"
  echo "$v" > "$out/.static-complete"
  log "copied templates/ options/ public/ of gitea $v to $out"
}

build_gitea() {
  local v=$GITEA_VERSION moddir
  if have_bin gitea "$v" "gitea version ${v#v} "; then
    log "gitea $v cached: $BIN_ROOT/gitea-$v/gitea"
    if ! gitea_static_ok "$v"; then
      moddir="$(cd /tmp && go mod download -json "code.gitea.io/gitea@$v" | jq -r .Dir)"
      copy_gitea_static "$v" "$moddir"
    fi
    return 0
  fi
  local dir="$BUILD_ROOT/gitea-$v" logf gomod godebug repl
  mkdir -p "$dir"; logf="$dir/build.log"; : > "$logf"
  phase_start gitea-prepare
  gomod="$(gomod_path code.gitea.io/gitea "$v")"
  godebug="$(grep -E '^godebug ' "$gomod" || true)"
  # A dependency's replace directives are ignored: copy gitea's (single-line ones,
  # `replace a => b v`) into the wrapper so the build uses the versions it was tested with.
  repl="$(awk '$1=="replace" && $3=="=>" {printf "\t%s => %s %s\n", $2, $4, $5}' "$gomod")"
  repl="${repl%$'\n'}"
  grep -qE '^replace \(' "$gomod" && die "gitea $v's go.mod has a replace block; teach build_gitea to copy it"
  write_wrapper "$dir" "$(go_line "$gomod")" "code.gitea.io/gitea $v" "$godebug" "$repl"
  # ~300 modules to fetch and verify: retry when the proxy or sumdb hiccups (seen: a
  # 503 from sum.golang.org's tiles)
  local attempt
  for attempt in 1 2 3; do
    if (run_logged "$dir" "$logf" env CGO_ENABLED=1 go get -tags "$GITEA_TAGS" "code.gitea.io/gitea@$v"); then break; fi
    [[ $attempt -lt 3 ]] || die "go get code.gitea.io/gitea@$v failed 3 times — full log: $logf"
    log "go get failed (attempt $attempt of 3); retrying in 10s"; sleep 10
  done
  moddir="$(cd "$dir" && go list -m -f '{{.Dir}}' code.gitea.io/gitea)"
  phase_end gitea-prepare

  phase_start build-gitea
  run_logged "$dir" "$logf" env CGO_ENABLED=1 go build -trimpath -tags "$GITEA_TAGS" \
      -ldflags "-s -w -X 'main.Version=${v#v}' -X 'main.Tags=$GITEA_TAGS'" \
      -o "$dir/gitea.out" code.gitea.io/gitea
  "$dir/gitea.out" --version | grep -qF "gitea version ${v#v} " || die "gitea does not report ${v#v} (got: $("$dir/gitea.out" --version 2>&1))"
  install_bin "$dir/gitea.out" gitea "$v"
  phase_end build-gitea
  phase_start gitea-static
  copy_gitea_static "$v" "$moddir"
  phase_end gitea-static
  log "built $BIN_ROOT/gitea-$v/gitea: $("$BIN_ROOT/gitea-$v/gitea" --version)"
}

want etcd  && build_etcd
want kwok  && build_kwok
want k8s   && build_k8s
want gitea && build_gitea

log "=== summary (seconds per phase)"
for p in "${!PHASE_SECS[@]}"; do printf '  %-32s %6ss\n' "$p" "${PHASE_SECS[$p]}"; done | sort
log "total: $(( $(date +%s) - TOTAL_T0 ))s"
log "binaries:"
want k8s  && for c in kube-apiserver kube-controller-manager kube-scheduler kubectl; do echo "  $BIN_ROOT/$c-$K8S_VERSION/$c"; done
want etcd && echo "  $BIN_ROOT/etcd-$ETCD_VERSION/etcd"
want kwok && echo "  $BIN_ROOT/kwok-$KWOK_VERSION/kwok"
want kwok && echo "  $BIN_ROOT/kwok-$KWOK_VERSION/kwok-default-stages.yaml"
want gitea && echo "  $BIN_ROOT/gitea-$GITEA_VERSION/gitea (+ templates/ options/ public/)"
exit 0
