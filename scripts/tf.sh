#!/usr/bin/env bash
# Runs the Terraform engine on one synthesized stack, offline-capable.
#
#   npm run tf -- <stack> <engine command> [args...]
#   npm run tf -- dev-persistent apply    # once: the two Primary IPs
#   npm run tf -- dev apply               # every morning: the cluster
#   npm run tf -- dev destroy             # every evening
#   npm run tf -- dev output              # IPs, DNS records, SSH command
#
# Synthesizes the stacks first, then runs `<engine> init` (once) and the command inside
# cdktf.out/stacks/<stack> (or $CDKTF_OUTDIR/stacks/<stack>). Uses the engine and provider mirror from `npm run toolchain`
# when present; set USE_PUBLIC_REGISTRY=1 to use your own tofu (1.7+) and the public
# registry instead. Working in the stack folder also sidesteps cdktf-cli re-locking
# providers against the registry.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if (($# < 2)); then
  sed -n '3,9p' "$0" >&2
  exit 2
fi
stack="$1"
shift

if [[ "${USE_PUBLIC_REGISTRY:-0}" != "1" && -f .toolchain/engine && -f .toolchain/terraformrc ]]; then
  engine="$(cat .toolchain/engine)"
  export TF_CLI_CONFIG_FILE="$root/.toolchain/terraformrc"
elif command -v tofu >/dev/null 2>&1; then
  # Not terraform: the stacks' state and plan encryption is OpenTofu's.
  engine=tofu
else
  echo "[tf] no engine: run 'npm run toolchain' (offline build) or install OpenTofu 1.7+" >&2
  exit 1
fi
export CHECKPOINT_DISABLE=1

node scripts/synth.mjs --no-gitops >/dev/null
# CDKTF_OUTDIR as for `npm run synth`; the local state sits next to it (state/).
out="$(cd "$root" && mkdir -p "${CDKTF_OUTDIR:-cdktf.out}" && cd "${CDKTF_OUTDIR:-cdktf.out}" && pwd)"
dir="$out/stacks/$stack"
if [[ ! -f "$dir/cdk.tf.json" ]]; then
  echo "[tf] no stack '$stack'; stacks: $(ls "$out/stacks" | tr '\n' ' ')" >&2
  exit 2
fi
mkdir -p "$(dirname "$out")/state"
cd "$dir"
# One engine folder per backend kind: a run with STATE_BACKEND=s3 after one with local state
# (the review validates with local state, then plans against S3) needs no -reconfigure, and
# neither state is ever switched or migrated behind your back.
export TF_DATA_DIR=".terraform.${STATE_BACKEND:-local}"
if [[ "${1:-}" == init ]]; then exec "$engine" "$@"; fi
if [[ "${1:-}" == validate ]]; then
  # validate reads no state: no backend, so no state passphrase either (a pull request's
  # review validates without one).
  "$engine" init -backend=false -input=false >/dev/null
  exec "$engine" "$@"
fi
if [[ -z "${TF_VAR_state_passphrase:-}" ]]; then
  echo "[tf] set TF_VAR_state_passphrase (at least 16 characters): the state and plans are encrypted with it (docs/identity.md)" >&2
  exit 1
fi
"$engine" init -input=false >/dev/null
# The stacks take the persistent identity as a sensitive variable (docs/identity.md); the
# operator CLI reads it from the persistent stack's encrypted state. validate needs no value.
case "${1:-}" in
  fmt | version | providers | state | force-unlock) ;;
  *)
    if [[ -z "${TF_VAR_identity:-}" ]]; then
      if ! TF_VAR_identity="$(cd "$root" && npm run --silent ops -- identity tf-var "$stack")"; then
        echo "[tf] could not read the identity of '$stack' (above); set TF_VAR_state_passphrase, or make it: npm run ops -- identity init <env>" >&2
        exit 1
      fi
      export TF_VAR_identity
    fi
    ;;
esac
exec "$engine" "$@"
