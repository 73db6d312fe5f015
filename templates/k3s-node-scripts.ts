/**
 * The static files a k3s node's cloud-init writes to disk: the bootstrap script and the
 * systemd unit that runs it until it succeeds, the metadata block and the NAT scripts
 * with the units that re-apply them at every boot.
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
/** The bootstrap script, run by {@link BOOTSTRAP_UNIT_NAME}. */
export const BOOTSTRAP_SCRIPT_PATH = '/usr/local/sbin/k3s-bootstrap';
/** Runs the bootstrap script until it succeeds; the single `runcmd` entry starts it. */
export const BOOTSTRAP_UNIT_NAME = 'k3s-bootstrap.service';
/** The NAT script, run by the bootstrap script and at every boot by {@link NAT_UNIT_NAME}. */
export const NAT_SCRIPT_PATH = '/usr/local/sbin/k3s-nat-setup';
/** The systemd unit that re-applies NAT at every boot (iptables rules are not persistent). */
export const NAT_UNIT_NAME = 'k3s-nat.service';
/** The metadata block script, run by the bootstrap script and at every boot by {@link METADATA_BLOCK_UNIT_NAME}. */
export const METADATA_BLOCK_SCRIPT_PATH = '/usr/local/sbin/k3s-metadata-block';
/** The systemd unit that blocks pods from the metadata service at every boot, before k3s. */
export const METADATA_BLOCK_UNIT_NAME = 'k3s-metadata-block.service';
/** Hetzner's metadata service: serves the node's user data (k3s tokens included) to anything on the node. */
export const METADATA_IP = '169.254.169.254';
/** Everything the bootstrap and the scripts it runs print. */
export const LOG_PATH = '/root/cloud-init.log';
/** Written when the bootstrap has finished; its absence after boot means it has not succeeded yet. */
export const DONE_MARKER_PATH = '/root/cloud-init.done';
/** k3s applies every manifest in this directory at start and whenever one changes. */
export const K3S_MANIFESTS_DIR = '/var/lib/rancher/k3s/server/manifests';
/** systemd-networkd's configuration directory for the administrator's files. */
export const NETWORKD_DIR = '/etc/systemd/network';
/** Private-only nodes: our .network file for the private interface, used when networkd manages it with none. */
export const PRIVATE_NETWORK_FILE = `${NETWORKD_DIR}/05-k3s-private.network`;
/** Private-only nodes: the drop-in that adds the default route to the .network file networkd uses. */
export const NAT_ROUTE_DROP_IN = '90-k3s-nat.conf';

/** Shell function of the bootstrap and NAT scripts: the interface that carries PRIVATE_IP, by bounded wait. */
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

/** Shell function of the NAT and metadata block scripts. */
const REQUIRE_IPTABLES = `# Ubuntu's images ship iptables; install it (package index first) where one does not.
require_iptables() {
  command -v iptables >/dev/null && return 0
  log "iptables is missing, installing it"
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q iptables
}`;

/** Log and fail functions of a script named `name`; they write to stderr. */
function logFunctions(name: string): string {
  return `log() { printf '%s ${name}: %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
fail() {
  log "FAILED: $*"
  exit 1
}`;
}

/**
 * Blocks pod traffic to {@link METADATA_IP}, idempotently. Pod traffic enters the host
 * through an interface (cni0, flannel.1) and passes raw PREROUTING before routing and
 * DNAT; the host's own traffic (cloud-init, hostNetwork pods) leaves through OUTPUT and
 * never does. k3s, flannel, kube-router and kube-proxy insert ACCEPT rules at the top of
 * the filter FORWARD chain, which would bypass a DROP there; none of them uses raw.
 */
export const METADATA_BLOCK_SCRIPT = `#!/bin/bash
# Keeps the metadata service, which serves the user data (tokens, CA keys of the persistent
# identity), to root on the host. Run by k3s-bootstrap and at every boot by
# ${METADATA_BLOCK_UNIT_NAME}, which k3s requires. Safe to run again.
# Routed traffic (pods; other nodes via the NAT gateway) passes raw PREROUTING, which k3s,
# flannel and kube-router leave alone (they accept pod traffic atop FORWARD): dropped there.
# The host's own traffic goes out through OUTPUT: only uid 0 (cloud-init, which reads the
# metadata at every boot) passes; any other user and non-root hostNetwork pods are refused.
set -euo pipefail

METADATA_IP=${METADATA_IP}

${logFunctions('k3s-metadata-block')}

${REQUIRE_IPTABLES}

require_iptables || fail "iptables is missing and could not be installed"
iptables -t raw -C PREROUTING -d "$METADATA_IP/32" -j DROP 2>/dev/null ||
  iptables -t raw -I PREROUTING -d "$METADATA_IP/32" -j DROP
iptables -C OUTPUT -d "$METADATA_IP/32" -m owner ! --uid-owner 0 -j REJECT 2>/dev/null ||
  iptables -I OUTPUT -d "$METADATA_IP/32" -m owner ! --uid-owner 0 -j REJECT
log "traffic to $METADATA_IP is dropped for pods and refused for every host user but root"
`;

/** The systemd units k3s's installer writes: servers run the first, agents the second. */
export const K3S_SERVER_UNIT = 'k3s.service';
export const K3S_AGENT_UNIT = 'k3s-agent.service';

/** Where the drop-in that ties a k3s unit to the metadata block goes (the installer never touches `.d` folders). */
export function metadataBlockDropInPath(k3sUnit: string): string {
  return `/etc/systemd/system/${k3sUnit}.d/10-metadata-block.conf`;
}

/**
 * Makes k3s (server or agent) require the metadata block: if the block fails, k3s does not
 * start, so no pod ever runs on a node whose metadata service is open (fail closed).
 */
export const METADATA_BLOCK_DROP_IN = `# Written by cloud-init: no k3s without the metadata block.
[Unit]
Requires=${METADATA_BLOCK_UNIT_NAME}
After=${METADATA_BLOCK_UNIT_NAME}
`;

/**
 * A unit that runs a script once at every boot, after the network and before k3s starts
 * (enabled by cloud-init); iptables rules and routes set by hand do not survive a reboot.
 */
function bootOneshotUnit(description: string, after: string, script: string): string {
  return `[Unit]
Description=${description}
Wants=network-online.target
After=${after}
Before=${K3S_SERVER_UNIT} ${K3S_AGENT_UNIT}

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/bash ${script}

[Install]
WantedBy=multi-user.target
`;
}

/** Re-applies the metadata block at every boot, before k3s starts any pod. */
export const METADATA_BLOCK_UNIT = bootOneshotUnit(
  'Block pods from the metadata service (written by cloud-init)',
  `network-online.target ${NAT_UNIT_NAME}`,
  METADATA_BLOCK_SCRIPT_PATH,
);

/**
 * Sets up NAT for the private network, idempotently. `gateway` (the control plane):
 * persistent IP forwarding and MASQUERADE of NETWORK_CIDR out of the public interface.
 * `client` (private-only nodes): default route via NAT_GATEWAY (the Hetzner network
 * gateway, which routes 0.0.0.0/0 to the control plane), persisted in systemd-networkd's
 * configuration, and DNS resolvers.
 */
export const NAT_SCRIPT = `#!/bin/bash
# NAT for the k3s private network. Written by cloud-init; run by k3s-bootstrap and at
# every boot by ${NAT_UNIT_NAME}. Safe to run again.
set -euo pipefail

NODE_ENV=${NODE_ENV_PATH}
NETWORKD_DIR=${NETWORKD_DIR}
OWN_NETWORK=${PRIVATE_NETWORK_FILE}
IFACE_WAIT_ATTEMPTS=60
PRIVATE_IP=''
NETWORK_CIDR=''
NAT_KIND=''
NAT_GATEWAY=''
DNS_SERVERS=''
# shellcheck source=/dev/null
. "$NODE_ENV"

${logFunctions('k3s-nat-setup')}

${FIND_PRIVATE_IFACE}

${REQUIRE_IPTABLES}

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
  require_iptables || fail "iptables is missing and could not be installed"
  iptables -t nat -C POSTROUTING -s "$NETWORK_CIDR" -o "$wan" -j MASQUERADE 2>/dev/null ||
    iptables -t nat -A POSTROUTING -s "$NETWORK_CIDR" -o "$wan" -j MASQUERADE
  iptables -C FORWARD -s "$NETWORK_CIDR" -o "$wan" -j ACCEPT 2>/dev/null ||
    iptables -I FORWARD -s "$NETWORK_CIDR" -o "$wan" -j ACCEPT
  iptables -C FORWARD -d "$NETWORK_CIDR" -i "$wan" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT 2>/dev/null ||
    iptables -I FORWARD -d "$NETWORK_CIDR" -i "$wan" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
  log "gateway: forwarding on, masquerading $NETWORK_CIDR out of $wan"
}

# networkd drops routes it did not configure when it reconfigures the link (netplan apply,
# upgrades): put the route in a drop-in for the .network file managing the interface, else
# in a .network of ours (DHCP keeps the address). ip alone sets it when networkd is absent.
persist_route() {
  local lan=$1 file conf='' text server
  file=$(networkctl status "$lan" 2>/dev/null | awk '$1 == "Network" && $2 == "File:" { print $3 }') || file=''
  case "$file" in
    /*) [ "$file" = "$OWN_NETWORK" ] || conf=$NETWORKD_DIR/$(basename "$file").d/${NAT_ROUTE_DROP_IN} ;;
  esac
  text=$(
    if [ -z "$conf" ]; then
      printf '[Match]\\nName=%s\\n\\n[DHCPv4]\\nUseMTU=yes\\n\\n[Network]\\nDHCP=ipv4\\n' "$lan"
    else
      printf '[Network]\\n'
    fi
    for server in $DNS_SERVERS; do printf 'DNS=%s\\n' "$server"; done
    printf '\\n[Route]\\nGateway=%s\\nGatewayOnLink=yes\\n' "$NAT_GATEWAY"
  )
  [ -n "$conf" ] || conf=$OWN_NETWORK
  if [ "$(cat "$conf" 2>/dev/null)" != "$text" ]; then
    mkdir -p "$(dirname "$conf")"
    printf '%s\\n' "$text" >"$conf"
    if networkctl reload 2>/dev/null; then
      log "client: default route written to $conf, networkd reloaded"
    else
      log "client: default route written to $conf; networkd is not running, ip route only"
    fi
  fi
}

setup_client() {
  local lan server
  lan=$(find_private_iface) || fail "no interface has $PRIVATE_IP; is the server attached to the network?"
  ip -4 route show default | grep -q "via $NAT_GATEWAY dev $lan" ||
    ip route replace default via "$NAT_GATEWAY" dev "$lan" onlink
  persist_route "$lan"
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
export const NAT_UNIT = bootOneshotUnit(
  'NAT for the k3s private network (written by cloud-init)',
  'network-online.target',
  NAT_SCRIPT_PATH,
);

/**
 * Bootstraps the node: NAT, metadata block, flannel interface, wait for the API (joining
 * nodes), download the pinned k3s installer and install, write the marker. One attempt
 * per run, with bounded retries and backoff inside; logs everything to {@link LOG_PATH}.
 * Settings before `node.env` is sourced may be overridden there (tests shorten sleeps).
 */
export const BOOTSTRAP_SCRIPT = `#!/bin/bash
# k3s node bootstrap, run by ${BOOTSTRAP_UNIT_NAME} until it succeeds. Per-node values
# come from ${NODE_ENV_PATH}, k3s settings from ${K3S_CONFIG_PATH}.
set -euo pipefail

LOG_FILE=${LOG_PATH}
DONE_MARKER=${DONE_MARKER_PATH}
NODE_ENV=${NODE_ENV_PATH}
K3S_CONFIG=${K3S_CONFIG_PATH}
NAT_SCRIPT=${NAT_SCRIPT_PATH}
METADATA_BLOCK_SCRIPT=${METADATA_BLOCK_SCRIPT_PATH}
INSTALLER=/root/k3s-install.sh
IFACE_WAIT_ATTEMPTS=60
API_WAIT_ATTEMPTS=180
API_WAIT_SLEEP_SECONDS=5
DOWNLOAD_ATTEMPTS=5
INSTALL_ATTEMPTS=2
RETRY_DELAY_SECONDS=10

exec >>"$LOG_FILE" 2>&1

${logFunctions('k3s-bootstrap')}
on_exit() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    log "FAILED with exit code $rc; no $DONE_MARKER written, systemd retries"
  fi
}
trap on_exit EXIT

K3S_ROLE=''
K3S_VERSION=''
K3S_INSTALLER_URL=''
PRIVATE_IP=''
SERVER_URL=''
NAT_KIND=''
# shellcheck source=/dev/null
. "$NODE_ENV"

${FIND_PRIVATE_IFACE}

# retry ATTEMPTS COMMAND...: run COMMAND until it succeeds, at most ATTEMPTS times, waiting
# RETRY_DELAY_SECONDS after the first failure and twice as long after each next one.
retry() {
  local attempts=$1 delay=$RETRY_DELAY_SECONDS n=1
  shift
  until "$@"; do
    if [ "$n" -ge "$attempts" ]; then
      log "attempt $n/$attempts failed, giving up: $*"
      return 1
    fi
    log "attempt $n/$attempts failed, retrying in $delay s: $*"
    sleep "$delay"
    delay=$((delay * 2))
    n=$((n + 1))
  done
  log "attempt $n/$attempts succeeded: $*"
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
[ -n "$K3S_INSTALLER_URL" ] || fail "K3S_INSTALLER_URL is empty in $NODE_ENV"
[ -n "$PRIVATE_IP" ] || fail "PRIVATE_IP is empty in $NODE_ENV"
log "bootstrapping k3s $K3S_VERSION ($K3S_ROLE) on $PRIVATE_IP"

if [ "$NAT_KIND" != none ]; then
  bash "$NAT_SCRIPT"
fi
bash "$METADATA_BLOCK_SCRIPT"

iface=$(find_private_iface) || fail "no interface has $PRIVATE_IP after $IFACE_WAIT_ATTEMPTS attempts; is the server attached to the network?"
log "private interface: $iface"
sed -i '/^flannel-iface:/d' "$K3S_CONFIG"
printf 'flannel-iface: %s\\n' "$iface" >>"$K3S_CONFIG"

if [ -n "$SERVER_URL" ]; then
  wait_for_api
fi

retry "$DOWNLOAD_ATTEMPTS" curl -fsSL --max-time 120 -o "$INSTALLER" "$K3S_INSTALLER_URL" ||
  fail "could not download the k3s installer from $K3S_INSTALLER_URL"
retry "$INSTALL_ATTEMPTS" env INSTALL_K3S_VERSION="$K3S_VERSION" sh "$INSTALLER" "$k3s_command" ||
  fail "k3s $K3S_VERSION install failed; see journalctl -u k3s or k3s-agent"

date -u +%Y-%m-%dT%H:%M:%SZ >"$DONE_MARKER"
log "done"
`;

/**
 * Runs the bootstrap until it succeeds: each run is bounded by TimeoutStartSec, a failed
 * one is restarted with a growing delay (RestartSteps and RestartMaxDelaySec need systemd
 * 254; Ubuntu 24.04 has 255), never giving up, and the marker makes it a no-op afterwards.
 * Enabled, so a reboot before success resumes it.
 */
export const BOOTSTRAP_UNIT = `[Unit]
Description=k3s node bootstrap, retried until it succeeds (written by cloud-init)
Wants=network-online.target
After=network-online.target
ConditionPathExists=!${DONE_MARKER_PATH}
StartLimitIntervalSec=0

[Service]
Type=oneshot
ExecStart=/bin/bash ${BOOTSTRAP_SCRIPT_PATH}
TimeoutStartSec=45min
Restart=on-failure
RestartSec=30s
RestartSteps=5
RestartMaxDelaySec=10min

[Install]
WantedBy=multi-user.target
`;
