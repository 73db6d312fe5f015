/**
 * Kafka's external NodePorts must be safe from the API server's random allocations, which
 * take the dynamic band first (KEP-3668). The band formula is the upstream one; the rest are
 * properties of every shipped environment and of every bootstrap port the validation accepts.
 */
import { ENVIRONMENTS } from '../../environments';
import { environmentProblems, resolveEnvironment } from '../../lib/environment';
import {
  DEFAULT_NODE_PORT_RANGE,
  inStaticBand,
  MIN_DYNAMIC_NODE_PORTS,
  nodePortRangeFor,
  staticBandSize,
} from '../../lib/node-ports';
import { parse } from 'yaml';
import { Testing } from 'cdktf';
import { ClusterStack } from '../../lib/stacks/cluster-stack';
import { writeFileContent } from '../../templates/cloud-init';

describe('the static band (kubernetes portallocator calculateRangeOffset)', () => {
  test.each([
    [2768, 86], // the default 30000-32767: static band 30000-30085
    [668, 20], // 32100-32767
    [16, 0],
    [17, 16],
    [600, 18],
    [4096, 128],
    [100000, 128],
  ])('a range of %i ports keeps %i static', (size, band) => {
    expect(staticBandSize({ base: 30000, size })).toBe(band);
  });

  test("Kubernetes' default range would put the old defaults 32100-32103 in the dynamic band", () => {
    const defaults = { base: DEFAULT_NODE_PORT_RANGE.base, size: 2768 };
    for (const port of [32100, 32101, 32102, 32103]) expect(inStaticBand(defaults, port)).toBe(false);
  });
});

describe.each(ENVIRONMENTS.map((c) => [c.name, c] as const))('%s', (_, config) => {
  const env = resolveEnvironment(config);
  const [first, last] = env.serviceNodePortRange.split('-').map(Number);
  const range = { base: first, size: last - first + 1 };

  test('every Kafka external port lies in the static band of the cluster range', () => {
    for (const port of env.kafkaExternalPorts)
      expect({ port, safe: inStaticBand(range, port) }).toEqual({ port, safe: true });
    expect(range.size - staticBandSize(range)).toBeGreaterThanOrEqual(MIN_DYNAMIC_NODE_PORTS);
    expect(last).toBe(DEFAULT_NODE_PORT_RANGE.max);
  });

  test('every server (every API server) gets the range; agents do not', () => {
    const stack = new ClusterStack(Testing.app(), `${env.name}-ports`, {
      environment: resolveEnvironment({ ...config, controlPlane: { ...config.controlPlane, count: 3 } }),
    });
    const json = JSON.parse(Testing.synth(stack)) as {
      resource: { hcloud_server: Record<string, { labels: Record<string, string>; user_data: string }> };
    };
    for (const server of Object.values(json.resource.hcloud_server)) {
      const doc = parse(server.user_data) as {
        write_files: { path: string; content: string; encoding?: string }[];
      };
      const k3s = parse(
        writeFileContent(doc.write_files.find((f) => f.path === '/etc/rancher/k3s/config.yaml')!),
      ) as Record<string, unknown>;
      expect(k3s['service-node-port-range']).toBe(
        server.labels.role === 'control-plane' ? env.serviceNodePortRange : undefined,
      );
    }
  });
});

test('every bootstrap port the validation accepts keeps all Kafka ports static; every one it refuses would not', () => {
  const base = ENVIRONMENTS[ENVIRONMENTS.length - 1];
  let accepted = 0;
  for (let port = DEFAULT_NODE_PORT_RANGE.base; port <= DEFAULT_NODE_PORT_RANGE.max; port += 7) {
    const config = { ...base, kafkaExternalBootstrapPort: port };
    const problems = environmentProblems(config).filter((p) => p.startsWith('kafkaExternalBootstrapPort'));
    const range = nodePortRangeFor(port);
    const fits =
      Array.from({ length: base.kafka.count + 1 }, (_, i) => port + i).every((p) => inStaticBand(range, p)) &&
      range.size - staticBandSize(range) >= MIN_DYNAMIC_NODE_PORTS;
    expect({ port, accepted: problems.length === 0 }).toEqual({ port, accepted: fits });
    if (fits) accepted++;
    else expect(problems[0]).toMatch(/static NodePort band.*use 30000-\d+/);
  }
  expect(accepted).toBeGreaterThan(300);
});
