#!/usr/bin/env bash
# Offline Terraform toolchain: an engine (tofu/terraform from PATH, else OpenTofu built
# from its Go module) and the providers this project uses, built from their Go modules
# into a filesystem mirror named in a CLI config file the project owns; and actionlint
# (bin/actionlint), which the engine tier runs on .github/workflows.
#
# Go: the oldest version that builds every module below is in .go-version (CI's setup-go
# reads the same file); a build with an older Go stops with what to install.
#
# Idempotent: every artefact carries a stamp of what it was built from and is rebuilt
# only when that changes. Output lives in $TOOLCHAIN_DIR (default .toolchain/, gitignored).
#
#   TOOLCHAIN_ENGINE=auto|build   auto (default) uses tofu from PATH when it is OpenTofu >= 1.7
#                                 (state encryption), else builds OpenTofu; build always builds.
#                                 Terraform is never picked: it has no state encryption, and the
#                                 stacks hold the cluster identity (lib/state-encryption.ts).
#   TOOLCHAIN_DIR=path            where binaries, mirror and CLI config go.
#
# Afterwards:  export TF_CLI_CONFIG_FILE="$(pwd)/.toolchain/terraformrc"
#              engine path: $(cat .toolchain/engine)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${TOOLCHAIN_DIR:-$root/.toolchain}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
engine_mode="${TOOLCHAIN_ENGINE:-auto}"

# --- pinned versions (each also listed in lib/versions.ts; __tests__/versions.test.ts checks)
# OpenTofu: tagged Go module versions are served as-is.
TOFU_MODULE="github.com/opentofu/opentofu"
TOFU_VERSION="v1.12.6"
# hetznercloud/hcloud: tagged Go module versions are served as-is.
HCLOUD_MODULE="github.com/hetznercloud/terraform-provider-hcloud"
HCLOUD_VERSION="1.68.0"
HCLOUD_REF="v1.68.0"
# hashicorp/null: its v3 tags are not valid Go module versions (the module path has no
# /v3 suffix), so the module proxy serves only pseudo-versions of the default branch. We
# pin one such commit and file it under the provider version its CHANGELOG names.
NULL_MODULE="github.com/hashicorp/terraform-provider-null"
NULL_REF="v1.0.1-0.20260824155049-3827b35ad520"
NULL_VERSION="3.3.1"
# actionlint: the workflow linter, a plain Go module (tagged versions served as-is).
ACTIONLINT_MODULE="github.com/rhysd/actionlint"
ACTIONLINT_VERSION="v1.7.12"
# The oldest Go that builds all of the above (the highest `go` line of their go.mod files).
GO_MIN="$(tr -d '[:space:]' <"$root/.go-version")"

platform="$(go env GOOS 2>/dev/null || echo linux)_$(go env GOARCH 2>/dev/null || echo amd64)"
log() { printf '[toolchain] %s\n' "$*" >&2; }

require_go() {
  if ! command -v go >/dev/null 2>&1; then
    cat >&2 <<MSG
[toolchain] ERROR: Go is not installed, and it is needed to build $1 offline.
[toolchain]   Install Go $GO_MIN or newer (the version in .go-version; the official tarball,
[toolchain]   or a distribution package if it is that new), then run 'npm run toolchain' again.
[toolchain]   With internet access you may instead put 'tofu' or 'terraform' on PATH and
[toolchain]   let it download providers from the public registry.
MSG
    exit 1
  fi
  local have
  have="$(go env GOVERSION)"; have="${have#go}"
  if [[ "$(printf '%s\n%s\n' "$GO_MIN" "$have" | sort -V | head -n1)" != "$GO_MIN" ]]; then
    cat >&2 <<MSG
[toolchain] ERROR: Go $have is too old to build $1: it needs Go $GO_MIN or newer
[toolchain]   (.go-version). Install a newer Go, or let this one fetch it through the Go
[toolchain]   module proxy with 'GOTOOLCHAIN=go$GO_MIN npm run toolchain'.
MSG
    exit 1
  fi
}

# build_module <module> <ref> <package-dir> <output-binary> [extra -ldflags]
build_module() {
  local module="$1" ref="$2" pkg="$3" out="$4" ldflags="-s -w ${5:-}"
  local stamp="$out.stamp" want="$module@$ref $ldflags"
  if [[ -x "$out" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    log "cached: $module@$ref -> ${out#"$dir"/}"
    return 0
  fi
  require_go "$module"
  local t0=$SECONDS src
  log "downloading $module@$ref through the Go module proxy"
  src="$(go mod download -json "$module@$ref" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -n "$src" && -d "$src" ]] || { log "ERROR: go mod download $module@$ref gave no source folder"; exit 1; }
  # Build in a writable copy: modules with replace directives cannot be built by
  # 'go install mod@version', and the module cache is read-only.
  local work
  work="$dir/src/$(basename "$module")@$ref"
  if [[ ! -f "$work/go.mod" ]]; then
    rm -rf "$work"; mkdir -p "$(dirname "$work")"
    cp -r "$src" "$work"; chmod -R u+w "$work"
  fi
  log "building $module@$ref (first build takes minutes; Go's build cache makes later ones fast)"
  mkdir -p "$(dirname "$out")"
  (cd "$work" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "$ldflags" -o "$out" "$pkg")
  echo "$want" >"$stamp"
  log "built ${out#"$dir"/} in $((SECONDS - t0)) s"
}

# mirror_provider <namespace/type> <version> <module> <ref> [extra -ldflags]
mirror_provider() {
  local addr="$1" version="$2" module="$3" ref="$4" ldflags="${5:-}"
  local name="terraform-provider-${addr#*/}"
  local bin="$dir/build/$name/$version/${name}_v$version"
  build_module "$module" "$ref" . "$bin" "$ldflags"
  local host
  for host in registry.terraform.io registry.opentofu.org; do
    local dest="$dir/mirror/$host/$addr/$version/$platform"
    mkdir -p "$dest"
    if ! cmp -s "$bin" "$dest/${name}_v$version"; then
      cp "$bin" "$dest/${name}_v$version"
    fi
  done
  log "mirror: $addr $version (registry.terraform.io, registry.opentofu.org)"
}

t_start=$SECONDS
log "toolchain folder: $dir (platform $platform)"

# --- engine --------------------------------------------------------------------------
engine=""
if [[ "$engine_mode" == "auto" ]]; then
  if command -v tofu >/dev/null 2>&1; then
    have="$(TF_CLI_CONFIG_FILE=/dev/null tofu version 2>/dev/null | sed -n 's/^OpenTofu v\([0-9]*\.[0-9]*\).*/\1/p' | head -n1)"
    if [[ -n "$have" && "$(printf '%s\n%s\n' 1.7 "$have" | sort -V | head -n1)" == "1.7" ]]; then
      engine="$(command -v tofu)"
      log "engine from PATH: $engine (OpenTofu $have)"
    else
      log "tofu on PATH is older than 1.7 (no state encryption): building OpenTofu instead"
    fi
  elif command -v terraform >/dev/null 2>&1; then
    log "terraform on PATH is not used: the stacks need OpenTofu's state encryption; building OpenTofu"
  fi
elif [[ "$engine_mode" != "build" ]]; then
  log "ERROR: TOOLCHAIN_ENGINE must be 'auto' or 'build', got '$engine_mode'"; exit 2
fi
if [[ -z "$engine" ]]; then
  engine="$dir/bin/tofu"
  # dev=no: report the release version, not "<version>-dev".
  build_module "$TOFU_MODULE" "$TOFU_VERSION" ./cmd/tofu "$engine" "-X $TOFU_MODULE/version.dev=no"
fi
echo "$engine" >"$dir/engine"
log "engine: $(TF_CLI_CONFIG_FILE=/dev/null "$engine" version 2>/dev/null | grep -m1 -E '^(OpenTofu|Terraform) v')"

# --- providers -----------------------------------------------------------------------
mirror_provider hetznercloud/hcloud "$HCLOUD_VERSION" "$HCLOUD_MODULE" "$HCLOUD_REF" \
  "-X $HCLOUD_MODULE/hcloud.Version=$HCLOUD_VERSION"
mirror_provider hashicorp/null "$NULL_VERSION" "$NULL_MODULE" "$NULL_REF"

# --- tools ---------------------------------------------------------------------------
build_module "$ACTIONLINT_MODULE" "$ACTIONLINT_VERSION" ./cmd/actionlint "$dir/bin/actionlint" \
  "-X $ACTIONLINT_MODULE.version=$ACTIONLINT_VERSION"
log "actionlint: $("$dir/bin/actionlint" -version | sed -n 1p)"

# --- CLI config ----------------------------------------------------------------------
# No plugin_cache_dir: the engines' cache is not safe for concurrent inits (tests run
# several), and installing from a local mirror is already fast.
cat >"$dir/terraformrc" <<CFG
# Written by scripts/toolchain.sh. Providers come only from the local mirror.
disable_checkpoint = true
provider_installation {
  filesystem_mirror {
    path    = "$dir/mirror"
    include = ["registry.terraform.io/*/*", "registry.opentofu.org/*/*"]
  }
}
CFG
log "CLI config: $dir/terraformrc  (export TF_CLI_CONFIG_FILE=$dir/terraformrc)"
log "done in $((SECONDS - t_start)) s"
