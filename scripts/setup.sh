#!/usr/bin/env bash
# One-time (idempotent) set-up of a fresh machine: npm packages, the Debian tools the
# engine tier uses (see below), and the offline Terraform toolchain (with actionlint).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
say() { printf '[setup] %s\n' "$*" >&2; }

if [[ ! -d node_modules/.bin || package-lock.json -nt node_modules/.package-lock.json ]]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
else
  say "npm packages: up to date"
fi

# Debian tools of the engine tier: cloud-init and shellcheck validate the user data; the
# network-namespace sandbox runs the node scripts (iproute2, iptables, procps, curl,
# util-linux) with a real systemd-networkd and its D-Bus (systemd, dbus).
missing=()
need() { PATH="$PATH:/usr/sbin:/sbin" command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
need shellcheck shellcheck
need cloud-init cloud-init
need ip iproute2
need iptables iptables
need sysctl procps
need curl curl
need nsenter util-linux
need unshare util-linux
need dbus-daemon dbus
need networkctl systemd
# The identity tests check certificates and host keys with the real tools.
need openssl openssl
need ssh-keygen openssh-client
if [[ ! -x /usr/lib/systemd/systemd-networkd && ! -x /lib/systemd/systemd-networkd ]]; then
  missing+=(systemd-networkd)
fi
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # Older releases ship networkd inside the systemd package.
    if [[ " ${missing[*]} " == *" systemd-networkd "* ]] && ! apt-cache show systemd-networkd >/dev/null 2>&1; then
      missing=("${missing[@]/#systemd-networkd/systemd}")
    fi
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    say "installing Debian packages: ${missing[*]}"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    say "WARNING: ${missing[*]} missing and cannot be installed here (need root and apt-get)."
    say "         Install them ('sudo apt-get install ${missing[*]}'); the engine tier needs them."
  fi
else
  say "Debian tools: present (shellcheck, cloud-init, the namespace sandbox's)"
fi

bash scripts/toolchain.sh
say "done. Next: npm run synth   (then: npm test)"
