/**
 * The static files a k3s node's cloud-init writes to disk: the bootstrap script that the
 * single `runcmd` entry runs, the NAT script and its systemd unit.
 *
 * They are string constants, not files read at run time, because the app is bundled with
 * esbuild. Every per-node value comes from {@link NODE_ENV_PATH} and every k3s setting from
 * {@link K3S_CONFIG_PATH}, so the text here is the same on every node. It ends up inside
 * Terraform JSON, where `${` and `%{` start interpolations: use `$VAR`, never the braced
 * form or bash arrays (a unit test enforces this).
 */

/** Where cloud-init writes the per-node shell variables the scripts read. */
export const NODE_ENV_PATH = '/etc/k3s-bootstrap/node.env';
/** k3s reads its flags from this file; holds the join tokens, hence mode 0600. */
export const K3S_CONFIG_PATH = '/etc/rancher/k3s/config.yaml';
/** The bootstrap script run once by the single `runcmd` entry. */
export const BOOTSTRAP_SCRIPT_PATH = '/usr/local/sbin/k3s-bootstrap';
/** The NAT script, run by the bootstrap script and at every boot by {@link NAT_UNIT_NAME}. */
export const NAT_SCRIPT_PATH = '/usr/local/sbin/k3s-nat-setup';
/** The systemd unit that re-applies NAT at every boot (iptables and routes are not persistent). */
export const NAT_UNIT_NAME = 'k3s-nat.service';
/** Everything the bootstrap and NAT scripts print during first boot. */
export const LOG_PATH = '/root/cloud-init.log';
/** Written when the bootstrap has finished; its absence after boot means it failed. */
export const DONE_MARKER_PATH = '/root/cloud-init.done';
/** k3s applies every manifest in this directory at start and whenever one changes. */
export const K3S_MANIFESTS_DIR = '/var/lib/rancher/k3s/server/manifests';

/** Shell function shared by both scripts: the interface that carries PRIVATE_IP, by bounded wait. */
const FIND_PRIVATE_IFACE = `# The private interface's name depends on the server type (enp7s0, ens10, ...):
# find it by the private IP, waiting for the network to attach it.
find_private_iface() {
  local attempt=1 iface
  while [ "$attempt" -le "$IFACE_WAIT_ATTEMPTS" ]; do
    iface=$(ip -o -4 addr show | awk -v ip="$PRIVATE_IP" '{ split($4, cidr, "/"); if (cidr[1] == ip) { print $2; exit } }')
    if [ -n "$iface" ]; then
      printf '%s\\n' "$iface"
      return 0
    fi
    log "waiting for an interface with $PRIVATE_IP (attempt $attempt/$IFACE_WAIT_ATTEMPTS)"
    sleep 2
    attempt=$((attempt + 1))
  done
  return 1
}`;

/**
 * Sets up NAT for the private network, idempotently. `gateway` (the control plane):
 * persistent IP forwarding and MASQUERADE of NETWORK_CIDR out of the public interface.
 * `client` (private-only nodes): default route via NAT_GATEWAY (the Hetzner network
 * gateway, which routes 0.0.0.0/0 to the control plane) and DNS resolvers.
 */
export const NAT_SCRIPT = `#!/bin/bash
# NAT for the k3s private network. Written by cloud-init; run by k3s-bootstrap on first
# boot and by k3s-nat.service at every boot. Safe to run again.
set -euo pipefail

NODE_ENV=${NODE_ENV_PATH}
IFACE_WAIT_ATTEMPTS=60
PRIVATE_IP=''
NETWORK_CIDR=''
NAT_KIND=''
NAT_GATEWAY=''
DNS_SERVERS=''
# shellcheck source=/dev/null
. "$NODE_ENV"

log() { printf '%s k3s-nat-setup: %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
fail() {
  log "FAILED: $*"
  exit 1
}

${FIND_PRIVATE_IFACE}

public_iface() {
  local attempt=1 iface
  while [ "$attempt" -le "$IFACE_WAIT_ATTEMPTS" ]; do
    iface=$(ip -o -4 route show default | awk '{ print $5; exit }')
    if [ -n "$iface" ]; then
      printf '%s\\n' "$iface"
      return 0
    fi
    log "waiting for a default route (attempt $attempt/$IFACE_WAIT_ATTEMPTS)"
    sleep 2
    attempt=$((attempt + 1))
  done
  return 1
}

setup_gateway() {
  local wan
  wan=$(public_iface) || fail "no default route, so no public interface to masquerade out of"
  printf 'net.ipv4.ip_forward = 1\\n' >/etc/sysctl.d/90-k3s-nat.conf
  sysctl -q -w net.ipv4.ip_forward=1
  if ! command -v iptables >/dev/null; then
    apt-get install -y -q iptables || fail "iptables is missing and could not be installed"
  fi
  iptables -t nat -C POSTROUTING -s "$NETWORK_CIDR" -o "$wan" -j MASQUERADE 2>/dev/null ||
    iptables -t nat -A POSTROUTING -s "$NETWORK_CIDR" -o "$wan" -j MASQUERADE
  iptables -C FORWARD -s "$NETWORK_CIDR" -o "$wan" -j ACCEPT 2>/dev/null ||
    iptables -I FORWARD -s "$NETWORK_CIDR" -o "$wan" -j ACCEPT
  iptables -C FORWARD -d "$NETWORK_CIDR" -i "$wan" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT 2>/dev/null ||
    iptables -I FORWARD -d "$NETWORK_CIDR" -i "$wan" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
  log "gateway: forwarding on, masquerading $NETWORK_CIDR out of $wan"
}

setup_client() {
  local lan server
  lan=$(find_private_iface) || fail "no interface has $PRIVATE_IP; is the server attached to the network?"
  ip route replace default via "$NAT_GATEWAY" dev "$lan" onlink
  if systemctl is-active --quiet systemd-resolved; then
    mkdir -p /etc/systemd/resolved.conf.d
    printf '[Resolve]\\nDNS=%s\\n' "$DNS_SERVERS" >/etc/systemd/resolved.conf.d/90-k3s-nat.conf
    systemctl restart systemd-resolved
  else
    : >/etc/resolv.conf
    for server in $DNS_SERVERS; do
      printf 'nameserver %s\\n' "$server" >>/etc/resolv.conf
    done
  fi
  log "client: default route via $NAT_GATEWAY on $lan, DNS $DNS_SERVERS"
}

case "$NAT_KIND" in
  gateway) setup_gateway ;;
  client) setup_client ;;
  *) fail "NAT_KIND must be gateway or client in $NODE_ENV, got '$NAT_KIND'" ;;
esac
`;

/** Re-applies NAT at every boot, before k3s starts (clients need it to pull images). */
export const NAT_UNIT = `[Unit]
Description=NAT for the k3s private network (written by cloud-init)
Wants=network-online.target
After=network-online.target
Before=k3s.service k3s-agent.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/bash ${NAT_SCRIPT_PATH}

[Install]
WantedBy=multi-user.target
`;

/**
 * Bootstraps the node once: NAT, flannel interface, wait for the API (joining nodes),
 * install the pinned k3s, write the marker. Logs everything to {@link LOG_PATH}.
 */
export const BOOTSTRAP_SCRIPT = `#!/bin/bash
# k3s node bootstrap, run once by cloud-init's runcmd. Per-node values come from
# ${NODE_ENV_PATH}, k3s settings from ${K3S_CONFIG_PATH}.
set -euo pipefail

LOG_FILE=${LOG_PATH}
DONE_MARKER=${DONE_MARKER_PATH}
NODE_ENV=${NODE_ENV_PATH}
K3S_CONFIG=${K3S_CONFIG_PATH}
NAT_SCRIPT=${NAT_SCRIPT_PATH}
NAT_UNIT=${NAT_UNIT_NAME}
INSTALLER=/root/k3s-install.sh
IFACE_WAIT_ATTEMPTS=60
API_WAIT_ATTEMPTS=180
API_WAIT_SLEEP_SECONDS=5
INSTALL_ATTEMPTS=3

exec >>"$LOG_FILE" 2>&1

log() { printf '%s k3s-bootstrap: %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
fail() {
  log "FAILED: $*"
  exit 1
}
on_exit() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    log "FAILED with exit code $rc; no $DONE_MARKER written"
  fi
}
trap on_exit EXIT

K3S_ROLE=''
K3S_VERSION=''
PRIVATE_IP=''
SERVER_URL=''
NAT_KIND=''
# shellcheck source=/dev/null
. "$NODE_ENV"

${FIND_PRIVATE_IFACE}

# retry ATTEMPTS DELAY_SECONDS COMMAND...: run COMMAND until it succeeds, at most ATTEMPTS times.
retry() {
  local attempts=$1 delay=$2 n=1
  shift 2
  until "$@"; do
    if [ "$n" -ge "$attempts" ]; then
      return 1
    fi
    log "attempt $n/$attempts failed, retrying in $delay s: $*"
    sleep "$delay"
    n=$((n + 1))
  done
}

wait_for_api() {
  local attempt=1
  while [ "$attempt" -le "$API_WAIT_ATTEMPTS" ]; do
    if curl -ksf --max-time 5 -o /dev/null "$SERVER_URL/ping"; then
      log "k3s API at $SERVER_URL answers"
      return 0
    fi
    log "waiting for the k3s API at $SERVER_URL (attempt $attempt/$API_WAIT_ATTEMPTS)"
    sleep "$API_WAIT_SLEEP_SECONDS"
    attempt=$((attempt + 1))
  done
  fail "k3s API at $SERVER_URL did not answer after $API_WAIT_ATTEMPTS attempts"
}

if [ -e "$DONE_MARKER" ]; then
  log "$DONE_MARKER exists, nothing to do"
  exit 0
fi

case "$K3S_ROLE" in
  first-server | joining-server) k3s_command=server ;;
  agent) k3s_command=agent ;;
  *) fail "K3S_ROLE must be first-server, joining-server or agent in $NODE_ENV, got '$K3S_ROLE'" ;;
esac
[ -n "$K3S_VERSION" ] || fail "K3S_VERSION is empty in $NODE_ENV"
[ -n "$PRIVATE_IP" ] || fail "PRIVATE_IP is empty in $NODE_ENV"
log "bootstrapping k3s $K3S_VERSION ($K3S_ROLE) on $PRIVATE_IP"

if [ "$NAT_KIND" != none ]; then
  bash "$NAT_SCRIPT"
  systemctl daemon-reload
  systemctl enable "$NAT_UNIT"
fi

iface=$(find_private_iface) || fail "no interface has $PRIVATE_IP after $IFACE_WAIT_ATTEMPTS attempts; is the server attached to the network?"
log "private interface: $iface"
sed -i '/^flannel-iface:/d' "$K3S_CONFIG"
printf 'flannel-iface: %s\\n' "$iface" >>"$K3S_CONFIG"

if [ -n "$SERVER_URL" ]; then
  wait_for_api
fi

retry "$INSTALL_ATTEMPTS" 10 curl -sfL --max-time 120 -o "$INSTALLER" https://get.k3s.io ||
  fail "could not download the k3s installer from https://get.k3s.io"
retry "$INSTALL_ATTEMPTS" 15 env INSTALL_K3S_VERSION="$K3S_VERSION" sh "$INSTALLER" "$k3s_command" ||
  fail "k3s $K3S_VERSION install failed; see journalctl -u k3s or k3s-agent"

date -u +%Y-%m-%dT%H:%M:%SZ >"$DONE_MARKER"
log "done"
`;
