#!/usr/bin/env bash
# One-time (idempotent) set-up of a fresh machine: npm packages, the Debian tools the
# engine tier uses (shellcheck, cloud-init), and the offline Terraform toolchain.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
say() { printf '[setup] %s\n' "$*" >&2; }

if [[ ! -d node_modules/.bin || package-lock.json -nt node_modules/.package-lock.json ]]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
else
  say "npm packages: up to date"
fi

missing=()
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
command -v cloud-init >/dev/null 2>&1 || missing+=(cloud-init)
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    say "WARNING: ${missing[*]} missing and cannot be installed here (need root and apt-get)."
    say "         Install them ('sudo apt-get install ${missing[*]}'); the engine tier needs them."
  fi
else
  say "Debian tools: shellcheck and cloud-init present"
fi

bash scripts/toolchain.sh
say "done. Next: npm run synth   (then: npm test)"
