import { Construct } from 'constructs';
import {
  Aspects,
  Fn,
  TerraformLocal,
  TerraformOutput,
  TerraformStack,
  TerraformVariable,
  Token,
} from 'cdktf';
import { DataHcloudPrimaryIp } from '../../.gen/providers/hcloud/data-hcloud-primary-ip';
import { PlacementGroup } from '../../.gen/providers/hcloud/placement-group';
import { SshKey } from '../../.gen/providers/hcloud/ssh-key';
import {
  K3S_MANIFESTS_DIR,
  renderK3sUserData,
  type K3sNodeUserDataProps,
  type ManifestFile,
  type SecretFile,
} from '../../templates/cloud-init';
import type { PlannedServer, ResolvedEnvironment } from '../environment';
import { resourceLabels } from '../labels';
import { hcloudProvider } from '../providers';
import { encryptState } from '../state-encryption';
import { BOOT_MATERIAL_FORMAT } from '../identity-format';
import { configureBackend, type StateBackendConfig } from '../backend';
import { ClusterNetwork } from '../cluster-network';
import { NodeFirewall } from '../node-firewall';
import { controlPlaneRules, kafkaExternalRules } from '../firewall-rules';
import { ClusterNode } from '../cluster-node';
import { Ipv6Off } from '../aspects/ipv6-off';
import { NoWorldAdminPorts } from '../aspects/no-world-admin-ports';
import { PublicServersHaveFirewall } from '../aspects/public-servers-have-firewall';
import { KAFKA_NODE_TAINT, NODE_LABELS } from '../../charts/constants';
import {
  NODE_GROUP_ROLES,
  NODE_GROUPS,
  resolveServerTypes,
  SERVER_TYPE_CHOICE_LABEL,
  type NodeGroup,
  type ServerTypeChoice,
} from '../server-type-choice';

/** Props of {@link ClusterStack}. */
export interface ClusterStackProps {
  readonly environment: ResolvedEnvironment;
  /** @default - local state under `state/` */
  readonly backend?: StateBackendConfig;
  /**
   * Manifests the first control plane drops into k3s's auto-deploy folder
   * (`/var/lib/rancher/k3s/server/manifests/`): the ArgoCD bootstrap rendered by the
   * cdk8s side, so a new cluster reaches GitOps without kubectl.
   * @default - none
   */
  readonly bootstrapManifests?: readonly ManifestFile[];
  /**
   * The server type per node group for this deploy: its `serverType` or one of its
   * `fallbackServerTypes` (anything else is refused at synth). Each server carries the
   * label `server-type-choice=preferred|fallback-<n>`; the `server_types` output lists them.
   * @default - every group on its preferred `serverType`
   */
  readonly serverTypeChoice?: ServerTypeChoice;
}

/**
 * Taint of the control planes when there are app nodes: the kubeadm convention, which
 * k3s's packaged add-ons (CoreDNS, Traefik, metrics-server, local-path) tolerate.
 */
export const CONTROL_PLANE_TAINT = 'node-role.kubernetes.io/control-plane:NoSchedule';

/** Taint that keeps everything but Kafka off the kafka nodes (the Kafka chart tolerates it). */
export const KAFKA_TAINT = `${KAFKA_NODE_TAINT.key}=${KAFKA_NODE_TAINT.value}:${KAFKA_NODE_TAINT.effect}`;
const label = (l: { key: string; value: string }) => ({ [l.key]: l.value });

/** The cluster stack's variable with the boot material (lib/identity.ts `bootMaterial`, JSON). */
export const BOOT_VARIABLE = 'identity';
/** Where k3s keeps its CAs; files found there before the first start are used as they are. */
export const K3S_TLS_DIR = '/var/lib/rancher/k3s/server/tls';
/** k3s's TLS files the first server gets (lib/identity.ts K3S_TLS_FILES, repeated to keep synth light). */
const K3S_TLS_FILE_NAMES = [
  'server-ca.crt',
  'server-ca.key',
  'client-ca.crt',
  'client-ca.key',
  'request-header-ca.crt',
  'request-header-ca.key',
  'etcd/peer-ca.crt',
  'etcd/peer-ca.key',
  'etcd/server-ca.crt',
  'etcd/server-ca.key',
  'service.key',
] as const;
/** The manifest with the identity's Secrets in the first server's auto-deploy folder (charts/identity-secrets.ts). */
export const IDENTITY_MANIFEST_FILE = 'identity-secrets.yaml';

/**
 * Everything an environment creates each morning and destroys each evening: network,
 * egress route, firewalls, SSH key, placement groups, the k3s token and all servers.
 * The persistent Primary IPs are looked up by name, never read from another state, so
 * this stack can be destroyed and re-created any number of times.
 */
export class ClusterStack extends TerraformStack {
  /** Control plane nodes; [0] carries Primary IP #1 and is the NAT gateway. */
  readonly controlPlanes: ClusterNode[];
  /** Kafka nodes; [0] carries Primary IP #2. */
  readonly kafkaNodes: ClusterNode[];
  readonly appNodes: ClusterNode[];
  readonly network: ClusterNetwork;

  constructor(scope: Construct, id: string, props: ClusterStackProps) {
    super(scope, id);
    const env = props.environment;
    configureBackend(this, id, props.backend ?? { kind: 'local' });
    encryptState(this);
    hcloudProvider(this);
    const labels = (role: string, extra: Record<string, string> = {}) =>
      resourceLabels(env.name, env.clusterName, role, extra);
    const serverTypes = resolveServerTypes(env, props.serverTypeChoice);
    const groupOf = (role: PlannedServer['role']) =>
      NODE_GROUPS.find((g) => NODE_GROUP_ROLES[g] === role) as NodeGroup;

    // --- persistent addresses, found by name -------------------------------------------
    const controlPlaneIp = new DataHcloudPrimaryIp(this, 'control-plane-ipv4', {
      name: env.controlPlaneIpName,
    });
    const kafkaIp = new DataHcloudPrimaryIp(this, 'kafka-ipv4', { name: env.kafkaIpName });

    // --- network, firewalls, key, placement ---------------------------------------------
    const gateway = env.controlPlanes[0];
    this.network = new ClusterNetwork(this, 'network', {
      name: env.prefix,
      networkCidr: env.networkCidr,
      subnetCidr: env.subnetCidr,
      networkZone: env.networkZone,
      natGatewayIp: gateway.privateIp,
      labels: labels('network'),
    });
    const firewalls = {
      controlPlane: new NodeFirewall(this, 'firewall-control-plane', {
        name: `${env.prefix}-control-plane`,
        rules: controlPlaneRules(env),
        labels: labels('control-plane'),
      }),
      kafka: new NodeFirewall(this, 'firewall-kafka-external', {
        name: `${env.prefix}-kafka-external`,
        rules: kafkaExternalRules(env),
        labels: labels('kafka'),
      }),
    };
    const sshPublicKey = new TerraformVariable(this, 'ssh_public_key', {
      type: 'string',
      description: 'OpenSSH public key installed for root on every node (set TF_VAR_ssh_public_key).',
      validation: [
        {
          condition: '${can(regex("^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp[0-9]+) ", var.ssh_public_key))}',
          errorMessage:
            'ssh_public_key must be an OpenSSH public key line, e.g. the content of ~/.ssh/id_ed25519.pub.',
        },
      ],
    });
    const sshKey = new SshKey(this, 'ssh-key', {
      name: `${env.prefix}-admin`,
      publicKey: sshPublicKey.stringValue,
      labels: labels('admin'),
    });
    const spread = (role: string) =>
      Token.asNumber(
        new PlacementGroup(this, `placement-${role}`, {
          name: `${env.prefix}-${role}`,
          type: 'spread',
          labels: labels(role),
        }).id,
      );
    const kafkaPlacement = env.kafkaNodes.length > 1 ? spread('kafka') : undefined;
    const controlPlanePlacement = env.controlPlanes.length > 1 ? spread('control-plane') : undefined;

    // --- the persistent identity (sensitive; only references reach the JSON) ------------
    // The operator CLI reads the identity from the persistent stack's encrypted state and
    // passes what the nodes need as TF_VAR_identity; the servers keep only its hash in state.
    const bootVar = new TerraformVariable(this, BOOT_VARIABLE, {
      type: 'string',
      sensitive: true,
      description: `Boot material of ${env.name} (tokens, CA files, host keys, Secrets) as JSON; the operator CLI sets it from the persistent identity.`,
      validation: [
        {
          condition: `\${try(jsondecode(var.${BOOT_VARIABLE}).format, "") == "${BOOT_MATERIAL_FORMAT}" && try(jsondecode(var.${BOOT_VARIABLE}).environment, "") == "${env.name}"}`,
          errorMessage: `identity must be the boot material of environment ${env.name} (format ${BOOT_MATERIAL_FORMAT}); run through the operator CLI (npm run ops -- up ${env.name}).`,
        },
      ],
    });
    const boot = new TerraformLocal(this, 'boot', Fn.jsondecode(bootVar.stringValue));
    const bootRef = 'local.' + boot.friendlyUniqueId;
    const serverToken = `\${${bootRef}.token}`;
    const agentToken = `\${${bootRef}.agent_token}`;
    const firstServerSecrets: SecretFile[] = [
      ...K3S_TLS_FILE_NAMES.map((file) => ({
        path: `${K3S_TLS_DIR}/${file}`,
        permissions: file.endsWith('.crt') ? '0644' : '0600',
        expression: `${bootRef}.tls_files["${file}"]`,
      })),
      {
        path: `${K3S_MANIFESTS_DIR}/${IDENTITY_MANIFEST_FILE}`,
        permissions: '0600',
        expression: `${bootRef}.manifests["${IDENTITY_MANIFEST_FILE}"]`,
        // One Secret per KafkaUser and app: it grows with the config, so it is compressed.
        gzip: true,
      },
    ];
    const hostKey = (node: string) => ({
      privateExpression: `${bootRef}.host_keys["${node}"].private`,
      publicExpression: `${bootRef}.host_keys["${node}"].public`,
    });
    const firstServerManifests = [...(props.bootstrapManifests ?? [])];
    const serverUrl = `https://${gateway.privateIp}:6443`;
    const tlsSans = [controlPlaneIp.ipAddress, ...(env.apiDnsName ? [env.apiDnsName] : [])];
    const natClient = { kind: 'client', gateway: env.networkGateway } as const;

    const common = {
      image: env.image,
      location: env.location,
      networkId: this.network.networkId,
      sshKeyIds: [sshKey.id],
    };
    const privateDeps = [
      this.network.subnet,
      ...(this.network.egressRoute ? [this.network.egressRoute] : []),
    ];

    /** One node: public nodes carry a persistent IP and a firewall, the rest stay private. */
    const addNode = (
      planned: PlannedServer,
      opts: {
        readonly primaryIpId?: number;
        readonly firewallId?: number;
        readonly placementGroupId?: number;
        readonly userData: Omit<
          K3sNodeUserDataProps,
          'k3sVersion' | 'nodeName' | 'privateIp' | 'networkCidr'
        >;
      },
    ) =>
      new ClusterNode(this, planned.name.slice(env.prefix.length + 1), {
        ...common,
        name: planned.name,
        serverType: serverTypes[groupOf(planned.role)].serverType,
        privateIp: planned.privateIp,
        primaryIpId: opts.primaryIpId,
        firewallIds: opts.firewallId === undefined ? [] : [opts.firewallId],
        placementGroupId: opts.placementGroupId,
        labels: labels(planned.role, {
          'node-index': String(planned.index),
          [SERVER_TYPE_CHOICE_LABEL]: serverTypes[groupOf(planned.role)].choice,
        }),
        dependsOn: opts.primaryIpId === undefined ? privateDeps : [this.network.subnet],
        userData: renderK3sUserData({
          k3sVersion: env.k3sVersion,
          nodeName: planned.name,
          privateIp: planned.privateIp,
          networkCidr: env.networkCidr,
          sshHostKey: hostKey(planned.name),
          ...opts.userData,
        }),
      });

    // --- control plane: cp-0 carries IP #1, is the NAT gateway and bootstraps GitOps ----
    // With app nodes, workloads stay off the control plane (k3s's own add-ons tolerate the taint).
    const appsOnControlPlane = env.appNodes.length === 0;
    this.controlPlanes = env.controlPlanes.map((planned) => {
      const first = planned.index === 0;
      return addNode(planned, {
        primaryIpId: first ? Token.asNumber(controlPlaneIp.id) : undefined,
        firewallId: first ? firewalls.controlPlane.firewallId : undefined,
        placementGroupId: controlPlanePlacement,
        userData: {
          role: first ? 'first-server' : 'joining-server',
          token: serverToken,
          agentToken,
          serverUrl: first ? undefined : serverUrl,
          clusterInit: first && env.controlPlanes.length > 1,
          tlsSans,
          // Every server runs an API server: all allocate NodePorts from the same range.
          serviceNodePortRange: env.serviceNodePortRange,
          nodeLabels: appsOnControlPlane ? label(NODE_LABELS.app) : {},
          nodeTaints: appsOnControlPlane ? [] : [CONTROL_PLANE_TAINT],
          nat: first ? { kind: 'gateway' } : natClient,
          manifests: first ? firstServerManifests : undefined,
          secretFiles: first ? firstServerSecrets : undefined,
        },
      });
    });

    // --- kafka nodes: kafka-0 carries IP #2 ---------------------------------------------
    this.kafkaNodes = env.kafkaNodes.map((planned) => {
      const first = planned.index === 0;
      return addNode(planned, {
        primaryIpId: first ? Token.asNumber(kafkaIp.id) : undefined,
        firewallId: first ? firewalls.kafka.firewallId : undefined,
        placementGroupId: kafkaPlacement,
        userData: {
          role: 'agent',
          token: agentToken,
          serverUrl,
          nodeLabels: { ...label(NODE_LABELS.kafka), 'node.kubernetes.io/role': 'kafka' },
          nodeTaints: [KAFKA_TAINT],
          nat: first ? { kind: 'none' } : natClient,
        },
      });
    });

    // --- app nodes: private only ----------------------------------------------------------
    this.appNodes = env.appNodes.map((planned) =>
      addNode(planned, {
        userData: {
          role: 'agent',
          token: agentToken,
          serverUrl,
          nodeLabels: { ...label(NODE_LABELS.app), 'node.kubernetes.io/role': 'app' },
          nat: natClient,
        },
      }),
    );

    // --- policy checks over the whole stack, run at synth -----------------------------
    Aspects.of(this).add(new PublicServersHaveFirewall());
    Aspects.of(this).add(new Ipv6Off());
    Aspects.of(this).add(new NoWorldAdminPorts(env.allowWorldOpenAdminPorts));

    // --- outputs ------------------------------------------------------------------------
    const kafkaAddress = env.kafkaDnsName ?? kafkaIp.ipAddress;
    new TerraformOutput(this, 'control_plane_public_ipv4', { value: controlPlaneIp.ipAddress });
    new TerraformOutput(this, 'kafka_public_ipv4', { value: kafkaIp.ipAddress });
    new TerraformOutput(this, 'private_ips', {
      value: Object.fromEntries(
        [...this.controlPlanes, ...this.kafkaNodes, ...this.appNodes].map((n) => [
          n.server.name,
          n.privateIp,
        ]),
      ),
    });
    new TerraformOutput(this, 'server_types', {
      description:
        'Server type of each role in this deploy and which candidate it is (preferred or fallback-<n>, see fallbackServerTypes).',
      value: Object.fromEntries(
        NODE_GROUPS.filter((g) => env[g].count > 0).map((g) => [
          NODE_GROUP_ROLES[g],
          { server_type: serverTypes[g].serverType, choice: serverTypes[g].choice },
        ]),
      ),
    });
    new TerraformOutput(this, 'dns_records', {
      description: 'A records to create at your DNS provider (empty when no DNS names are configured).',
      value: [
        ...(env.apiDnsName ? [{ name: env.apiDnsName, type: 'A', value: controlPlaneIp.ipAddress }] : []),
        ...(env.kafkaDnsName ? [{ name: env.kafkaDnsName, type: 'A', value: kafkaIp.ipAddress }] : []),
      ],
    });
    new TerraformOutput(this, 'ssh_command', {
      value: Fn.format('ssh root@%s', [controlPlaneIp.ipAddress]),
      description:
        'SSH to the control plane; other nodes: add -J root@<control plane> and use their private IP.',
    });
    new TerraformOutput(this, 'kafka_external_bootstrap', {
      value: Fn.format('%s:%d', [kafkaAddress, env.kafkaExternalPorts[0]]),
    });
  }
}
