#!/usr/bin/env bash
# Regenerates the typed hcloud bindings in .gen/ with `cdktf get`.
#
#   npm run get                 from the committed provider schema in schema/ (cdktf's
#                               schema cache): offline, needs neither Go nor an engine
#   npm run get -- --refresh    first re-read the schema from the provider binary in the
#                               local mirror (runs `npm run toolchain`; needs Go)
#
# After changing the hcloud version in cdktf.json and scripts/toolchain.sh, run with
# --refresh and commit schema/ and .gen/ together.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
say() { printf '[get] %s\n' "$*" >&2; }
export CHECKPOINT_DISABLE=1

if [[ "${1:-}" == "--refresh" ]]; then
  bash scripts/toolchain.sh
  engine="$(cat .toolchain/engine)"
  export TF_CLI_CONFIG_FILE="$root/.toolchain/terraformrc"
  constraint="$(node -p "require('./cdktf.json').terraformProviders[0].split('@')[1]")"
  version="${constraint#= }"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  cat >"$work/main.tf.json" <<JSON
{ "terraform": { "required_providers": { "hcloud": { "source": "hetznercloud/hcloud", "version": "$constraint" } } } }
JSON
  say "reading the hcloud $version schema with $engine"
  (cd "$work" && "$engine" init -backend=false -input=false >/dev/null && "$engine" providers schema -json >schema.json)
  # Key the cache the way cdktf 0.21 does (it only matches registry.terraform.io addresses,
  # while OpenTofu reports registry.opentofu.org).
  node - "$work/schema.json" "$version" "schema/hcloud@$(node -p "encodeURIComponent('$constraint')").json" <<'JS'
const fs = require('fs');
const [file, version, out] = process.argv.slice(2);
const text = fs.readFileSync(file, 'utf8').replaceAll('registry.opentofu.org/', 'registry.terraform.io/');
const schema = JSON.parse(text);
schema.provider_versions = { 'registry.terraform.io/hetznercloud/hcloud': version };
fs.rmSync('schema', { recursive: true, force: true });
fs.mkdirSync('schema');
fs.writeFileSync(out, JSON.stringify(schema));
JS
  say "schema written to schema/"
fi

say "generating .gen/ from schema/ with cdktf get"
CDKTF_EXPERIMENTAL_PROVIDER_SCHEMA_CACHE_PATH="$root/schema" npx cdktf get --force
say "done: .gen/providers/hcloud"
