#!/usr/bin/env bash
# Regenerates, from the upstream CRDs in ../shared/crds (Strimzi 0.50.1, Argo CD v3.5.1,
# k3s helm-controller v0.17.7), two committed folders:
#   imports/      the typed cdk8s constructs the charts use
#   crd-schemas/  the openAPIV3Schema of every served version of the same CRDs, as JSON
#                 (scripts/crd-schemas.mjs), which the schema test validates manifests
#                 against. Tests read only these folders, never ../shared: a clone of the
#                 repository has everything they need. ../shared/crds is read only here.
#
# `cdk8s import` of a local file works offline. One call per CRD file: each call writes
# one module, named after the first version the CRD lists (Strimzi's `Kafka` is v1,
# `KafkaV1Beta2` the deprecated one). Core kinds are not imported here (`cdk8s import k8s`
# downloads): they come from cdk8s-plus-28's own k8s imports.
#
#   CRD_DIR=path   where the CRDs are (default: ../shared/crds relative to the repo root)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
crds="${CRD_DIR:-$root/../shared/crds}"
out="$root/imports"
schemas_out="$root/crd-schemas"
[ -d "$crds" ] || {
  echo "CRD folder not found: $crds (set CRD_DIR); imports/ and crd-schemas/ are left as committed" >&2
  exit 1
}

# module name            CRD file (relative to $crds)
imports=(
  "strimzi-kafka          strimzi/0.50.1/040-Crd-kafka.yaml"
  "strimzi-kafkatopic     strimzi/0.50.1/043-Crd-kafkatopic.yaml"
  "strimzi-kafkauser      strimzi/0.50.1/044-Crd-kafkauser.yaml"
  "strimzi-kafkanodepool  strimzi/0.50.1/045-Crd-kafkanodepool.yaml"
  "argocd-application     argo-cd/v3.5.1/application-crd.yaml"
  "argocd-appproject      argo-cd/v3.5.1/appproject-crd.yaml"
  "k3s-helmchart          helm-controller/v0.17.7/helm.cattle.io_helmcharts.yaml"
)

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
for entry in "${imports[@]}"; do
  read -r name file <<<"$entry"
  mkdir -p "$tmp/$name"
  "$root/node_modules/.bin/cdk8s" import --no-save --check-upgrade=false -l typescript \
    -o "$tmp/$name" "$crds/$file" >/dev/null
  generated=("$tmp/$name"/*.ts)
  [ "${#generated[@]}" -eq 1 ] || { echo "expected one file from $file, got ${generated[*]}" >&2; exit 1; }
  mv "${generated[0]}" "$tmp/$name.ts"
  mkdir -p "$tmp/schemas"
  node "$root/scripts/crd-schemas.mjs" "$crds/$file" "$file" "$tmp/schemas/$name.json"
done

rm -rf "$out" "$schemas_out"
mkdir -p "$out" "$schemas_out"
mv "$tmp"/*.ts "$out/"
mv "$tmp"/schemas/*.json "$schemas_out/"
echo "imports/ and crd-schemas/ regenerated from $crds:"
ls -1 "$out" "$schemas_out"
