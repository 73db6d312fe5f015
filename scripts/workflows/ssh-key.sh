#!/usr/bin/env bash
# Writes the SSH private key from $SSH_PRIVATE_KEY to a 0600 file in $RUNNER_TEMP/ssh and
# exports, through $GITHUB_ENV, SSH_PRIVATE_KEY_FILE (its path, for the CLI's node wait) and
# TF_VAR_ssh_public_key (its public key, derived from it, so the nodes always get the key the
# CLI holds). Every line of the key's body is masked first. The key never goes to a log or an
# artifact; the job removes the folder in its last step.
set -euo pipefail

if [[ -z "${SSH_PRIVATE_KEY:-}" ]]; then
  echo "::error::secret SSH_PRIVATE_KEY is empty"
  exit 1
fi
: "${RUNNER_TEMP:?RUNNER_TEMP is not set}"
: "${GITHUB_ENV:?GITHUB_ENV is not set}"

# GitHub masks the secret as stored; mask its lines again as written (CR removed), in case the
# secret was saved with Windows line ends.
while IFS= read -r line; do
  line="${line%$'\r'}"
  if [[ -n "$line" && "$line" != -----* ]]; then
    echo "::add-mask::${line}"
  fi
done <<<"$SSH_PRIVATE_KEY"

dir="$RUNNER_TEMP/ssh"
key="$dir/id_cluster"
umask 077
mkdir -p "$dir"
printf '%s\n' "$SSH_PRIVATE_KEY" | tr -d '\r' >"$key"
chmod 600 "$key"
if ! public_key="$(ssh-keygen -y -P '' -f "$key" 2>/dev/null)"; then
  rm -f "$key"
  echo "::error::SSH_PRIVATE_KEY is not an OpenSSH private key without passphrase"
  exit 1
fi
{
  echo "SSH_PRIVATE_KEY_FILE=${key}"
  echo "TF_VAR_ssh_public_key=${public_key}"
} >>"$GITHUB_ENV"
echo "ssh key: ${key} (0600); public key $(ssh-keygen -l -f "$key" 2>/dev/null | awk '{print $2}')"
