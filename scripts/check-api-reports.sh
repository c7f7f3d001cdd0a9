#!/usr/bin/env bash
# Checks every published package's API (plugins/*) against its committed
# report.api.md, from the declarations `tsc` wrote to dist-types.
#
# API Extractor prints some inferred types (members of an object type, the
# members of a union) in an order that can differ from one build to the next
# with the same sources. So when `api-reports --ci` finds a difference, each
# package is checked again on its own and fails only when its report differs
# in more than order: lines are compared as sorted sets of their tokens,
# sorted themselves, so `'a' | 'b'` equals `'b' | 'a'` and moved members
# compare equal, while an added, removed or renamed member, type or
# declaration still changes a token.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cache=node_modules/.cache/api-extractor
# The same options as the root package.json's api-reports script.
OPTS=(-o ae-undocumented,ae-wrong-input-file-type)

# Each line as its tokens in sorted order, the lines sorted.
normalize() {
  node -e '
    const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n");
    const norm = lines.map(l => l.split(/[\s|,;()]+/).filter(Boolean).sort().join(" "));
    console.log(norm.filter(Boolean).sort().join("\n"));
  ' "$1"
}

if yarn api-reports --ci >/dev/null 2>&1; then
  echo "API reports: every published package matches its report.api.md"
  exit 0
fi
failed=0
for dir in plugins/*/; do
  dir="${dir%/}"
  name="$(node -p "require('./$dir/package.json').name.replace(/^@[^/]+\//, '')")"
  if yarn backstage-repo-tools api-reports "${OPTS[@]}" --ci "$dir" >/dev/null 2>&1; then
    continue
  fi
  fresh="$cache/$name/report.api.md"
  if [ -f "$fresh" ] && diff <(normalize "$dir/report.api.md") <(normalize "$fresh") >/dev/null; then
    echo "API reports: $dir differs only in the order of lines (not an API change)"
    continue
  fi
  echo "API reports: the public API of $dir changed without its report.api.md:" >&2
  if [ -f "$fresh" ]; then
    diff "$dir/report.api.md" "$fresh" | head -40 >&2
  else
    yarn backstage-repo-tools api-reports "${OPTS[@]}" --ci "$dir" 2>&1 | tail -20 >&2
  fi
  failed=1
done
[ "$failed" = 0 ] || echo "Regenerate the reports with: yarn api-reports:update" >&2
exit "$failed"
