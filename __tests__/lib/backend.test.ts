import { App, TerraformStack, Testing } from 'cdktf';
import { configureBackend } from '../../lib/backend';

function synthBackend(config: Parameters<typeof configureBackend>[2]): Record<string, unknown> {
  const stack = new TerraformStack(Testing.app(), 'dev');
  configureBackend(stack, 'dev', config);
  return JSON.parse(Testing.synth(stack)).terraform.backend;
}

describe('state backend', () => {
  test('local state lives under state/<stack>.tfstate', () => {
    expect(synthBackend({ kind: 'local' })).toEqual({ local: { path: '../../../state/dev.tfstate' } });
  });

  test('S3-compatible state is keyed by stack and locked with a lock file', () => {
    const s3 = synthBackend({
      kind: 's3',
      bucket: 'tf-state',
      endpoint: 'https://fsn1.your-objectstorage.com',
    }).s3 as Record<string, unknown>;
    expect(s3).toMatchObject({
      bucket: 'tf-state',
      key: 'hetzner-trading/dev.tfstate',
      endpoints: { s3: 'https://fsn1.your-objectstorage.com' },
      use_path_style: true,
      use_lockfile: true,
    });
  });

  test('an App with two stacks gets one state key each', () => {
    const app: App = Testing.app();
    const keys = ['dev', 'dev-persistent'].map((name) => {
      const stack = new TerraformStack(app, name);
      configureBackend(stack, name, { kind: 's3', bucket: 'b', endpoint: 'https://e' });
      return (JSON.parse(Testing.synth(stack)).terraform.backend.s3 as { key: string }).key;
    });
    expect(new Set(keys).size).toBe(2);
  });
});
