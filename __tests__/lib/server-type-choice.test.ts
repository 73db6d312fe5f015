import { App, Testing } from 'cdktf';
import { dev, prod } from '../../environments';
import { resolveEnvironment } from '../../lib/environment';
import { addEnvironments } from '../../lib/app';
import { ClusterStack } from '../../lib/stacks/cluster-stack';
import {
  choiceName,
  perEnvironmentVar,
  resolveServerTypes,
  serverTypeCandidates,
  serverTypeChoicesFromEnv,
  ServerTypeChoiceError,
  type ServerTypeChoice,
} from '../../lib/server-type-choice';

const ENVS = ['dev', 'prod'];

function cluster(config = dev, choice?: ServerTypeChoice) {
  const stack = new ClusterStack(Testing.app(), config.name, {
    environment: resolveEnvironment(config),
    serverTypeChoice: choice,
  });
  return JSON.parse(Testing.synth(stack, true)) as {
    resource: {
      hcloud_server: Record<string, { name: string; server_type: string; labels: Record<string, string> }>;
    };
    output: Record<string, { value: unknown }>;
  };
}
const byName = (json: ReturnType<typeof cluster>) =>
  Object.fromEntries(Object.values(json.resource.hcloud_server).map((s) => [s.name, s]));

describe('candidates and their names', () => {
  test('preferred first, then the fallbacks in order', () => {
    expect(serverTypeCandidates(prod, 'controlPlane')).toEqual(['cpx32', 'cx33', 'ccx23']);
    expect(serverTypeCandidates(prod, 'apps')).toEqual(['cpx42', 'cx43', 'ccx33']);
    expect(serverTypeCandidates(dev, 'apps')).toEqual(['cx33']);
    expect(choiceName(prod, 'controlPlane', 'cpx32')).toBe('preferred');
    expect(choiceName(prod, 'controlPlane', 'cx33')).toBe('fallback-1');
    expect(choiceName(prod, 'controlPlane', 'ccx23')).toBe('fallback-2');
    expect(choiceName(prod, 'controlPlane', 'cx23')).toBeUndefined();
  });

  test('resolveServerTypes: chosen groups, the rest preferred', () => {
    expect(resolveServerTypes(prod, { kafka: 'ccx33' })).toEqual({
      controlPlane: { serverType: 'cpx32', choice: 'preferred' },
      kafka: { serverType: 'ccx33', choice: 'fallback-1' },
      apps: { serverType: 'cpx42', choice: 'preferred' },
    });
  });

  test('a type that is neither serverType nor a fallback is refused, naming the allowed ones', () => {
    expect(() => resolveServerTypes(prod, { apps: 'cx23', kafka: 'ccx23' })).toThrow(
      /apps: server type "cx23" is neither apps.serverType 'cpx42' nor one of apps.fallbackServerTypes \[cx43, ccx33\]; choose one of cpx42, cx43, ccx33/,
    );
    expect(() => resolveServerTypes(dev, { kafak: 'cpx32' } as ServerTypeChoice)).toThrow(
      /'kafak' is not a node group; use controlPlane, kafka, apps/,
    );
  });
});

describe('reading the choice from the process environment', () => {
  test('nothing set: no choice', () => {
    expect(serverTypeChoicesFromEnv({}, ENVS)).toEqual({});
  });

  test('SERVER_TYPE_CHOICE (JSON by environment), then SERVER_TYPES_<ENV> on top, group by group', () => {
    expect(
      serverTypeChoicesFromEnv(
        {
          SERVER_TYPE_CHOICE: '{"dev":{"kafka":"cpx32"},"prod":{"apps":"cx43"}}',
          SERVER_TYPES_PROD: 'control-plane=cx33, kafka=ccx33',
          SERVER_TYPES_DEV: '',
        },
        ENVS,
      ),
    ).toEqual({ dev: { kafka: 'cpx32' }, prod: { apps: 'cx43', controlPlane: 'cx33', kafka: 'ccx33' } });
    expect(serverTypeChoicesFromEnv({ SERVER_TYPES_DEV: '{"controlPlane":"cpx32"}' }, ENVS)).toEqual({
      dev: { controlPlane: 'cpx32' },
    });
    expect(perEnvironmentVar('eu-west')).toBe('SERVER_TYPES_EU_WEST');
  });

  test.each([
    [{ SERVER_TYPE_CHOICE: '{dev:1}' }, /SERVER_TYPE_CHOICE is not valid JSON/],
    [{ SERVER_TYPE_CHOICE: '["dev"]' }, /must be a JSON object by environment/],
    [
      { SERVER_TYPE_CHOICE: '{"qa":{}}' },
      /names environment 'qa', which does not exist \(known: dev, prod\)/,
    ],
    [
      { SERVER_TYPE_CHOICE: '{"dev":"cpx32"}' },
      /SERVER_TYPE_CHOICE.dev must map node groups to server types/,
    ],
    [{ SERVER_TYPES_DEV: 'kafka' }, /SERVER_TYPES_DEV: 'kafka' is not <group>=<server type>/],
    [{ SERVER_TYPES_DEV: 'brokers=cpx32' }, /'brokers' is not a node group/],
    [{ SERVER_TYPES_DEV: '{"kafka":5}' }, /kafka must be a server type name/],
  ])('%j is refused: %s', (vars, message) => {
    expect(() => serverTypeChoicesFromEnv(vars, ENVS)).toThrow(ServerTypeChoiceError);
    expect(() => serverTypeChoicesFromEnv(vars, ENVS)).toThrow(message);
  });
});

describe('the cluster stack on a choice', () => {
  test('by default every server runs its preferred type and says so in a label and the output', () => {
    const json = cluster();
    for (const s of Object.values(json.resource.hcloud_server)) {
      expect(s).toMatchObject({ server_type: 'cx33', labels: { 'server-type-choice': 'preferred' } });
    }
    expect(json.output.server_types.value).toEqual({
      'control-plane': { server_type: 'cx33', choice: 'preferred' },
      kafka: { server_type: 'cx33', choice: 'preferred' },
    });
  });

  test('a fallback for one role changes only that role: type, label, output', () => {
    const json = cluster(prod, { kafka: 'ccx33', apps: 'ccx33' });
    const s = byName(json);
    expect(s['trading-prod-cp-0']).toMatchObject({
      server_type: 'cpx32',
      labels: { 'server-type-choice': 'preferred' },
    });
    for (const name of ['trading-prod-kafka-0', 'trading-prod-kafka-1', 'trading-prod-kafka-2']) {
      expect(s[name]).toMatchObject({ server_type: 'ccx33', labels: { 'server-type-choice': 'fallback-1' } });
    }
    for (const name of ['trading-prod-app-0', 'trading-prod-app-1']) {
      expect(s[name]).toMatchObject({ server_type: 'ccx33', labels: { 'server-type-choice': 'fallback-2' } });
    }
    expect(json.output.server_types.value).toEqual({
      'control-plane': { server_type: 'cpx32', choice: 'preferred' },
      kafka: { server_type: 'ccx33', choice: 'fallback-1' },
      app: { server_type: 'ccx33', choice: 'fallback-2' },
    });
  });

  test('a type the role may not run on fails the synth with the allowed ones', () => {
    expect(() => cluster(dev, { kafka: 'cx43' })).toThrow(
      /kafka: server type "cx43" is neither kafka.serverType 'cx33'/,
    );
  });

  test('addEnvironments passes each environment its choice and refuses an unknown environment', () => {
    const app = new App({ outdir: Testing.app().outdir });
    addEnvironments(app, [dev, prod], { serverTypeChoices: { dev: { controlPlane: 'cpx32' } } });
    const devStack = app.node.findChild('dev') as ClusterStack;
    expect(devStack.controlPlanes[0].server.serverTypeInput).toBe('cpx32');
    expect((app.node.findChild('prod') as ClusterStack).kafkaNodes[0].server.serverTypeInput).toBe('ccx23');
    expect(devStack.kafkaNodes[0].server.serverTypeInput).toBe('cx33');
    expect(() =>
      addEnvironments(new App({ outdir: Testing.app().outdir }), [dev], { serverTypeChoices: { qa: {} } }),
    ).toThrow(/server type choice for environment 'qa', which does not exist \(known: dev\)/);
  });
});
