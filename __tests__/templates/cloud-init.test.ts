import { createHash } from 'crypto';
import * as YAML from 'yaml';
import {
  BOOTSTRAP_SCRIPT_PATH,
  BOOTSTRAP_UNIT_NAME,
  DONE_MARKER_PATH,
  K3S_CONFIG_PATH,
  K3sNodeUserDataProps,
  LOG_PATH,
  MAX_USER_DATA_BYTES,
  k3sInstallerUrl,
  renderK3sUserData,
  GZIP_ENCODING,
  GZIP_MIN_BYTES,
  writeFileContent,
} from '../../templates/cloud-init';
import {
  BOOTSTRAP_SCRIPT,
  BOOTSTRAP_UNIT,
  METADATA_BLOCK_SCRIPT,
  METADATA_BLOCK_SCRIPT_PATH,
  METADATA_BLOCK_UNIT,
  NAT_SCRIPT,
  NAT_UNIT,
} from '../../templates/k3s-node-scripts';
import { execStart, parseSystemdFile } from '../engine/support/systemd-file';

const SERVER_TOKEN = '${TfToken[TOKEN.1]}';
const AGENT_TOKEN = '${TfToken[TOKEN.2]}';

const firstServer: K3sNodeUserDataProps = {
  role: 'first-server',
  k3sVersion: 'v1.34.1+k3s1',
  nodeName: 'trading-dev-cp-0',
  privateIp: '10.0.1.10',
  networkCidr: '10.0.0.0/16',
  token: SERVER_TOKEN,
  agentToken: AGENT_TOKEN,
  tlsSans: ['203.0.113.10', 'api.dev.example.com'],
  nodeLabels: { app: 'true' },
  nat: { kind: 'gateway' },
  manifests: [{ fileName: 'argocd.yaml', content: 'apiVersion: helm.cattle.io/v1\nkind: HelmChart\n' }],
};

const agent: K3sNodeUserDataProps = {
  role: 'agent',
  k3sVersion: 'v1.34.1+k3s1',
  nodeName: 'trading-dev-kafka-0',
  privateIp: '10.0.1.20',
  networkCidr: '10.0.0.0/16',
  token: AGENT_TOKEN,
  serverUrl: 'https://10.0.1.10:6443',
  nodeLabels: { kafka: 'true' },
  nodeTaints: ['kafka=true:NoSchedule'],
  nat: { kind: 'client', gateway: '10.0.0.1' },
};

interface CloudConfig {
  write_files: { path: string; content: string; permissions: string }[];
  runcmd: string[];
}

function render(props: K3sNodeUserDataProps): CloudConfig {
  const text = renderK3sUserData(props);
  expect(text.startsWith('#cloud-config\n')).toBe(true);
  return YAML.parse(text) as CloudConfig;
}

/** A write_files entry with its content as cloud-init writes it (decoded when compressed). */
function file(config: CloudConfig, path: string): { content: string; permissions: string } {
  const entry = config.write_files.find((f) => f.path === path);
  if (!entry) throw new Error(`no write_files entry for ${path}`);
  return { ...entry, content: writeFileContent(entry) };
}

function k3sConfig(config: CloudConfig): Record<string, unknown> {
  return YAML.parse(file(config, K3S_CONFIG_PATH).content) as Record<string, unknown>;
}

function nodeEnv(config: CloudConfig): string {
  return file(config, '/etc/k3s-bootstrap/node.env').content;
}

const unitPath = (name: string) => `/etc/systemd/system/${name}`;
const publicAgent: K3sNodeUserDataProps = { ...agent, nat: { kind: 'none' } };

describe('renderK3sUserData', () => {
  describe('boot pattern', () => {
    test.each([
      [
        'first server (NAT gateway)',
        firstServer,
        'k3s-metadata-block.service k3s-nat.service k3s-bootstrap.service',
      ],
      [
        'private agent (NAT client)',
        agent,
        'k3s-metadata-block.service k3s-nat.service k3s-bootstrap.service',
      ],
      ['agent with its own public IP', publicAgent, 'k3s-metadata-block.service k3s-bootstrap.service'],
    ])(
      '%s: the single runcmd enables its units and starts the bootstrap unit without waiting',
      (_, props, units) => {
        expect(render(props).runcmd).toEqual([
          `systemctl enable ${units} && systemctl start --no-block k3s-bootstrap.service`,
        ]);
      },
    );

    test('the bootstrap unit runs the bootstrap script written by write_files', () => {
      const config = render(agent);
      expect(file(config, BOOTSTRAP_SCRIPT_PATH)).toMatchObject({
        content: BOOTSTRAP_SCRIPT,
        permissions: '0700',
      });
      expect(file(config, unitPath(BOOTSTRAP_UNIT_NAME))).toMatchObject({
        content: BOOTSTRAP_UNIT,
        permissions: '0644',
      });
      expect(execStart(BOOTSTRAP_UNIT)).toEqual(['/bin/bash', BOOTSTRAP_SCRIPT_PATH]);
    });

    test('systemd retries the bootstrap with a growing delay, never gives up, bounds each run and skips it once done', () => {
      const unit = parseSystemdFile(BOOTSTRAP_UNIT);
      expect(unit.Unit).toMatchObject({
        ConditionPathExists: [`!${DONE_MARKER_PATH}`],
        StartLimitIntervalSec: ['0'],
        After: ['network-online.target'],
      });
      expect(unit.Service).toMatchObject({
        Type: ['oneshot'],
        Restart: ['on-failure'],
        RestartSec: ['30s'],
        RestartSteps: ['5'],
        RestartMaxDelaySec: ['10min'],
        TimeoutStartSec: ['45min'],
      });
      expect(unit.Install).toEqual({ WantedBy: ['multi-user.target'] });
    });

    test('the bootstrap logs everything to /root/cloud-init.log and writes the done marker last', () => {
      expect(LOG_PATH).toBe('/root/cloud-init.log');
      expect(BOOTSTRAP_SCRIPT).toContain(`LOG_FILE=${LOG_PATH}\n`);
      expect(BOOTSTRAP_SCRIPT).toContain('exec >>"$LOG_FILE" 2>&1');
      expect(DONE_MARKER_PATH).toBe('/root/cloud-init.done');
      const lines = BOOTSTRAP_SCRIPT.trimEnd().split('\n');
      expect(lines.slice(-2).join('\n')).toMatch(/>"\$DONE_MARKER"\nlog "done"$/);
    });

    test('k3s config holds the tokens, so it is written with mode 0600', () => {
      expect(file(render(firstServer), K3S_CONFIG_PATH).permissions).toBe('0600');
    });

    test('installs the pinned k3s version with the installer of that release, not get.k3s.io', () => {
      const env = nodeEnv(render(firstServer));
      expect(env).toContain("K3S_VERSION='v1.34.1+k3s1'\n");
      expect(env).toContain(
        "K3S_INSTALLER_URL='https://raw.githubusercontent.com/k3s-io/k3s/v1.34.1%2Bk3s1/install.sh'\n",
      );
      expect(BOOTSTRAP_SCRIPT).toContain('INSTALL_K3S_VERSION="$K3S_VERSION" sh "$INSTALLER" "$k3s_command"');
      expect(BOOTSTRAP_SCRIPT).toContain('"$K3S_INSTALLER_URL"');
      expect(BOOTSTRAP_SCRIPT).not.toContain('get.k3s.io');
    });

    test('a k3s version that is a Terraform token is URL-encoded by Terraform', () => {
      expect(k3sInstallerUrl('${TfToken[TOKEN.3]}')).toMatch(
        /^https:\/\/raw\.githubusercontent\.com\/k3s-io\/k3s\/\$\{TfToken\[TOKEN\.\d+\]\}\/install\.sh$/,
      );
    });

    test('download retries and their sleeps are settings node.env may override', () => {
      const beforeNodeEnv = BOOTSTRAP_SCRIPT.slice(0, BOOTSTRAP_SCRIPT.indexOf('. "$NODE_ENV"'));
      expect(beforeNodeEnv).toMatch(/^DOWNLOAD_ATTEMPTS=\d+$/m);
      expect(beforeNodeEnv).toMatch(/^RETRY_DELAY_SECONDS=\d+$/m);
      expect(beforeNodeEnv).toMatch(/^API_WAIT_SLEEP_SECONDS=\d+$/m);
      expect(BOOTSTRAP_SCRIPT).toContain('retry "$DOWNLOAD_ATTEMPTS" curl');
      expect(BOOTSTRAP_SCRIPT).toContain('delay=$((delay * 2))');
    });
  });

  describe('metadata block', () => {
    test.each([
      ['first server (NAT gateway)', firstServer],
      ['private agent (NAT client)', agent],
      ['agent with its own public IP', publicAgent],
    ])('%s gets the block script and its unit, enabled', (_, props) => {
      const config = render(props);
      expect(file(config, METADATA_BLOCK_SCRIPT_PATH)).toMatchObject({
        content: METADATA_BLOCK_SCRIPT,
        permissions: '0700',
      });
      expect(file(config, unitPath('k3s-metadata-block.service')).content).toBe(METADATA_BLOCK_UNIT);
      expect(config.runcmd[0]).toMatch(/^systemctl enable k3s-metadata-block\.service /);
    });

    test('the unit re-applies the block at every boot, before k3s starts a pod', () => {
      const unit = parseSystemdFile(METADATA_BLOCK_UNIT);
      expect(unit.Unit.Before).toEqual(['k3s.service k3s-agent.service']);
      expect(unit.Service).toMatchObject({ Type: ['oneshot'], RemainAfterExit: ['yes'] });
      expect(unit.Install).toEqual({ WantedBy: ['multi-user.target'] });
      expect(execStart(METADATA_BLOCK_UNIT)).toEqual(['/bin/bash', METADATA_BLOCK_SCRIPT_PATH]);
    });

    test('drops routed traffic to 169.254.169.254 in raw PREROUTING, once, and the bootstrap applies it first', () => {
      expect(METADATA_BLOCK_SCRIPT).toContain('METADATA_IP=169.254.169.254\n');
      expect(METADATA_BLOCK_SCRIPT).toContain(
        'iptables -t raw -C PREROUTING -d "$METADATA_IP/32" -j DROP 2>/dev/null ||\n' +
          '  iptables -t raw -I PREROUTING -d "$METADATA_IP/32" -j DROP',
      );
      expect(BOOTSTRAP_SCRIPT.indexOf('bash "$METADATA_BLOCK_SCRIPT"')).toBeGreaterThan(0);
      expect(BOOTSTRAP_SCRIPT.indexOf('bash "$METADATA_BLOCK_SCRIPT"')).toBeLessThan(
        BOOTSTRAP_SCRIPT.indexOf('sh "$INSTALLER"'),
      );
    });

    test("refuses the host's traffic to 169.254.169.254 for every user but root, once", () => {
      expect(METADATA_BLOCK_SCRIPT).toContain(
        'iptables -C OUTPUT -d "$METADATA_IP/32" -m owner ! --uid-owner 0 -j REJECT 2>/dev/null ||\n' +
          '  iptables -I OUTPUT -d "$METADATA_IP/32" -m owner ! --uid-owner 0 -j REJECT',
      );
    });

    test.each([
      ['first server', firstServer, 'k3s.service'],
      [
        'joining server',
        {
          ...firstServer,
          role: 'joining-server',
          serverUrl: 'https://10.0.1.10:6443',
        } as K3sNodeUserDataProps,
        'k3s.service',
      ],
      ['private agent', agent, 'k3s-agent.service'],
      ['agent with its own public IP', publicAgent, 'k3s-agent.service'],
    ])('the %s gets a drop-in so that %s requires the block and starts after it', (_, props, unit) => {
      const config = render(props);
      const dropIns = config.write_files.filter((f) =>
        /\/etc\/systemd\/system\/k3s[a-z-]*\.service\.d\//.test(f.path),
      );
      expect(dropIns.map((f) => f.path)).toEqual([`/etc/systemd/system/${unit}.d/10-metadata-block.conf`]);
      const dropIn = parseSystemdFile(file(config, dropIns[0].path).content);
      expect(dropIn.Unit).toEqual({
        Requires: ['k3s-metadata-block.service'],
        After: ['k3s-metadata-block.service'],
      });
    });

    test.each([
      ['metadata block', METADATA_BLOCK_SCRIPT],
      ['NAT', NAT_SCRIPT],
    ])('the %s script installs a missing iptables only after apt-get update', (_, script) => {
      expect(script).toMatch(
        /apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q iptables/,
      );
      expect(script.match(/apt-get install/g)).toHaveLength(1);
    });
  });

  describe('Terraform safety', () => {
    test.each([
      ['bootstrap script', BOOTSTRAP_SCRIPT],
      ['bootstrap unit', BOOTSTRAP_UNIT],
      ['NAT script', NAT_SCRIPT],
      ['NAT unit', NAT_UNIT],
      ['metadata block script', METADATA_BLOCK_SCRIPT],
      ['metadata block unit', METADATA_BLOCK_UNIT],
    ])('the static %s never contains ${ or %{ (Terraform would interpolate it)', (_, text) => {
      expect(text).not.toMatch(/[$%]\{/);
    });

    test.each([
      ['first server', firstServer],
      ['agent', agent],
      ['kafka-0 with its own public IP', publicAgent],
    ])('rendered %s with plain values contains no ${ or %{', (_, props) => {
      const plain = { ...props, token: 'server-secret', agentToken: props.agentToken && 'agent-secret' };
      expect(renderK3sUserData(plain)).not.toMatch(/[$%]\{/);
    });

    test('tokens are kept verbatim on one line, never folded or escaped', () => {
      const longToken = '${TfToken[TOKEN.' + '9'.repeat(200) + ']}';
      const text = renderK3sUserData({ ...firstServer, token: longToken });
      expect(text).toContain(`      token: '${longToken}'\n`);
      expect(text).toContain(`      agent-token: '${AGENT_TOKEN}'\n`);
    });
  });

  describe('tokens', () => {
    test('a server gets the server token and the agent token', () => {
      expect(k3sConfig(render(firstServer))).toMatchObject({
        token: SERVER_TOKEN,
        'agent-token': AGENT_TOKEN,
      });
    });

    test('an agent gets only the agent token, and never the server token', () => {
      const text = renderK3sUserData(agent);
      expect(k3sConfig(render(agent)).token).toBe(AGENT_TOKEN);
      expect(k3sConfig(render(agent))).not.toHaveProperty('agent-token');
      expect(text).not.toContain(SERVER_TOKEN);
    });
  });

  describe('k3s settings', () => {
    test('a server advertises and registers on the private IP, with tls-san for the public names', () => {
      expect(k3sConfig(render(firstServer))).toMatchObject({
        'node-name': 'trading-dev-cp-0',
        'node-ip': '10.0.1.10',
        'advertise-address': '10.0.1.10',
        'tls-san': ['203.0.113.10', 'api.dev.example.com'],
      });
    });

    test('the first server of a single control plane neither joins nor starts etcd', () => {
      const config = k3sConfig(render(firstServer));
      expect(config).not.toHaveProperty('server');
      expect(config).not.toHaveProperty('cluster-init');
    });

    test('the first server of an HA control plane starts embedded etcd', () => {
      expect(k3sConfig(render({ ...firstServer, clusterInit: true }))['cluster-init']).toBe(true);
    });

    test('a joining server joins through serverUrl and still advertises its private IP', () => {
      const config = k3sConfig(
        render({
          ...firstServer,
          role: 'joining-server',
          nodeName: 'trading-prod-cp-1',
          privateIp: '10.0.1.11',
          serverUrl: 'https://10.0.1.10:6443',
          manifests: [],
        }),
      );
      expect(config).toMatchObject({ server: 'https://10.0.1.10:6443', 'advertise-address': '10.0.1.11' });
    });

    test('an agent joins through serverUrl with node-ip only', () => {
      const config = k3sConfig(render(agent));
      expect(config).toMatchObject({ server: 'https://10.0.1.10:6443', 'node-ip': '10.0.1.20' });
      expect(config).not.toHaveProperty('advertise-address');
      expect(config).not.toHaveProperty('tls-san');
    });

    test('labels and taints are set at registration', () => {
      const config = k3sConfig(
        render({ ...agent, nodeLabels: { kafka: 'true', 'node.kubernetes.io/pool': 'kafka' } }),
      );
      expect(config['node-label']).toEqual(['kafka=true', 'node.kubernetes.io/pool=kafka']);
      expect(config['node-taint']).toEqual(['kafka=true:NoSchedule']);
    });

    test('packaged components stay on unless disabled', () => {
      expect(k3sConfig(render(firstServer))).not.toHaveProperty('disable');
      expect(k3sConfig(render({ ...firstServer, disableComponents: ['servicelb'] })).disable).toEqual([
        'servicelb',
      ]);
    });
  });

  describe('manifests', () => {
    test('are written into the k3s manifests directory on servers, mode 0600', () => {
      expect(file(render(firstServer), '/var/lib/rancher/k3s/server/manifests/argocd.yaml')).toEqual({
        path: '/var/lib/rancher/k3s/server/manifests/argocd.yaml',
        owner: 'root:root',
        permissions: '0600',
        content: 'apiVersion: helm.cattle.io/v1\nkind: HelmChart\n',
      });
    });

    test('never reach an agent', () => {
      const paths = render(agent).write_files.map((f) => f.path);
      expect(paths.filter((p) => p.startsWith('/var/lib/rancher'))).toEqual([]);
    });
  });

  describe('compression (cloud-init gz+b64)', () => {
    const raw = (config: CloudConfig, path: string) =>
      (config.write_files as { path: string; content: string; encoding?: string }[]).find(
        (f) => f.path === path,
      )!;
    const big = 'kind: ConfigMap\n' + 'data: {}\n'.repeat(GZIP_MIN_BYTES / 8);

    test('static files of GZIP_MIN_BYTES or more are written compressed and decode to the same text', () => {
      const config = render({ ...firstServer, manifests: [{ fileName: 'big.yaml', content: big }] });
      for (const f of config.write_files as { path: string; content: string; encoding?: string }[]) {
        const text = writeFileContent(f);
        if (Buffer.byteLength(text) >= GZIP_MIN_BYTES && !text.includes('${')) {
          expect({ path: f.path, encoding: f.encoding }).toEqual({ path: f.path, encoding: GZIP_ENCODING });
          expect(f.content.length).toBeLessThan(Buffer.byteLength(text));
        } else {
          expect({ path: f.path, encoding: f.encoding }).toEqual({ path: f.path, encoding: undefined });
        }
      }
      expect(file(config, '/var/lib/rancher/k3s/server/manifests/big.yaml').content).toBe(big);
      expect(file(config, BOOTSTRAP_SCRIPT_PATH).content).toBe(BOOTSTRAP_SCRIPT);
    });

    test('compression is deterministic: the same props give the same user data', () => {
      const props = { ...firstServer, manifests: [{ fileName: 'big.yaml', content: big }] };
      expect(renderK3sUserData(props)).toBe(renderK3sUserData(props));
    });

    test('content holding a Terraform reference is never compressed, so the engine can fill it in', () => {
      const withToken = big + 'token: ${TfToken[TOKEN.1]}\n';
      const entry = raw(
        render({ ...firstServer, manifests: [{ fileName: 't.yaml', content: withToken }] }),
        '/var/lib/rancher/k3s/server/manifests/t.yaml',
      );
      expect(entry.encoding).toBeUndefined();
      expect(entry.content).toBe(withToken);
    });

    test('a secret file marked gzip is compressed at apply by base64gzip, the others stay plain references', () => {
      const text = renderK3sUserData({
        ...firstServer,
        secretFiles: [
          { path: '/var/lib/x/big.yaml', permissions: '0600', expression: 'local.boot.big', gzip: true },
          { path: '/var/lib/x/small.crt', permissions: '0644', expression: 'local.boot.small' },
        ],
      });
      expect(text).toContain(
        '- path: /var/lib/x/big.yaml\n    owner: root:root\n    permissions: "0600"\n    content: ${jsonencode(base64gzip(local.boot.big))}\n    encoding: gz+b64\n',
      );
      expect(text).toContain(
        '- path: /var/lib/x/small.crt\n    owner: root:root\n    permissions: "0644"\n    content: ${jsonencode(local.boot.small)}\n',
      );
      expect(text).not.toContain('base64gzip(local.boot.small)');
      expect(text.match(/encoding: gz\+b64/g)?.length).toBe(
        1 +
          (YAML.parse(text) as CloudConfig).write_files.filter(
            (f) => !f.path.startsWith('/var/lib/x/') && (f as { encoding?: string }).encoding,
          ).length,
      );
    });

    test('writeFileContent refuses an encoding cloud-init does not read', () => {
      expect(() => writeFileContent({ content: 'x', encoding: 'zstd' })).toThrow(/encoding 'zstd'.*gz\+b64/);
    });
  });

  describe('private interface and joining', () => {
    test('flannel uses the interface that carries the private IP, found by a bounded wait', () => {
      expect(nodeEnv(render(agent))).toContain("PRIVATE_IP='10.0.1.20'\n");
      expect(BOOTSTRAP_SCRIPT).toContain('ip -o -4 addr show | awk -v ip="$PRIVATE_IP"');
      expect(BOOTSTRAP_SCRIPT).toMatch(/while \[ "\$attempt" -le "\$IFACE_WAIT_ATTEMPTS" \]/);
      expect(BOOTSTRAP_SCRIPT).toMatch(/^IFACE_WAIT_ATTEMPTS=\d+$/m);
      expect(BOOTSTRAP_SCRIPT).toContain(`printf 'flannel-iface: %s\\n' "$iface" >>"$K3S_CONFIG"`);
    });

    test('joining nodes wait for the API with a bounded retry, then fail loudly', () => {
      expect(nodeEnv(render(agent))).toContain("SERVER_URL='https://10.0.1.10:6443'\n");
      expect(nodeEnv(render(firstServer))).toContain("SERVER_URL=''\n");
      expect(BOOTSTRAP_SCRIPT).toContain('curl -ksf --max-time 5 -o /dev/null "$SERVER_URL/ping"');
      expect(BOOTSTRAP_SCRIPT).toMatch(/^API_WAIT_ATTEMPTS=\d+$/m);
      expect(BOOTSTRAP_SCRIPT).toContain(
        'fail "k3s API at $SERVER_URL did not answer after $API_WAIT_ATTEMPTS attempts"',
      );
    });
  });

  describe('NAT', () => {
    test('the gateway forwards persistently and masquerades the network out of its public interface', () => {
      const config = render(firstServer);
      expect(nodeEnv(config)).toContain("NAT_KIND='gateway'\nNAT_GATEWAY=''\n");
      expect(nodeEnv(config)).toContain("NETWORK_CIDR='10.0.0.0/16'\n");
      expect(NAT_SCRIPT).toContain("'net.ipv4.ip_forward = 1\\n' >/etc/sysctl.d/90-k3s-nat.conf");
      expect(NAT_SCRIPT).toContain(
        'iptables -t nat -A POSTROUTING -s "$NETWORK_CIDR" -o "$wan" -j MASQUERADE',
      );
    });

    test('a client routes by default via the network gateway and uses Hetzner DNS', () => {
      const env = nodeEnv(render(agent));
      expect(env).toContain(
        "NAT_KIND='client'\nNAT_GATEWAY='10.0.0.1'\nDNS_SERVERS='185.12.64.1 185.12.64.2'\n",
      );
      expect(NAT_SCRIPT).toContain('ip route replace default via "$NAT_GATEWAY" dev "$lan" onlink');
    });

    test("a client persists the route in networkd's configuration: a drop-in, else a .network of its own", () => {
      expect(NAT_SCRIPT).toContain('NETWORKD_DIR=/etc/systemd/network\n');
      expect(NAT_SCRIPT).toContain('OWN_NETWORK=/etc/systemd/network/05-k3s-private.network\n');
      expect(NAT_SCRIPT).toContain('networkctl status "$lan"');
      expect(NAT_SCRIPT).toContain('conf=$NETWORKD_DIR/$(basename "$file").d/90-k3s-nat.conf');
      expect(NAT_SCRIPT).toContain(
        'printf \'\\n[Route]\\nGateway=%s\\nGatewayOnLink=yes\\n\' "$NAT_GATEWAY"',
      );
      expect(NAT_SCRIPT).toContain('if networkctl reload 2>/dev/null; then');
    });

    test('NAT is re-applied at every boot by an enabled systemd unit ordered before k3s', () => {
      const config = render(agent);
      expect(file(config, '/usr/local/sbin/k3s-nat-setup').content).toBe(NAT_SCRIPT);
      expect(file(config, '/etc/systemd/system/k3s-nat.service').content).toBe(NAT_UNIT);
      expect(NAT_UNIT).toContain('Before=k3s.service k3s-agent.service');
      expect(config.runcmd[0]).toContain(' k3s-nat.service ');
      expect(BOOTSTRAP_SCRIPT).toContain('bash "$NAT_SCRIPT"');
    });

    test('a node with its own public IP gets no NAT files', () => {
      const paths = render(publicAgent).write_files.map((f) => f.path);
      expect(paths).not.toContain('/usr/local/sbin/k3s-nat-setup');
      expect(paths).not.toContain('/etc/systemd/system/k3s-nat.service');
    });
  });

  describe('validation', () => {
    test.each<[string, Partial<K3sNodeUserDataProps>, RegExp]>([
      [
        'agent without serverUrl',
        { serverUrl: undefined },
        /serverUrl is required for role 'agent'; pass the first server's API/,
      ],
      [
        'manifests on an agent',
        { manifests: [{ fileName: 'a.yaml', content: 'x: 1' }] },
        /manifests are applied by k3s servers only/,
      ],
      ['agentToken on an agent', { agentToken: 'x' }, /agentToken is for servers only/],
      [
        'unpinned version',
        { k3sVersion: 'latest' },
        /k3sVersion must be a k3s release such as 'v1.34.1\+k3s1', got 'latest'/,
      ],
      [
        'IP outside the network',
        { privateIp: '192.168.1.5' },
        /privateIp '192.168.1.5' is outside networkCidr '10.0.0.0\/16'/,
      ],
      [
        'bad taint',
        { nodeTaints: ['kafka:NoWay'] },
        /nodeTaints entry 'kafka:NoWay' must be 'key=value:Effect'/,
      ],
      [
        'kubelet-refused label',
        { nodeLabels: { 'node-role.kubernetes.io/worker': 'true' } },
        /kubelet refuses at registration/,
      ],
      [
        'client gateway outside the network',
        { nat: { kind: 'client', gateway: '172.16.0.1' } },
        /nat.gateway must be the network gateway/,
      ],
      ['tls-san on an agent', { tlsSans: ['203.0.113.10'] }, /tlsSans is for servers only/],
      ['clusterInit on an agent', { clusterInit: true }, /clusterInit is only for the first server/],
      [
        'plain http server URL',
        { serverUrl: 'http://10.0.1.10:6443' },
        /serverUrl must look like 'https:\/\/10.0.1.10:6443'/,
      ],
    ])('rejects %s', (_, change, message) => {
      expect(() => renderK3sUserData({ ...agent, ...change })).toThrow(message);
    });

    test.each<[string, string, RegExp]>([
      ['a path', '../etc/passwd.yaml', /must be a plain file name ending in .yaml, .yml or .json/],
      ['a wrong extension', 'argocd.txt', /must be a plain file name ending in .yaml, .yml or .json/],
      ['a k3s packaged manifest', 'traefik.yaml', /'traefik.yaml' is a manifest k3s writes itself/],
    ])('rejects a manifest file name that is %s', (_, fileName, message) => {
      expect(() => renderK3sUserData({ ...firstServer, manifests: [{ fileName, content: 'x: 1' }] })).toThrow(
        message,
      );
    });

    test('rejects a first server given serverUrl', () => {
      expect(() => renderK3sUserData({ ...firstServer, serverUrl: 'https://10.0.1.11:6443' })).toThrow(
        /the first server starts the cluster, remove serverUrl/,
      );
    });

    test('reports every broken rule at once, naming the node', () => {
      expect(() => renderK3sUserData({ ...agent, serverUrl: undefined, agentToken: 'x' })).toThrow(
        /^Invalid k3s user data for node 'trading-dev-kafka-0':\n {2}- agentToken is for servers only.*\n {2}- serverUrl is required/,
      );
    });

    test('skips value checks on Terraform tokens', () => {
      expect(() =>
        renderK3sUserData({ ...agent, privateIp: '${TfToken[TOKEN.7]}', serverUrl: '${TfToken[TOKEN.8]}' }),
      ).not.toThrow();
    });

    test(`rejects user data over Hetzner's ${MAX_USER_DATA_BYTES}-byte limit, naming the manifests`, () => {
      // Hex of a hash chain: as good as random, so compression cannot save it.
      let hex = '';
      for (let h = 'seed'; hex.length < MAX_USER_DATA_BYTES * 2;)
        hex += h = createHash('sha256').update(h).digest('hex');
      const big = { fileName: 'big.yaml', content: `data: '${hex}'` };
      expect(() => renderK3sUserData({ ...firstServer, manifests: [big] })).toThrow(
        /over Hetzner's 32768-byte limit \(manifests: big.yaml \d+ B\)/,
      );
    });
  });
});
