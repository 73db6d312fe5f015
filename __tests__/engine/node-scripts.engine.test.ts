/**
 * The node scripts, run for real in Linux network namespaces: the NAT gateway and a
 * private-only node (with and without systemd-networkd), the metadata block and the
 * retrying bootstrap. Each simulated server gets the files of its rendered user data and
 * runs the command of the systemd unit that runs the script on a real node. Stand-ins
 * replace only the k3s installer download (and the installer itself), the internet and
 * the metadata service (HTTP servers inside the sandbox's own namespaces).
 */
import { existsSync } from 'fs';
import { K3sNodeUserDataProps, renderK3sUserData } from '../../templates/cloud-init';
import {
  BOOTSTRAP_UNIT_NAME,
  DONE_MARKER_PATH,
  K3S_CONFIG_PATH,
  LOG_PATH,
  METADATA_BLOCK_UNIT_NAME,
  METADATA_IP,
  NAT_ROUTE_DROP_IN,
  NAT_UNIT_NAME,
  NETWORKD_DIR,
  NODE_ENV_PATH,
  PRIVATE_NETWORK_FILE,
} from '../../templates/k3s-node-scripts';
import {
  Daemon,
  NETWORKD_BINARIES,
  SANDBOX_INSTALL_HINT,
  Sandbox,
  SandboxNode,
  missingSandboxTools,
} from './support/netns-sandbox';
import { execStart, parseSystemdFile } from './support/systemd-file';

jest.setTimeout(120_000);

const missing = missingSandboxTools();
if (missing.length > 0) {
  const message = `the node script sandbox needs ${missing.join(', ')}; ${SANDBOX_INSTALL_HINT}`;
  if (process.env.CI === 'true') throw new Error(`${message}. CI=true, so these tests cannot be skipped.`);
  console.warn(`\n!!!!! SKIPPING NODE SCRIPT SANDBOX TESTS: ${message}\n`);
}
const describeSandbox = missing.length > 0 ? describe.skip : describe;

const unitPath = (name: string) => `/etc/systemd/system/${name}`;
const HETZNER_DNS = ['185.12.64.1', '185.12.64.2'];

const common = {
  k3sVersion: 'v1.34.1+k3s1',
  networkCidr: '10.0.0.0/16',
  nodeLabels: {},
} as const;

/** cp-0: the first server and NAT gateway. */
const gateway: K3sNodeUserDataProps = {
  ...common,
  role: 'first-server',
  nodeName: 'sandbox-cp-0',
  privateIp: '10.0.1.10',
  token: 'server-secret',
  agentToken: 'agent-secret',
  nat: { kind: 'gateway' },
};

/** A private-only agent routing through the Hetzner network gateway 10.0.0.1. */
const privateAgent: K3sNodeUserDataProps = {
  ...common,
  role: 'agent',
  nodeName: 'sandbox-app-0',
  privateIp: '10.0.1.20',
  token: 'agent-secret',
  serverUrl: 'https://10.0.1.10:6443',
  nat: { kind: 'client', gateway: '10.0.0.1' },
};

/** kafka-0: an agent with its own public IP and no NAT at all. */
const publicAgent: K3sNodeUserDataProps = {
  ...privateAgent,
  nodeName: 'sandbox-kafka-0',
  nat: { kind: 'none' },
};

/** What netplan renders for Hetzner's private interface, with the DHCP lease made static. */
const NETPLAN_PRIVATE_NETWORK = `[Match]
Name=enp7s0

[Network]
Address=10.0.1.20/32

[Route]
Destination=10.0.0.0/16
Gateway=10.0.0.1
GatewayOnLink=yes
`;

/** Stand-in for the k3s installer: records how it was run. */
const INSTALLER_STAND_IN = `#!/bin/sh
echo "INSTALL_K3S_VERSION=$INSTALL_K3S_VERSION $*" >>/root/installer-runs
`;

interface Route {
  readonly dst: string;
  readonly gateway?: string;
  readonly dev: string;
  readonly protocol?: string;
}

async function defaultRoutes(node: SandboxNode): Promise<Route[]> {
  return JSON.parse(await node.check(['ip', '-j', '-4', 'route', 'show', 'default'])) as Route[];
}

/** curl as a pod or a node would use it: no proxy, a short bound, the body on stdout. */
const curl = (url: string) => ['curl', '-sS', '--noproxy', '*', '--max-time', '2', url];

/** The value of one shell assignment in node.env. */
function envValue(nodeEnv: string, key: string): string {
  const match = new RegExp(`^${key}='([^']*)'$`, 'm').exec(nodeEnv);
  if (!match) throw new Error(`no ${key} in node.env:\n${nodeEnv}`);
  return match[1];
}

/** Retries an assertion every 200 ms until it passes; rethrows its last failure. */
async function eventually(assertion: () => Promise<void>, attempts = 50): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      return await assertion();
    } catch (error) {
      if (i >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

describeSandbox('node scripts in network namespaces', () => {
  const sandbox = new Sandbox('k3s');
  afterAll(() => sandbox.cleanup());

  /** A simulated server holding the files of its rendered user data. */
  async function boot(name: string, props: K3sNodeUserDataProps) {
    const node = await sandbox.node(name);
    const files = await node.writeUserData(renderK3sUserData(props));
    /** Runs a script the way its systemd unit does. */
    const runUnit = (unit: string, timeoutMs?: number) =>
      node.run(execStart(files[unitPath(unit)]), { timeoutMs });
    return { node, files, runUnit };
  }

  describe('NAT', () => {
    test("a private node's connection reaches the internet through the gateway, from the gateway's public address", async () => {
      const internet = await sandbox.namespace('inet');
      const router = await sandbox.namespace('router'); // the Hetzner network gateway, 10.0.0.1
      const cp0 = await boot('cp0', gateway);
      const app = await boot('app', privateAgent);
      await sandbox.link(
        { ns: cp0.node, name: 'eth0', addresses: ['203.0.113.10/24'] },
        { ns: internet, name: 'uplink', addresses: ['203.0.113.1/24'] },
      );
      await sandbox.link(
        { ns: cp0.node, name: 'enp7s0', addresses: ['10.0.1.10/32'] },
        { ns: router, name: 'to-cp0', addresses: ['10.0.0.1/32'] },
      );
      await sandbox.link(
        { ns: app.node, name: 'enp7s0', addresses: ['10.0.1.20/32'] },
        { ns: router, name: 'to-app', addresses: ['10.0.0.1/32'] },
      );
      // A fresh server does not forward (a new namespace may inherit the machine's setting).
      await cp0.node.sh(
        'sysctl -qw net.ipv4.ip_forward=0; ip route add default via 203.0.113.1; ' +
          'ip route add 10.0.0.0/16 via 10.0.0.1 dev enp7s0 onlink',
      );
      await app.node.sh('ip route add 10.0.0.0/16 via 10.0.0.1 dev enp7s0 onlink');
      // The network routes 0.0.0.0/0 to cp-0, as the cluster stack's egress route does.
      await sandbox.sh(
        router,
        'sysctl -qw net.ipv4.ip_forward=1; ip route add 10.0.1.10/32 dev to-cp0; ' +
          'ip route add 10.0.1.20/32 dev to-app; ip route add default via 10.0.1.10 dev to-cp0 onlink',
      );
      const web = await sandbox.server(internet, { host: '203.0.113.1', port: 8080 });
      const fetchFromApp = () => app.node.run(curl('http://203.0.113.1:8080/'));

      expect((await fetchFromApp()).code).not.toBe(0);
      expect(await app.runUnit(NAT_UNIT_NAME)).toMatchObject({ code: 0 });
      expect(await defaultRoutes(app.node)).toEqual([
        expect.objectContaining({ gateway: '10.0.0.1', dev: 'enp7s0' }),
      ]);
      expect((await fetchFromApp()).code).not.toBe(0); // cp-0 does not forward yet

      expect(await cp0.runUnit(NAT_UNIT_NAME)).toMatchObject({ code: 0 });
      expect(await fetchFromApp()).toMatchObject({ code: 0, stdout: '203.0.113.10\n' });
      expect(web.requests.at(-1)).toMatchObject({ from: '203.0.113.10', status: 200 });
      expect(await cp0.node.readFile('/proc/sys/net/ipv4/ip_forward')).toBe('1\n');
      expect(await cp0.node.readFile('/etc/sysctl.d/90-k3s-nat.conf')).toBe('net.ipv4.ip_forward = 1\n');

      // Every boot runs it again: nothing is added twice.
      const rules = () => cp0.node.check(['sh', '-c', 'iptables -t nat -S POSTROUTING; iptables -S FORWARD']);
      const before = await rules();
      expect(await cp0.runUnit(NAT_UNIT_NAME)).toMatchObject({ code: 0 });
      expect(await rules()).toBe(before);
    });

    test('without networkd, a private node routes with ip and writes a .network of its own for the interface', async () => {
      const router = await sandbox.namespace('router');
      const app = await boot('app', privateAgent);
      await sandbox.link(
        { ns: app.node, name: 'enp7s0', addresses: ['10.0.1.20/32'] },
        { ns: router, name: 'to-app', addresses: ['10.0.0.1/32'] },
      );

      expect(await app.runUnit(NAT_UNIT_NAME)).toMatchObject({ code: 0 });
      expect(await defaultRoutes(app.node)).toEqual([
        expect.objectContaining({ gateway: '10.0.0.1', dev: 'enp7s0' }),
      ]);
      const network = parseSystemdFile((await app.node.readFile(PRIVATE_NETWORK_FILE)) ?? '');
      expect(network).toEqual({
        Match: { Name: ['enp7s0'] },
        DHCPv4: { UseMTU: ['yes'] },
        Network: { DHCP: ['ipv4'], DNS: HETZNER_DNS },
        Route: { Gateway: ['10.0.0.1'], GatewayOnLink: ['yes'] },
      });
      expect(await app.node.readFile('/etc/resolv.conf')).toBe(
        HETZNER_DNS.map((ip) => `nameserver ${ip}\n`).join(''),
      );
    });

    test('with networkd, the default route is in its configuration and survives a restart and a reconfigure', async () => {
      const router = await sandbox.namespace('router');
      const app = await boot('app', privateAgent);
      await sandbox.link(
        { ns: app.node, name: 'enp7s0' },
        { ns: router, name: 'to-app', addresses: ['10.0.0.1/32'] },
      );
      await app.node.writeFile('/run/systemd/network/10-netplan-enp7s0.network', NETPLAN_PRIVATE_NETWORK);
      await sandbox.daemon(
        app.node,
        ['dbus-daemon', '--system', '--nofork', '--nopidfile', '--print-address'],
        /^unix:/,
      );
      const networkd = NETWORKD_BINARIES.find((path) => existsSync(path))!;
      const startNetworkd = async (): Promise<Daemon> => {
        const daemon = await sandbox.daemon(app.node, [networkd], /Enumeration completed/);
        await eventually(async () =>
          expect(await app.node.check(['ip', '-4', 'route', 'show', 'dev', 'enp7s0'])).toContain(
            '10.0.0.0/16',
          ),
        );
        return daemon;
      };
      let daemon = await startNetworkd();
      const status = await app.node.check(['networkctl', 'status', 'enp7s0']);
      const networkFile = /Network File: (\S+)/.exec(status)?.[1];
      expect(networkFile).toBe('/run/systemd/network/10-netplan-enp7s0.network');
      expect(await defaultRoutes(app.node)).toEqual([]);

      expect(await app.runUnit(NAT_UNIT_NAME)).toMatchObject({ code: 0 });
      const dropIn = `${NETWORKD_DIR}/10-netplan-enp7s0.network.d/${NAT_ROUTE_DROP_IN}`;
      expect(parseSystemdFile((await app.node.readFile(dropIn)) ?? '')).toEqual({
        Network: { DNS: HETZNER_DNS },
        Route: { Gateway: ['10.0.0.1'], GatewayOnLink: ['yes'] },
      });
      // networkd applies the reloaded configuration in the background: only its own route stays.
      const onlyNetworkdRoute = async () =>
        expect(await defaultRoutes(app.node)).toEqual([
          expect.objectContaining({ gateway: '10.0.0.1', dev: 'enp7s0', protocol: 'static' }),
        ]);
      await eventually(onlyNetworkdRoute);

      await sandbox.stop(daemon);
      daemon = await startNetworkd();
      await eventually(onlyNetworkdRoute);
      // A reconfigure (netplan apply does one) removes every route networkd was not told about.
      await app.node.check(['networkctl', 'reconfigure', 'enp7s0']);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await eventually(onlyNetworkdRoute);
      await sandbox.stop(daemon);
    });
  });

  describe('metadata block', () => {
    test('pods lose the metadata service, the node keeps it, and ACCEPT rules inserted into FORWARD later do not bypass it', async () => {
      const metadata = await sandbox.namespace('meta');
      const pod = await sandbox.namespace('pod');
      const kafka0 = await boot('kafka0', publicAgent);
      const node = kafka0.node;
      await sandbox.link(
        { ns: node, name: 'eth0', addresses: ['198.51.100.10/24'] },
        { ns: metadata, name: 'eth0', addresses: ['198.51.100.1/24', `${METADATA_IP}/32`] },
      );
      await sandbox.link(
        { ns: node, name: 'cni0', addresses: ['10.42.0.1/24'] },
        { ns: pod, name: 'eth0', addresses: ['10.42.0.5/24'] },
      );
      // The node as k3s leaves it: forwarding on, flannel's masquerade and FORWARD accepts.
      await node.sh(
        'sysctl -qw net.ipv4.ip_forward=1; ip route add default via 198.51.100.1; ' +
          'iptables -t nat -A POSTROUTING -s 10.42.0.0/16 ! -d 10.42.0.0/16 -j MASQUERADE; ' +
          'iptables -I FORWARD -s 10.42.0.0/16 -j ACCEPT; iptables -I FORWARD -d 10.42.0.0/16 -j ACCEPT',
      );
      await sandbox.sh(pod, 'ip route add default via 10.42.0.1');
      const service = await sandbox.server(metadata, { host: METADATA_IP, port: 80 });
      const fromPod = () => sandbox.inNamespace(pod, curl(`http://${METADATA_IP}/`));
      const fromNode = () => node.run(curl(`http://${METADATA_IP}/`));

      expect(await fromPod()).toMatchObject({ code: 0, stdout: '198.51.100.10\n' });
      expect(await kafka0.runUnit(METADATA_BLOCK_UNIT_NAME)).toMatchObject({ code: 0 });
      const served = service.requests.length;
      expect((await fromPod()).code).not.toBe(0);
      expect(service.requests).toHaveLength(served);
      expect(await fromNode()).toMatchObject({ code: 0, stdout: '198.51.100.10\n' });

      // k3s starts after the unit and puts its own accepts at the top of FORWARD.
      await node.sh('iptables -I FORWARD 1 -j ACCEPT');
      expect((await fromPod()).code).not.toBe(0);
      expect(await fromNode()).toMatchObject({ code: 0 });

      expect(await kafka0.runUnit(METADATA_BLOCK_UNIT_NAME)).toMatchObject({ code: 0 });
      const raw = await node.check(['iptables', '-t', 'raw', '-S', 'PREROUTING']);
      expect(raw.split('\n').filter((rule) => rule.includes(METADATA_IP))).toHaveLength(1);
      const output = await node.check(['iptables', '-S', 'OUTPUT']);
      expect(output.split('\n').filter((rule) => rule.includes(METADATA_IP))).toHaveLength(1);
    });

    test('on the host only root reaches the metadata service: another user (or a non-root hostNetwork pod) is refused', async () => {
      const metadata = await sandbox.namespace('meta-host');
      const kafka0 = await boot('kafka0-host', publicAgent);
      const node = kafka0.node;
      await sandbox.link(
        { ns: node, name: 'eth0', addresses: ['198.51.100.10/24'] },
        { ns: metadata, name: 'eth0', addresses: ['198.51.100.1/24', `${METADATA_IP}/32`] },
      );
      await node.sh('ip route add default via 198.51.100.1');
      const service = await sandbox.server(metadata, { host: METADATA_IP, port: 80 });
      // A process of uid 65534 (nobody), as node-exporter and most hostNetwork pods run.
      const asNobody = () =>
        node.run([
          'setpriv',
          '--reuid=65534',
          '--regid=65534',
          '--clear-groups',
          ...curl(`http://${METADATA_IP}/`),
        ]);
      const asRoot = () => node.run(curl(`http://${METADATA_IP}/`));

      expect(await asNobody()).toMatchObject({ code: 0, stdout: '198.51.100.10\n' });
      expect(await kafka0.runUnit(METADATA_BLOCK_UNIT_NAME)).toMatchObject({ code: 0 });
      const served = service.requests.length;
      const refused = await asNobody();
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/refused|Couldn't connect/i);
      expect(service.requests).toHaveLength(served);
      expect(await asRoot()).toMatchObject({ code: 0, stdout: '198.51.100.10\n' });
    });
  });

  describe('bootstrap', () => {
    /**
     * A first server with no NAT whose installer download is a stand-in on the node's
     * loopback at the rendered URL's path, failing `failFirst` requests; sleeps shortened.
     */
    async function bootstrapNode(name: string, failFirst: number, downloadAttempts: number) {
      const booted = await boot(name, { ...gateway, nat: { kind: 'none' } });
      const peer = await sandbox.namespace(`${name}-net`);
      await sandbox.link(
        { ns: booted.node, name: 'enp7s0', addresses: ['10.0.1.10/32'] },
        { ns: peer, name: 'to-node' },
      );
      await booted.node.writeFile('/root/installer-stand-in.sh', INSTALLER_STAND_IN);
      const download = await sandbox.server(booted.node, {
        host: '127.0.0.1',
        port: 8081,
        failFirst,
        file: '/root/installer-stand-in.sh',
      });
      const nodeEnv = booted.files[NODE_ENV_PATH];
      const url = envValue(nodeEnv, 'K3S_INSTALLER_URL').replace(
        'https://raw.githubusercontent.com',
        'http://127.0.0.1:8081',
      );
      await booted.node.writeFile(
        NODE_ENV_PATH,
        `${nodeEnv}K3S_INSTALLER_URL='${url}'\nRETRY_DELAY_SECONDS=1\nDOWNLOAD_ATTEMPTS=${downloadAttempts}\n`,
      );
      return { ...booted, download, bootstrap: () => booted.runUnit(BOOTSTRAP_UNIT_NAME, 60_000) };
    }

    describe('against a download that fails twice', () => {
      let node: Awaited<ReturnType<typeof bootstrapNode>>;
      let first: { code: number; seconds: number };
      beforeAll(async () => {
        node = await bootstrapNode('boot', 2, 5);
        const started = Date.now();
        const result = await node.bootstrap();
        first = { code: result.code, seconds: (Date.now() - started) / 1000 };
      });

      test('logs every failed download and retries with a doubling delay until it succeeds', async () => {
        expect(first.code).toBe(0);
        expect(node.download.requests.map((r) => r.status)).toEqual([503, 503, 200]);
        const log = (await node.node.readFile(LOG_PATH)) ?? '';
        expect(log).toMatch(/attempt 1\/5 failed, retrying in 1 s: curl /);
        expect(log).toMatch(/attempt 2\/5 failed, retrying in 2 s: curl /);
        expect(log).toMatch(/attempt 3\/5 succeeded: curl /);
        expect(log).toContain('The requested URL returned error: 503');
        expect(first.seconds).toBeGreaterThanOrEqual(3);
      });

      test('downloads the installer of the pinned release, runs it for the role and then writes the marker', async () => {
        expect(node.download.requests[0].path).toBe('/k3s-io/k3s/v1.34.1%2Bk3s1/install.sh');
        expect(await node.node.readFile('/root/installer-runs')).toBe(
          'INSTALL_K3S_VERSION=v1.34.1+k3s1 server\n',
        );
        expect(await node.node.readFile(DONE_MARKER_PATH)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/);
        expect(await node.node.readFile(K3S_CONFIG_PATH)).toMatch(/\nflannel-iface: enp7s0\n$/);
        const raw = await node.node.check(['iptables', '-t', 'raw', '-S', 'PREROUTING']);
        expect(raw).toContain(`-d ${METADATA_IP}/32 -j DROP`);
      });

      test('a run after success does nothing', async () => {
        expect(await node.bootstrap()).toMatchObject({ code: 0 });
        expect(node.download.requests).toHaveLength(3);
        expect(await node.node.readFile('/root/installer-runs')).toBe(
          'INSTALL_K3S_VERSION=v1.34.1+k3s1 server\n',
        );
        expect(await node.node.readFile(LOG_PATH)).toContain(`${DONE_MARKER_PATH} exists, nothing to do`);
      });
    });

    test('a run against a download that keeps failing exits non-zero without the marker, for systemd to retry', async () => {
      const node = await bootstrapNode('fail', 1000, 3);
      const result = await node.bootstrap();
      expect(result.code).not.toBe(0);
      expect(node.download.requests.map((r) => r.status)).toEqual([503, 503, 503]);
      expect(await node.node.readFile(DONE_MARKER_PATH)).toBeUndefined();
      expect(await node.node.readFile('/root/installer-runs')).toBeUndefined();
      const log = (await node.node.readFile(LOG_PATH)) ?? '';
      expect(log).toMatch(/attempt 3\/3 failed, giving up: curl /);
      expect(log).toMatch(/FAILED with exit code 1; no \/root\/cloud-init.done written, systemd retries/);
    });
  });
});
