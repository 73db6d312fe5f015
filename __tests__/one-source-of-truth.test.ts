/**
 * The Terraform side and the GitOps side are rendered from the same config; these tests
 * pin the places where they must agree.
 */
import { Testing } from 'cdktf';
import { parseAllDocuments } from 'yaml';
import { ENVIRONMENTS } from '../environments';
import { resolveEnvironment } from '../lib/environment';
import { ClusterStack } from '../lib/stacks/cluster-stack';
import { renderBootstrapManifests } from '../charts/bootstrap';
import { renderGitopsFiles } from '../charts/render';

const gitops = renderGitopsFiles();

describe.each(ENVIRONMENTS.map((c) => [c.name, c] as const))('%s', (name, config) => {
  const env = resolveEnvironment(config);
  const json = JSON.parse(
    Testing.synth(
      new ClusterStack(Testing.app(), name, {
        environment: env,
        bootstrapManifests: renderBootstrapManifests(env),
      }),
    ),
  );
  const kafka = parseAllDocuments(gitops.get(`${name}/kafka/kafka-kafka-trading-cluster.yaml`)!)[0].toJS();
  const external = kafka.spec.kafka.listeners.find((l: { type: string }) => l.type === 'nodeport');

  test("kafka-0's firewall opens exactly the NodePorts the Kafka external listener uses", () => {
    const nodePorts = [
      external.configuration.bootstrap.nodePort,
      ...external.configuration.brokers.map((b: { nodePort: number }) => b.nodePort),
    ].map(String);
    const firewall = Object.values(json.resource.hcloud_firewall as Record<string, any>).find(
      (f) => f.name === `${env.prefix}-kafka-external`,
    );
    const open = firewall.rule
      .filter((r: { protocol: string }) => r.protocol === 'tcp')
      .map((r: { port: string }) => r.port);
    expect(open).toEqual(nodePorts);
    expect(nodePorts).toHaveLength(config.kafka.count + 1);
  });

  test("every broker is advertised on kafka-0's stable address", () => {
    const hosts = new Set(
      external.configuration.brokers.map((b: { advertisedHost: string }) => b.advertisedHost),
    );
    expect([...hosts]).toEqual([config.kafkaDnsName]);
    expect(json.output.dns_records.value).toContainEqual(
      expect.objectContaining({ name: config.kafkaDnsName }),
    );
  });

  test('the node pool runs on the nodes the stack labels and taints for Kafka', () => {
    const pool = parseAllDocuments(gitops.get(`${name}/kafka/kafkanodepool-kafka-dual-role.yaml`)!)[0].toJS();
    expect(pool.spec.replicas).toBe(config.kafka.count);
    const kafkaUserData = Object.values(json.resource.hcloud_server as Record<string, any>)
      .filter((s) => s.labels.role === 'kafka')
      .map((s) => s.user_data as string);
    expect(kafkaUserData).toHaveLength(config.kafka.count);
    const text = JSON.stringify(pool.spec.template);
    for (const userData of kafkaUserData) {
      expect(userData).toContain("- 'kafka=true'");
      expect(userData).toContain("- 'dedicated=kafka:NoSchedule'");
    }
    expect(text).toContain('"kafka"');
    expect(text).toContain('"dedicated"');
  });

  test("the control plane's user data embeds the bootstrap committed under gitops/<env>/bootstrap", () => {
    const cp = Object.values(json.resource.hcloud_server as Record<string, any>).find(
      (s) => s.name === `${env.prefix}-cp-0`,
    );
    const committed = gitops.get(`${name}/bootstrap/gitops-root-application.yaml`)!;
    const rootApp = parseAllDocuments(committed)[0].toJS();
    expect(rootApp.spec.source.targetRevision).toBe(config.gitopsBranch);
    expect(cp.user_data).toContain(`targetRevision: ${config.gitopsBranch}`);
    expect(cp.user_data).toContain('gitops-argocd.yaml');
  });
});
