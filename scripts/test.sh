#!/usr/bin/env bash
# The whole test suite, as CI runs it: type-check, lint, format, unit tier, engine tier.
# Slow tiers skip with a loud message on a machine without their tools, except in CI
# (CI=true), where a missing tool fails the run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
step() { printf '\n=== %s\n' "$*"; }

step "type-check (tsc --noEmit)"
npx tsc --noEmit -p .
step "lint (eslint)"
npx eslint .
step "format (prettier --check)"
npx prettier --check . --log-level warn
step "tests (jest: unit, engine, lifecycle)"
results="$(mktemp)"
trap 'rm -f "$results"' EXIT
status=0
npx jest --ci --json --outputFile="$results" "$@" || status=$?
# One plain summary line for whoever reads the end of the log.
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`\njest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' "$results" || true
exit "$status"
