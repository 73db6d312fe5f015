#!/usr/bin/env bash
# The review's cost change (.github/workflows/review.yml): `npm run ops -- cost --json` on the
# pull request and on its base (checked out in .review-base), then `cost-diff`, into
# $REVIEW_DIR/cost.md. Prices come from the live API, so it needs a token ($HCLOUD_TOKEN, a
# read-only one); without one it writes a note and succeeds. A base whose CLI has no cost
# command (or fails) gives the pull request's figures alone.
set -euo pipefail
dir="${REVIEW_DIR:?REVIEW_DIR is not set}"
tmp="${RUNNER_TEMP:-/tmp}"
mkdir -p "$dir"

if [[ -z "${HCLOUD_TOKEN:-}" ]]; then
  echo "::notice title=review cost::no read-only token (HCLOUD_TOKEN_READONLY_DEV or HCLOUD_TOKEN_READONLY_PROD): the cost change needs the live prices"
  echo "⏭️ skipped: no read-only token (the prices come from the live API)" >"$dir/cost.note"
  exit 0
fi

head_json="$tmp/cost-head.json"
base_json="$tmp/cost-base.json"
if ! npm run --silent ops -- cost --json >"$head_json" 2>"$tmp/cost-head.err"; then
  cat "$tmp/cost-head.err" >&2
  {
    echo "\`npm run ops -- cost --json\` failed on the pull request:"
    echo
    echo '```'
    tail -n 20 "$tmp/cost-head.err"
    echo '```'
  } >"$dir/cost.md"
  echo "::error::npm run ops -- cost --json failed"
  exit 1
fi

base_ok=0
if [[ -d .review-base ]]; then
  if cmp -s package-lock.json .review-base/package-lock.json; then
    ln -sfn "$PWD/node_modules" .review-base/node_modules
  else
    (cd .review-base && npm ci --no-audit --no-fund) >&2 || true
  fi
  if (cd .review-base && npm run --silent ops -- cost --json) >"$base_json" 2>"$tmp/cost-base.err"; then
    base_ok=1
  else
    echo "base: no cost (its CLI has no 'cost --json' or it failed):" >&2
    cat "$tmp/cost-base.err" >&2
  fi
fi

if ((base_ok)); then
  npm run --silent ops -- cost-diff "$base_json" "$head_json" >"$dir/cost.md"
else
  echo "ℹ️ no change shown: the base branch gives no cost figures; the pull request's are below" >"$dir/cost.note"
  { echo '```'; npm run --silent ops -- cost; echo '```'; } >"$dir/cost.md"
fi
cat "$dir/cost.md"
