#!/usr/bin/env bash
# Regenerates the typed cdk8s constructs in imports/ from the upstream CRDs in
# ../shared/crds (Strimzi 0.50.1, Argo CD v3.5.1, k3s helm-controller v0.17.7).
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
[ -d "$crds" ] || { echo "CRD folder not found: $crds (set CRD_DIR)" >&2; exit 1; }

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
done

rm -rf "$out"
mkdir -p "$out"
mv "$tmp"/*.ts "$out/"
echo "imports/ regenerated from $crds:"
ls -1 "$out"
