#!/usr/bin/env bash
# Runs the chaos suite N times (default 5) and prints one table row per scenario and run, with the
# commit it describes: the figures RELIABILITY.md records. Exits non-zero if any run failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-5}"
report="$(mktemp -t leadgate-chaos-XXXXXX.jsonl)"
commit="$(git rev-parse --short HEAD)"
dirty="$(git status --porcelain -- src schemas | head -1)"
failed=0
for run in $(seq 1 "$runs"); do
  echo "== chaos run $run of $runs (commit $commit${dirty:+, uncommitted changes in src/schemas})"
  if ! CHAOS_REPORT="$report" npx jest -c jest.chaos.config.js --runInBand; then failed=$((failed + 1)); fi
done
echo
echo "commit $commit${dirty:+ (with uncommitted changes)}, $runs runs, $failed failed"
node -e '
const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
console.log("| scenario | leads | kills | duplicates | lost | dead-lettered | deleted duplicates | unexpected | wall time |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const r of rows.sort((a, b) => a.scenario.localeCompare(b.scenario) || a.at.localeCompare(b.at))) {
  console.log(`| ${r.scenario} | ${r.leads} | ${r.kills} | ${r.duplicates} | ${r.lost} | ${r.deadLettered} | ${r.deletedDuplicates} | ${r.unexpected} | ${(r.wallMs / 1000).toFixed(1)} s |`);
}' "$report"
rm -f "$report"
[ "$failed" -eq 0 ]
