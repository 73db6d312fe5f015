#!/usr/bin/env bash
# destroy-all: removes an environment completely, including its persistent public IPs (the
# addresses are gone for good). Needs a typed confirmation equal to the environment.
#
#   scripts/ops/destroy-all.sh <env> --confirm <env> [--outdir cdktf.out]
#
# Steps: synth with ALLOW_DESTROY_PERSISTENT=<env> (lifts prevent_destroy and delete protection
# on that env's IPs only), destroy the cluster stack, apply the persistent stack (turns delete
# protection off at the API), then destroy it. Engine: $ENGINE, else .toolchain/engine, else
# tofu or terraform on PATH; CLI config: $TF_CLI_CONFIG_FILE, else .toolchain/terraformrc.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

env_name="${1:-}"
shift || true
confirm=""
outdir="$root/cdktf.out"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --confirm) confirm="${2:-}"; shift 2 ;;
    --outdir) outdir="$(realpath -m "$2")"; shift 2 ;;
    *) echo "destroy-all: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [[ -z "$env_name" ]]; then
  echo "usage: destroy-all.sh <env> --confirm <env> [--outdir dir]" >&2
  exit 2
fi
if [[ "$confirm" != "$env_name" ]]; then
  echo "destroy-all: refusing: --confirm must repeat the environment name ('$env_name'), got '${confirm}'." >&2
  echo "This deletes the persistent public IPs of $env_name; the addresses cannot be recovered." >&2
  exit 3
fi

engine="${ENGINE:-}"
if [[ -z "$engine" && -f "$root/.toolchain/engine" ]]; then engine="$(cat "$root/.toolchain/engine")"; fi
if [[ -z "$engine" ]]; then engine="$(command -v tofu || command -v terraform || true)"; fi
if [[ -z "$engine" || ! -x "$engine" ]]; then
  echo "destroy-all: no tofu/terraform found (run npm run toolchain or set ENGINE)" >&2
  exit 4
fi
if [[ -z "${TF_CLI_CONFIG_FILE:-}" && -f "$root/.toolchain/terraformrc" ]]; then
  export TF_CLI_CONFIG_FILE="$root/.toolchain/terraformrc"
fi
export TF_IN_AUTOMATION=1 TF_INPUT=0

mkdir -p "$outdir"
echo "== destroy-all $env_name: synth with ALLOW_DESTROY_PERSISTENT=$env_name"
ALLOW_DESTROY_PERSISTENT="$env_name" node "$root/scripts/synth.mjs" --outdir "$outdir" --no-gitops

run() {
  local stack="$1"; shift
  local dir="$outdir/stacks/$stack"
  if [[ ! -d "$dir" ]]; then echo "destroy-all: no stack $stack in $outdir" >&2; exit 5; fi
  if [[ ! -d "$dir/.terraform" ]]; then (cd "$dir" && "$engine" init -input=false -no-color >/dev/null); fi
  (cd "$dir" && "$engine" "$@" -input=false -no-color -auto-approve)
}

echo "== destroy-all $env_name: destroy the cluster stack"
run "$env_name" destroy
echo "== destroy-all $env_name: lift delete protection on the persistent IPs"
run "$env_name-persistent" apply
echo "== destroy-all $env_name: destroy the persistent stack (public IPs)"
run "$env_name-persistent" destroy
echo "== destroy-all $env_name: done"
