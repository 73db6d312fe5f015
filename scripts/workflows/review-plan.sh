#!/usr/bin/env bash
# The review's plan against the real projects (.github/workflows/review.yml), for each
# environment whose read-only token secret exists (HCLOUD_TOKEN_READONLY_<ENV>): both stacks,
# with the state from the S3 backend read but never locked (-lock=false), so a review never
# holds up the daily cycle. Writes the changes (addresses and actions only) to
# $REVIEW_DIR/plan.md, and $REVIEW_DIR/plan.note when nothing could be planned; the full plan
# text goes to the job log (sensitive values are hidden by the engine).
#
# Needs: cdktf.out/manifest.json (or $CDKTF_OUTDIR's) from `npm run synth`; STATE_BUCKET, STATE_ENDPOINT,
# AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY; TF_VAR_ssh_public_key (repository variable
# SSH_PUBLIC_KEY: the cluster stack's SSH key is part of the plan).
set -euo pipefail
dir="${REVIEW_DIR:?REVIEW_DIR is not set}"
plans="${RUNNER_TEMP:-/tmp}/plans"
mkdir -p "$dir" "$plans"

skip() {
  echo "::notice title=review plan::$1"
  echo "⏭️ skipped: $1" >"$dir/plan.note"
  exit 0
}

# The stacks `npm run synth` wrote (CDKTF_OUTDIR as for the synth).
mapfile -t environments < <(node -e '
  const out = require("path").resolve(process.env.CDKTF_OUTDIR || "cdktf.out");
  const stacks = Object.keys(require(require("path").join(out, "manifest.json")).stacks);
  for (const s of stacks.filter((s) => !s.endsWith("-persistent")).sort()) console.log(s);')

with_token=()
without_token=()
for env in "${environments[@]}"; do
  var="HCLOUD_TOKEN_READONLY_$(printf '%s' "$env" | tr '[:lower:]-' '[:upper:]_')"
  if [[ -n "${!var:-}" ]]; then with_token+=("$env"); else without_token+=("$var"); fi
done
if ((${#with_token[@]} == 0)); then
  skip "no read-only token: set ${without_token[*]} (Hetzner API tokens with read access) to plan against the real projects"
fi
missing=()
[[ -n "${STATE_BUCKET:-}" && -n "${STATE_ENDPOINT:-}" ]] || missing+=("repository variables STATE_BUCKET and STATE_ENDPOINT")
[[ -n "${AWS_ACCESS_KEY_ID:-}" && -n "${AWS_SECRET_ACCESS_KEY:-}" ]] ||
  missing+=("repository secrets AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (to read the state)")
[[ -n "${TF_VAR_ssh_public_key:-}" ]] || missing+=("repository variable SSH_PUBLIC_KEY")
if ((${#missing[@]} > 0)); then
  skip "the plan needs $(printf '%s; ' "${missing[@]}" | sed 's/; $//')"
fi
# The state is encrypted (OpenTofu state encryption) and holds the cluster identity: its
# passphrase is an environment secret that a pull request's code never gets.
[[ -n "${TF_VAR_state_passphrase:-}" ]] ||
  skip "the state is encrypted and its passphrase (environment secret STATE_PASSPHRASE) is never given to pull-request jobs; synth, validate and drift still run"

export STATE_BACKEND=s3
failed=0
for env in "${with_token[@]}"; do
  var="HCLOUD_TOKEN_READONLY_$(printf '%s' "$env" | tr '[:lower:]-' '[:upper:]_')"
  for stack in "${env}-persistent" "$env"; do
    plan="$plans/${stack}.tfplan"
    echo "::group::plan ${stack}"
    if HCLOUD_TOKEN="${!var}" npm run --silent tf -- "$stack" plan -lock=false -input=false -no-color \
      -out="$plan" >"$plans/${stack}.log" 2>&1; then
      cat "$plans/${stack}.log"
      echo "::endgroup::"
      HCLOUD_TOKEN="${!var}" npm run --silent tf -- "$stack" show -json "$plan" >"$plans/${stack}.json"
      { echo "#### \`${stack}\`"; echo; node scripts/workflows/review-comment.cjs plan-summary "$plans/${stack}.json"; echo; } >>"$dir/plan.md"
    else
      cat "$plans/${stack}.log"
      echo "::endgroup::"
      echo "::error::plan of ${stack} failed"
      failed=1
      { echo "#### \`${stack}\`: plan failed"; echo; echo '```'; tail -n 30 "$plans/${stack}.log"; echo '```'; echo; } >>"$dir/plan.md"
    fi
  done
done
if ((${#without_token[@]} > 0)); then
  echo "Not planned (no token): ${without_token[*]}." >>"$dir/plan.md"
fi
rm -f "$plans"/*.tfplan
exit "$failed"
