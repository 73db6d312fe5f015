import { Fn, Token } from 'cdktf';
import { gunzipSync, gzipSync } from 'fflate';
import * as YAML from 'yaml';
import { ipInCidr, parseCidr } from '../lib/network';
import {
  BOOTSTRAP_SCRIPT,
  BOOTSTRAP_SCRIPT_PATH,
  BOOTSTRAP_UNIT,
  BOOTSTRAP_UNIT_NAME,
  K3S_CONFIG_PATH,
  K3S_MANIFESTS_DIR,
  K3S_AGENT_UNIT,
  K3S_SERVER_UNIT,
  METADATA_BLOCK_DROP_IN,
  METADATA_BLOCK_SCRIPT,
  METADATA_BLOCK_SCRIPT_PATH,
  METADATA_BLOCK_UNIT,
  METADATA_BLOCK_UNIT_NAME,
  metadataBlockDropInPath,
  NAT_SCRIPT,
  NAT_SCRIPT_PATH,
  NAT_UNIT,
  NAT_UNIT_NAME,
  NODE_ENV_PATH,
} from './k3s-node-scripts';

export {
  BOOTSTRAP_SCRIPT_PATH,
  BOOTSTRAP_UNIT_NAME,
  DONE_MARKER_PATH,
  K3S_CONFIG_PATH,
  K3S_MANIFESTS_DIR,
  LOG_PATH,
  METADATA_BLOCK_UNIT_NAME,
  NAT_UNIT_NAME,
  NODE_ENV_PATH,
} from './k3s-node-scripts';

/** A Kubernetes manifest k3s applies at start: dropped into `/var/lib/rancher/k3s/server/manifests/`. */
export interface ManifestFile {
  /** File name in the manifests directory, e.g. `argocd.yaml` (`.yaml`, `.yml` or `.json`). */
  readonly fileName: string;
  /** The manifest text, e.g. a `HelmChart` rendered by the cdk8s side. */
  readonly content: string;
}

/** How a node reaches the internet. */
export type NodeNat =
  /** The control plane: forwards and masquerades the private network out of its public interface. */
  | { readonly kind: 'gateway' }
  /** A private-only node: default route via the Hetzner network gateway, which routes to the NAT gateway. */
  | {
      readonly kind: 'client';
      /** The Hetzner network gateway, the network's first IP, e.g. `10.0.0.1`. */
      readonly gateway: string;
      /** @default ['185.12.64.1', '185.12.64.2'] (Hetzner's resolvers) */
      readonly dnsServers?: readonly string[];
    }
  /** A node with its own public IPv4 (e.g. kafka-0): no NAT set-up at all. */
  | { readonly kind: 'none' };

/** k3s packaged components a server may disable (k3s `disable`). */
export type K3sComponent =
  'coredns' | 'servicelb' | 'traefik' | 'local-storage' | 'metrics-server' | 'runtimes';

/** Everything one k3s node's cloud-init needs. */
export interface K3sNodeUserDataProps {
  /** `first-server` starts the cluster, `joining-server` joins it as a server, `agent` as a worker. */
  readonly role: 'first-server' | 'joining-server' | 'agent';
  /** Pinned k3s release, e.g. `v1.34.1+k3s1`, passed as `INSTALL_K3S_VERSION`. */
  readonly k3sVersion: string;
  /** Kubernetes node name (k3s `node-name`), e.g. `trading-dev-kafka-0`. */
  readonly nodeName: string;
  /** The node's IP in the private network: `node-ip`, and `advertise-address` on servers. */
  readonly privateIp: string;
  /** The private network's range, e.g. `10.0.0.0/16`: what the NAT gateway masquerades. */
  readonly networkCidr: string;
  /** Servers: the server token. Agents: the agent token only, never the server token. */
  readonly token: string;
  /** Servers only: k3s `agent-token`, the token agents join with. @default - agents use the server token */
  readonly agentToken?: string;
  /** Joining servers and agents: the first server's API, `https://<private ip>:6443`. */
  readonly serverUrl?: string;
  /** First server of an HA (3) control plane: start embedded etcd (`cluster-init`). @default false */
  readonly clusterInit?: boolean;
  /** Servers: extra API certificate names, e.g. the public IP and DNS name (`tls-san`). @default [] */
  readonly tlsSans?: readonly string[];
  /** Servers: the NodePort range (`service-node-port-range`, e.g. `32100-32767`). @default - k3s's 30000-32767 */
  readonly serviceNodePortRange?: string;
  /** Labels set at registration (`node-label`), e.g. `{ kafka: 'true' }`. */
  readonly nodeLabels: Readonly<Record<string, string>>;
  /** Taints set at registration (`node-taint`), as `key=value:Effect`. @default [] */
  readonly nodeTaints?: readonly string[];
  /** How the node reaches the internet. */
  readonly nat: NodeNat;
  /** Servers only: manifests k3s applies at start, e.g. the ArgoCD `HelmChart`. @default [] */
  readonly manifests?: readonly ManifestFile[];
  /** Servers only: packaged components to turn off (k3s `disable`). @default [] (traefik and servicelb stay on) */
  readonly disableComponents?: readonly K3sComponent[];
  /**
   * Files whose content is secret and known only at apply: each `expression` is a Terraform
   * expression of a string (e.g. `local.boot.tls_files["server-ca.crt"]`), written into the
   * user data as `${jsonencode(...)}`, which is a valid YAML double-quoted scalar. The CA files
   * and the identity's Secrets go here, so the synthesized JSON holds only references.
   * @default []
   */
  readonly secretFiles?: readonly SecretFile[];
  /**
   * The node's persistent ed25519 SSH host key, as Terraform expressions of its OpenSSH
   * private and public key (cloud-init `ssh_keys`; `ssh_deletekeys` removes the image's, and
   * no other type is generated), so clients pin it once.
   * @default - cloud-init generates new host keys on each server
   */
  readonly sshHostKey?: { readonly privateExpression: string; readonly publicExpression: string };
}

/** A file of {@link K3sNodeUserDataProps.secretFiles}. */
export interface SecretFile {
  /** Absolute path on the node. */
  readonly path: string;
  /** Octal mode, e.g. `'0600'`. */
  readonly permissions: string;
  /** Terraform expression of the content (a string), e.g. `local.boot.token`. */
  readonly expression: string;
  /**
   * Compress it at apply (Terraform's `base64gzip`, cloud-init `encoding: gz+b64`): for
   * content that grows with the config, such as a manifest with one Secret per app.
   * @default false
   */
  readonly gzip?: boolean;
}

/** Hetzner Cloud's recursive resolvers, reachable from private networks through NAT. */
export const HETZNER_DNS_SERVERS: readonly string[] = ['185.12.64.1', '185.12.64.2'];

/** Stands in for a secret expression while the document is rendered (letters and digits: a plain YAML scalar). */
const SECRET_PLACEHOLDER = 'tfsecretexpr';

/** Hetzner Cloud rejects user data larger than this. */
export const MAX_USER_DATA_BYTES = 32 * 1024;

/**
 * Static files at least this large are written gzip-compressed: scripts and manifests shrink
 * to about half, which leaves room under the 32 KiB limit for the identity's CA files.
 */
export const GZIP_MIN_BYTES = 1024;

/** cloud-init's `write_files` encoding of gzip-compressed, base64-encoded content. */
export const GZIP_ENCODING = 'gz+b64';

/** A `write_files` entry's content and, when compressed, its encoding. */
interface PackedContent {
  readonly content: string;
  readonly encoding?: string;
}

/**
 * Compresses static content of {@link GZIP_MIN_BYTES} or more. Content holding a Terraform
 * reference (`${...}`) stays as it is, or the engine could not fill it in. Deterministic
 * (fflate, pinned; gzip header without a time), so the user data changes only with the content.
 */
function pack(content: string): PackedContent {
  if (Buffer.byteLength(content, 'utf8') < GZIP_MIN_BYTES || content.includes('${')) return { content };
  const gz = gzipSync(Buffer.from(content, 'utf8'), { level: 9, mtime: 0 });
  return { content: Buffer.from(gz).toString('base64'), encoding: GZIP_ENCODING };
}

/**
 * The text cloud-init writes for a `write_files` entry: its content decoded as its
 * `encoding` says (plain, base64, or gzip and base64), as cloud-init's write_files module does.
 * @throws Error naming an encoding cloud-init does not know.
 */
export function writeFileContent(entry: { readonly content?: unknown; readonly encoding?: unknown }): string {
  const content = typeof entry.content === 'string' ? entry.content : '';
  const encoding = entry.encoding === undefined ? 'text/plain' : String(entry.encoding).toLowerCase();
  if (['text/plain', ''].includes(encoding)) return content;
  if (['b64', 'base64'].includes(encoding)) return Buffer.from(content, 'base64').toString('utf8');
  if (['gz+b64', 'gz+base64', 'gzip+b64', 'gzip+base64'].includes(encoding)) {
    return Buffer.from(gunzipSync(Buffer.from(content, 'base64'))).toString('utf8');
  }
  throw new Error(`write_files encoding '${encoding}' is not one cloud-init reads (text/plain, b64, gz+b64)`);
}

const K3S_VERSION = /^v1\.\d+\.\d+(-rc\d+)?\+k3s\d+$/;
const NODE_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const SERVER_URL = /^https:\/\/[A-Za-z0-9.-]+:\d{1,5}$/;
const MANIFEST_FILE_NAME = /^[a-z0-9][a-z0-9._-]*\.(yaml|yml|json)$/;
const LABEL_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
const LABEL_PREFIX = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/;
const TAINT = /^([^=:\s]+)(=[^:\s]*)?:(NoSchedule|PreferNoSchedule|NoExecute)$/;
const TLS_SAN = /^[A-Za-z0-9.:*-]+$/;
const DOTTED_IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
/** A Terraform reference with attribute access and constant indexes, nothing that could close the template. */
const HCL_EXPRESSION = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*|\["[A-Za-z0-9._/-]+"\])*$/;
/** Manifests k3s itself writes into the manifests directory; a file of ours with the name would be overwritten. */
const K3S_PACKAGED_MANIFESTS = [
  'ccm.yaml',
  'coredns.yaml',
  'local-storage.yaml',
  'rolebindings.yaml',
  'runtimes.yaml',
  'traefik.yaml',
];
/** Prefixes the kubelet accepts in the `kubernetes.io` namespace at registration (NodeRestriction). */
const KUBELET_ALLOWED_PREFIXES = ['kubelet.kubernetes.io/', 'node.kubernetes.io/'];
const KUBELET_ALLOWED_LABELS = [
  'beta.kubernetes.io/arch',
  'beta.kubernetes.io/instance-type',
  'beta.kubernetes.io/os',
  'failure-domain.beta.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'kubernetes.io/arch',
  'kubernetes.io/hostname',
  'kubernetes.io/os',
  'node.kubernetes.io/instance-type',
  'topology.kubernetes.io/region',
  'topology.kubernetes.io/zone',
];

/** True for a cdktf token or a Terraform interpolation, whose value is only known at apply. */
function unresolved(value: unknown): boolean {
  return typeof value === 'string' && (Token.isUnresolved(value) || value.includes('${'));
}

function isIpv4(value: string): boolean {
  return DOTTED_IPV4.test(value) && value.split('.').every((octet) => Number(octet) <= 255);
}

function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (
    !LABEL_NAME.test(name) ||
    (prefix !== undefined && (prefix.length > 253 || !LABEL_PREFIX.test(prefix)))
  ) {
    return `nodeLabels key '${key}' is not a Kubernetes label key; use [prefix/]name, e.g. 'kafka' or 'example.com/pool'`;
  }
  const restricted = prefix !== undefined && /(^|\.)(kubernetes\.io|k8s\.io)$/.test(prefix);
  const allowed =
    KUBELET_ALLOWED_LABELS.includes(key) || KUBELET_ALLOWED_PREFIXES.some((p) => key.startsWith(p));
  if (restricted && !allowed) {
    return (
      `nodeLabels key '${key}' is in the kubernetes.io namespace, which the kubelet refuses at registration ` +
      `(k3s fails to start); use a 'node.kubernetes.io/' key or a plain one such as 'kafka', ` +
      `and set node-role.kubernetes.io/* labels after registration`
    );
  }
  return undefined;
}

type Check = (p: K3sNodeUserDataProps) => string | readonly (string | undefined)[] | undefined;

const isServer = (p: K3sNodeUserDataProps): boolean => p.role !== 'agent';

/** The rules, one concern each; a check is skipped for a value that is a Terraform token. */
const CHECKS: readonly Check[] = [
  (p) =>
    ['first-server', 'joining-server', 'agent'].includes(p.role)
      ? undefined
      : `role must be 'first-server', 'joining-server' or 'agent', got '${String(p.role)}'`,
  (p) =>
    unresolved(p.k3sVersion) || K3S_VERSION.test(p.k3sVersion ?? '')
      ? undefined
      : `k3sVersion must be a k3s release such as 'v1.34.1+k3s1', got '${String(p.k3sVersion)}'`,
  (p) =>
    unresolved(p.nodeName) || NODE_NAME.test(p.nodeName ?? '')
      ? undefined
      : `nodeName must be lower-case letters, digits, '-' and '.', e.g. 'trading-dev-kafka-0', got '${String(p.nodeName)}'`,
  (p) => {
    if (unresolved(p.networkCidr)) return undefined;
    const cidr = parseCidr(p.networkCidr);
    if (!cidr || cidr.address.kind() !== 'ipv4') {
      return `networkCidr must be an IPv4 CIDR such as '10.0.0.0/16', got '${String(p.networkCidr)}'`;
    }
    if (unresolved(p.privateIp)) return undefined;
    if (!isIpv4(p.privateIp ?? ''))
      return `privateIp must be an IPv4 address such as '10.0.1.10', got '${String(p.privateIp)}'`;
    return ipInCidr(p.privateIp, cidr)
      ? undefined
      : `privateIp '${p.privateIp}' is outside networkCidr '${p.networkCidr}'; use an address of the private network`;
  },
  (p) =>
    typeof p.token === 'string' && p.token.length > 0
      ? undefined
      : `token is empty; pass the ${isServer(p) ? 'server' : 'agent'} token (a Terraform random_password result)`,
  (p) =>
    [p.token, p.agentToken].map((t) =>
      t !== undefined && !unresolved(t) && /['\n]/.test(t)
        ? `tokens must not contain quotes or line breaks; generate them without special characters`
        : undefined,
    ),
  (p) =>
    p.role === 'agent' && p.agentToken !== undefined
      ? `agentToken is for servers only; an agent gets the agent token as 'token' and nothing else`
      : undefined,
  (p) =>
    p.role !== 'agent' && p.agentToken !== undefined && !unresolved(p.agentToken) && p.agentToken === p.token
      ? `agentToken equals the server token; generate a separate agent token so agents never hold the server token`
      : undefined,
  (p) => {
    if (p.role === 'first-server') {
      return p.serverUrl === undefined
        ? undefined
        : `serverUrl is for joining servers and agents; the first server starts the cluster, remove serverUrl`;
    }
    if (p.serverUrl === undefined || p.serverUrl === '') {
      return `serverUrl is required for role '${p.role}'; pass the first server's API, e.g. 'https://10.0.1.10:6443'`;
    }
    return unresolved(p.serverUrl) || SERVER_URL.test(p.serverUrl)
      ? undefined
      : `serverUrl must look like 'https://10.0.1.10:6443', got '${p.serverUrl}'`;
  },
  (p) =>
    p.clusterInit && p.role !== 'first-server'
      ? `clusterInit is only for the first server of an HA control plane; role '${p.role}' joins through serverUrl`
      : undefined,
  (p) =>
    p.role === 'agent' && (p.tlsSans?.length ?? 0) > 0
      ? `tlsSans is for servers only (API certificate names); remove it from agent '${p.nodeName}'`
      : undefined,
  (p) =>
    (p.tlsSans ?? []).map((san) =>
      unresolved(san) || TLS_SAN.test(san)
        ? undefined
        : `tlsSans entry '${san}' must be an IP address or DNS name, e.g. '203.0.113.10' or 'api.example.com'`,
    ),
  (p) =>
    p.nodeLabels && typeof p.nodeLabels === 'object'
      ? Object.entries(p.nodeLabels).flatMap(([key, value]) => [
          labelKeyProblem(key),
          unresolved(value) || (typeof value === 'string' && LABEL_VALUE.test(value))
            ? undefined
            : `nodeLabels['${key}'] value '${String(value)}' must be at most 63 letters, digits, '-', '_' or '.', e.g. 'true'`,
        ])
      : `nodeLabels must be an object such as { kafka: 'true' }; pass {} for none`,
  (p) =>
    (p.nodeTaints ?? []).map((taint) =>
      TAINT.test(taint)
        ? undefined
        : `nodeTaints entry '${taint}' must be 'key=value:Effect' with Effect NoSchedule, PreferNoSchedule or NoExecute, e.g. 'kafka=true:NoSchedule'`,
    ),
  (p) => {
    if (!p.nat || !['gateway', 'client', 'none'].includes(p.nat.kind)) {
      return `nat must be { kind: 'gateway' }, { kind: 'client', gateway: '10.0.0.1' } or { kind: 'none' }`;
    }
    if (p.nat.kind !== 'client') return undefined;
    const problems: string[] = [];
    if (!unresolved(p.nat.gateway)) {
      const cidr = unresolved(p.networkCidr) ? undefined : parseCidr(p.networkCidr);
      if (!isIpv4(p.nat.gateway ?? '') || (cidr && !ipInCidr(p.nat.gateway, cidr))) {
        problems.push(
          `nat.gateway must be the network gateway, the first IP of networkCidr (e.g. '10.0.0.1'), got '${String(p.nat.gateway)}'`,
        );
      } else if (p.nat.gateway === p.privateIp) {
        problems.push(
          `nat.gateway '${p.nat.gateway}' is this node's own IP; a client routes via the network gateway`,
        );
      }
    }
    (p.nat.dnsServers ?? []).forEach((dns) => {
      if (!unresolved(dns) && !isIpv4(dns)) {
        problems.push(`nat.dnsServers entry '${dns}' must be an IPv4 address, e.g. '185.12.64.1'`);
      }
    });
    return problems;
  },
  (p) =>
    p.role === 'agent' && (p.manifests?.length ?? 0) > 0
      ? `manifests are applied by k3s servers only; move them to the first server's user data (agent '${p.nodeName}')`
      : undefined,
  (p) =>
    p.role === 'agent' && (p.disableComponents?.length ?? 0) > 0
      ? `disableComponents is a server setting; remove it from agent '${p.nodeName}'`
      : undefined,
  (p) => {
    const range = p.serviceNodePortRange;
    if (range === undefined) return undefined;
    if (p.role === 'agent')
      return `serviceNodePortRange is a server setting; remove it from agent '${p.nodeName}'`;
    const m = typeof range === 'string' ? /^(\d{1,5})-(\d{1,5})$/.exec(range) : null;
    return m && Number(m[1]) >= 1 && Number(m[1]) < Number(m[2]) && Number(m[2]) <= 65535
      ? undefined
      : `serviceNodePortRange must be '<first>-<last>' with first < last <= 65535, such as '32100-32767', got ${JSON.stringify(range)}`;
  },
  (p) =>
    (p.secretFiles ?? []).map((f, i) =>
      typeof f?.path === 'string' && f.path.startsWith('/') && !/[\s'"]/.test(f.path)
        ? HCL_EXPRESSION.test(f.expression ?? '')
          ? /^0[0-7]{3}$/.test(f.permissions ?? '')
            ? undefined
            : `secretFiles[${i}].permissions must be an octal mode such as '0600', got '${String(f.permissions)}'`
          : `secretFiles[${i}].expression must be a Terraform reference such as 'local.boot.token', got '${String(f.expression)}'`
        : `secretFiles[${i}].path must be an absolute path without spaces or quotes, got '${String(f?.path)}'`,
    ),
  (p) =>
    p.sshHostKey === undefined ||
    (HCL_EXPRESSION.test(p.sshHostKey.privateExpression ?? '') &&
      HCL_EXPRESSION.test(p.sshHostKey.publicExpression ?? ''))
      ? undefined
      : `sshHostKey expressions must be Terraform references such as 'local.boot.host_keys["node"].private'`,
  (p) => {
    const names = (p.manifests ?? []).map((m) => m.fileName);
    return names.map((name, i) => {
      if (typeof name !== 'string' || !MANIFEST_FILE_NAME.test(name)) {
        return `manifests[${i}].fileName '${String(name)}' must be a plain file name ending in .yaml, .yml or .json, e.g. 'argocd.yaml'`;
      }
      if (K3S_PACKAGED_MANIFESTS.includes(name)) {
        return `manifests[${i}].fileName '${name}' is a manifest k3s writes itself and would overwrite; pick another name`;
      }
      if (names.indexOf(name) !== i)
        return `manifests[${i}].fileName '${name}' is used twice; file names must be unique`;
      return typeof p.manifests![i].content === 'string' && p.manifests![i].content.trim() !== ''
        ? undefined
        : `manifests[${i}] '${name}' has no content`;
    });
  },
];

/** Every broken rule in the props, as messages naming the value and the fix. */
export function k3sUserDataProblems(props: K3sNodeUserDataProps): string[] {
  return CHECKS.flatMap((check) => {
    const result = check(props);
    if (result === undefined) return [];
    return (typeof result === 'string' ? [result] : result).filter((m): m is string => m !== undefined);
  });
}

/**
 * The install script of the k3s release itself (its tag on GitHub), not the moving
 * https://get.k3s.io, so a new installer never reaches a node unannounced. The `+` of the
 * tag is URL-encoded (`v1.34.1%2Bk3s1`); a Terraform token is encoded by Terraform.
 */
export function k3sInstallerUrl(k3sVersion: string): string {
  const tag = unresolved(k3sVersion) ? Fn.urlencode(k3sVersion) : encodeURIComponent(k3sVersion);
  return `https://raw.githubusercontent.com/k3s-io/k3s/${tag}/install.sh`;
}

/** A shell single-quoted word; values are validated or Terraform tokens, this guards the rest. */
function shellQuote(value: string): string {
  return `'${value.split("'").join(`'\\''`)}'`;
}

function nodeEnv(props: K3sNodeUserDataProps): string {
  const nat = props.nat;
  const vars: Record<string, string> = {
    K3S_ROLE: props.role,
    K3S_VERSION: props.k3sVersion,
    K3S_INSTALLER_URL: k3sInstallerUrl(props.k3sVersion),
    PRIVATE_IP: props.privateIp,
    NETWORK_CIDR: props.networkCidr,
    SERVER_URL: props.serverUrl ?? '',
    NAT_KIND: nat.kind,
    NAT_GATEWAY: nat.kind === 'client' ? nat.gateway : '',
    DNS_SERVERS: nat.kind === 'client' ? (nat.dnsServers ?? HETZNER_DNS_SERVERS).join(' ') : '',
  };
  const lines = Object.entries(vars).map(([key, value]) => `${key}=${shellQuote(value)}`);
  return [
    '# Per-node values for k3s-bootstrap and k3s-nat-setup (written by cloud-init).',
    ...lines,
    '',
  ].join('\n');
}

function k3sConfig(props: K3sNodeUserDataProps): string {
  const server = isServer(props);
  const config: Record<string, unknown> = {
    'node-name': props.nodeName,
    token: props.token,
    ...(server && props.agentToken !== undefined ? { 'agent-token': props.agentToken } : {}),
    ...(props.serverUrl !== undefined ? { server: props.serverUrl } : {}),
    ...(props.clusterInit ? { 'cluster-init': true } : {}),
    'node-ip': props.privateIp,
    ...(server ? { 'advertise-address': props.privateIp } : {}),
    ...(server && props.tlsSans?.length ? { 'tls-san': [...props.tlsSans] } : {}),
    ...(server && props.disableComponents?.length ? { disable: [...props.disableComponents] } : {}),
    ...(server && props.serviceNodePortRange
      ? { 'service-node-port-range': props.serviceNodePortRange }
      : {}),
    'node-label': Object.entries(props.nodeLabels).map(([key, value]) => `${key}=${value}`),
    ...(props.nodeTaints?.length ? { 'node-taint': [...props.nodeTaints] } : {}),
  };
  const header = '# k3s flags (written by cloud-init); k3s-bootstrap appends flannel-iface.\n';
  return (
    header +
    YAML.stringify(config, { lineWidth: 0, defaultStringType: 'QUOTE_SINGLE', defaultKeyType: 'PLAIN' })
  );
}

interface WriteFile {
  readonly path: string;
  readonly content: string;
  readonly permissions: string;
}

/**
 * Renders a k3s node's cloud-init user data: `write_files` for the k3s config, per-node
 * values, scripts, systemd units and manifests, and a single `runcmd` that enables the
 * units and starts the bootstrap unit without waiting for it.
 *
 * Values are kept verbatim (no line folding) so cdktf tokens such as the Terraform-generated
 * join token survive into the Terraform JSON; the static text contains no `${` or `%{`.
 *
 * @throws Error listing every broken rule, each with the value and the fix.
 * @returns `#cloud-config` followed by the YAML document.
 */
export function renderK3sUserData(props: K3sNodeUserDataProps): string {
  const problems = k3sUserDataProblems(props);
  if (problems.length > 0) {
    const node = typeof props?.nodeName === 'string' ? props.nodeName : '?';
    throw new Error(
      `Invalid k3s user data for node '${node}':\n` + problems.map((p) => `  - ${p}`).join('\n'),
    );
  }

  const units: { readonly name: string; readonly content: string }[] = [
    { name: METADATA_BLOCK_UNIT_NAME, content: METADATA_BLOCK_UNIT },
    ...(props.nat.kind === 'none' ? [] : [{ name: NAT_UNIT_NAME, content: NAT_UNIT }]),
    { name: BOOTSTRAP_UNIT_NAME, content: BOOTSTRAP_UNIT },
  ];
  const files: WriteFile[] = [
    { path: K3S_CONFIG_PATH, content: k3sConfig(props), permissions: '0600' },
    { path: NODE_ENV_PATH, content: nodeEnv(props), permissions: '0644' },
    { path: METADATA_BLOCK_SCRIPT_PATH, content: METADATA_BLOCK_SCRIPT, permissions: '0700' },
    ...(props.nat.kind === 'none'
      ? []
      : [{ path: NAT_SCRIPT_PATH, content: NAT_SCRIPT, permissions: '0700' }]),
    { path: BOOTSTRAP_SCRIPT_PATH, content: BOOTSTRAP_SCRIPT, permissions: '0700' },
    ...units.map((u) => ({ path: `/etc/systemd/system/${u.name}`, content: u.content, permissions: '0644' })),
    // k3s starts only once the metadata block is in place (the unit k3s installs on this role).
    {
      path: metadataBlockDropInPath(isServer(props) ? K3S_SERVER_UNIT : K3S_AGENT_UNIT),
      content: METADATA_BLOCK_DROP_IN,
      permissions: '0644',
    },
    ...(props.manifests ?? []).map((m) => ({
      path: `${K3S_MANIFESTS_DIR}/${m.fileName}`,
      content: m.content.endsWith('\n') ? m.content : `${m.content}\n`,
      permissions: '0600',
    })),
  ];
  // runcmd runs inside cloud-final.service: a blocking start of a unit ordered after it
  // would deadlock, and the bootstrap may take long, so start it without waiting.
  const enable = units.map((u) => u.name).join(' ');
  // Secret values are only known at apply: a placeholder in the YAML, then the Terraform
  // expression `${jsonencode(...)}` in its place (a JSON string is a YAML double-quoted scalar).
  const expressions: string[] = [];
  const secret = (expression: string) => `${SECRET_PLACEHOLDER}${expressions.push(expression) - 1}x`;
  const document = {
    write_files: [
      ...files.map((f) => ({
        path: f.path,
        owner: 'root:root',
        permissions: f.permissions,
        ...pack(f.content),
      })),
      // Written before runcmd, so before k3s starts: k3s keeps CA files it finds.
      ...(props.secretFiles ?? []).map((f) => ({
        path: f.path,
        owner: 'root:root',
        permissions: f.permissions,
        ...(f.gzip
          ? { content: secret(`base64gzip(${f.expression})`), encoding: GZIP_ENCODING }
          : { content: secret(f.expression) }),
      })),
    ],
    ...(props.sshHostKey
      ? {
          // With ssh_keys given, cloud-init's cc_ssh writes them and generates no other type
          // (ssh_genkeytypes applies only without ssh_keys; an empty list fails its schema).
          ssh_deletekeys: true,
          ssh_keys: {
            ed25519_private: secret(props.sshHostKey.privateExpression),
            ed25519_public: secret(props.sshHostKey.publicExpression),
          },
        }
      : {}),
    runcmd: [`systemctl enable ${enable} && systemctl start --no-block ${BOOTSTRAP_UNIT_NAME}`],
  };
  const userData = ('#cloud-config\n' + YAML.stringify(document, { lineWidth: 0 })).replace(
    new RegExp(`${SECRET_PLACEHOLDER}(\\d+)x`, 'g'),
    (_, i: string) => `\${jsonencode(${expressions[Number(i)]})}`,
  );

  const bytes = Buffer.byteLength(userData, 'utf8');
  if (bytes > MAX_USER_DATA_BYTES) {
    const sizes = (props.manifests ?? []).map(
      (m) => `${m.fileName} ${Buffer.byteLength(m.content, 'utf8')} B`,
    );
    throw new Error(
      `k3s user data for node '${props.nodeName}' is ${bytes} bytes, over Hetzner's ${MAX_USER_DATA_BYTES}-byte limit` +
        (sizes.length ? ` (manifests: ${sizes.join(', ')})` : '') +
        `; keep only the bootstrap manifests here and let ArgoCD deploy the rest`,
    );
  }
  return userData;
}
