#!/usr/bin/env bash
# Checks, before anything touches a project, that the repository holds what a workflow job
# needs, and names what is missing (README, "Running it from GitHub").
#
#   ENVIRONMENT=dev STATE_BUCKET=... STATE_ENDPOINT=... HAS_HCLOUD_TOKEN=true ... preflight.sh
#
# The workflow passes only whether each secret is set (HAS_*: 'true' or 'false', computed
# from the secret in the workflow expression), never a secret's value. A HAS_* variable that
# is not passed is not needed by that job. STATE_BUCKET and STATE_ENDPOINT are checked when
# STATE_BACKEND=s3.
set -euo pipefail

environment="${ENVIRONMENT:-}"
if [[ ! "$environment" =~ ^[a-z][a-z0-9-]*$ ]]; then
  echo "::error::preflight: ENVIRONMENT must be an environment name such as dev or prod, got '${environment}'"
  exit 2
fi
upper="$(printf '%s' "$environment" | tr '[:lower:]-' '[:upper:]_')"

missing=()
if [[ "${STATE_BACKEND:-}" == "s3" ]]; then
  [[ -n "${STATE_BUCKET:-}" ]] || missing+=("repository variable STATE_BUCKET (the state bucket's name)")
  [[ -n "${STATE_ENDPOINT:-}" ]] ||
    missing+=("repository variable STATE_ENDPOINT (e.g. https://fsn1.your-objectstorage.com)")
fi
if [[ -n "${HAS_HCLOUD_TOKEN:-}" && "$HAS_HCLOUD_TOKEN" != "true" ]]; then
  missing+=("secret HCLOUD_TOKEN_${upper} (read & write API token of the ${environment} project; the workflows map it to HCLOUD_TOKEN only for ${environment})")
fi
if [[ -n "${HAS_STATE_CREDENTIALS:-}" && "$HAS_STATE_CREDENTIALS" != "true" ]]; then
  missing+=("secrets AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (object storage credentials for the state bucket)")
fi
if [[ -n "${HAS_SSH_KEY:-}" && "$HAS_SSH_KEY" != "true" ]]; then
  missing+=("secret SSH_PRIVATE_KEY (OpenSSH private key without passphrase; its public key goes on the nodes)")
fi

if ((${#missing[@]} > 0)); then
  for item in "${missing[@]}"; do
    echo "::error::missing ${item}"
  done
  echo "Set them under Settings -> Secrets and variables -> Actions (secrets: in the '${environment}' environment or the repository)." >&2
  exit 1
fi
echo "preflight: ${environment}: configuration complete"
