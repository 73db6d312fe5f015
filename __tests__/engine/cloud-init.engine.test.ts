import { K3sNodeUserDataProps, renderK3sUserData } from '../../templates/cloud-init';
import {
  INSTALL_HINT,
  INTERPOLATION_PLACEHOLDER,
  missingUserDataTools,
  replaceInterpolations,
  validateUserData,
} from './support/validate-user-data';

jest.setTimeout(60_000);

const missing = missingUserDataTools();
const skip = missing.length > 0 && process.env.CI !== 'true';
if (skip) {
  console.warn(
    `SKIPPING cloud-init engine tests: ${missing.join(', ')} not installed; ${INSTALL_HINT}. ` +
      'In CI (CI=true) they fail instead.',
  );
}

const common = {
  k3sVersion: 'v1.34.1+k3s1',
  networkCidr: '10.0.0.0/16',
  nodeLabels: { app: 'true' },
} as const;

/** Every role and NAT variant, with tokens as they appear in synthesized Terraform JSON. */
const VARIANTS: Record<string, K3sNodeUserDataProps> = {
  'single control plane (gateway, manifests)': {
    ...common,
    role: 'first-server',
    nodeName: 'trading-dev-cp-0',
    privateIp: '10.0.1.10',
    token: '${local.boot.token}',
    agentToken: '${local.boot.agent_token}',
    tlsSans: ['203.0.113.10', 'api.dev.example.com'],
    nat: { kind: 'gateway' },
    manifests: [
      {
        fileName: 'argocd.yaml',
        content:
          'apiVersion: helm.cattle.io/v1\nkind: HelmChart\nmetadata:\n  name: argocd\n  namespace: kube-system\n',
      },
    ],
    disableComponents: ['local-storage'],
  },
  'HA first server (cluster-init, gateway)': {
    ...common,
    role: 'first-server',
    nodeName: 'trading-prod-cp-0',
    privateIp: '10.0.1.10',
    token: 'server-secret',
    agentToken: 'agent-secret',
    clusterInit: true,
    nat: { kind: 'gateway' },
  },
  'joining server (client)': {
    ...common,
    role: 'joining-server',
    nodeName: 'trading-prod-cp-1',
    privateIp: '10.0.1.11',
    token: 'server-secret',
    agentToken: 'agent-secret',
    serverUrl: 'https://10.0.1.10:6443',
    tlsSans: ['203.0.113.10'],
    nat: { kind: 'client', gateway: '10.0.0.1' },
  },
  'kafka agent (client, taint)': {
    ...common,
    role: 'agent',
    nodeName: 'trading-prod-kafka-1',
    privateIp: '10.0.1.21',
    token: '${TfToken[TOKEN.12]}',
    serverUrl: 'https://10.0.1.10:6443',
    nodeLabels: { kafka: 'true' },
    nodeTaints: ['kafka=true:NoSchedule'],
    nat: { kind: 'client', gateway: '10.0.0.1', dnsServers: ['185.12.64.2'] },
  },
  'kafka-0 agent with its own public IP (no NAT)': {
    ...common,
    role: 'agent',
    nodeName: 'trading-dev-kafka-0',
    privateIp: '10.0.1.20',
    token: 'agent-secret',
    serverUrl: 'https://10.0.1.10:6443',
    nodeLabels: { kafka: 'true' },
    nat: { kind: 'none' },
  },
};

(skip ? describe.skip : describe)('cloud-init templates pass cloud-init schema and shellcheck', () => {
  test.each(Object.entries(VARIANTS))('%s', async (_, props) => {
    await expect(validateUserData(renderK3sUserData(props))).resolves.toBeUndefined();
  });

  test('the validator catches a broken script', async () => {
    const broken =
      '#cloud-config\nwrite_files:\n  - path: /x\n    content: |\n      #!/bin/bash\n      rm -rf $DIR/*\n';
    await expect(validateUserData(broken)).rejects.toThrow(/shellcheck failed for write_files \/x/);
  });

  test('the validator catches a schema error', async () => {
    await expect(validateUserData('#cloud-config\nruncmd: 3\n')).rejects.toThrow(/cloud-init schema failed/);
  });
});

describe('replaceInterpolations', () => {
  test('replaces Terraform interpolations and cdktf tokens, nested braces included', () => {
    expect(
      replaceInterpolations('a ${random_password.x.result} ${TfToken[TOKEN.1]} ${jsonencode({a = 1})} b'),
    ).toBe(`a ${INTERPOLATION_PLACEHOLDER} ${INTERPOLATION_PLACEHOLDER} ${INTERPOLATION_PLACEHOLDER} b`);
  });

  test("drops directives and unescapes Terraform's $${ and %%{", () => {
    expect(replaceInterpolations('%{ if true }x%{ endif } $${HOME} %%{y}')).toBe('x ${HOME} %{y}');
  });
});
