import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readGitopsFolder, renderGitops, renderGitopsFiles } from '../../charts/render';

const committed = path.join(__dirname, '..', '..', 'gitops');

describe('GitOps rendering', () => {
  test('the committed gitops/ folder equals a fresh render (run `npm run synth` and commit)', () => {
    const fresh = renderGitopsFiles();
    const onDisk = readGitopsFolder(committed);
    expect([...onDisk.keys()]).toEqual([...fresh.keys()]);
    for (const [file, content] of fresh)
      expect({ file, content: onDisk.get(file) }).toEqual({ file, content });
  });

  test('renders one folder per environment with the layout the Applications point at', () => {
    const folders = new Set([...renderGitopsFiles().keys()].map((f) => f.split('/').slice(0, 2).join('/')));
    for (const env of ['dev', 'prod']) {
      for (const folder of ['apps', 'platform', 'kafka', 'trading-apps', 'bootstrap']) {
        expect(folders).toContain(`${env}/${folder}`);
      }
    }
  });

  test('file names carry no hash suffixes', () => {
    for (const file of renderGitopsFiles().keys()) expect(path.basename(file)).toMatch(/^[a-z0-9.-]+\.yaml$/);
    expect(renderGitopsFiles().has('prod/kafka/kafka-kafka-trading-cluster.yaml')).toBe(true);
  });

  test('deletes stale files before writing', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-'));
    try {
      fs.mkdirSync(path.join(dir, 'old-env', 'apps'), { recursive: true });
      fs.writeFileSync(
        path.join(dir, 'old-env', 'apps', 'application-argocd-gone.yaml'),
        'kind: Application\n',
      );
      fs.mkdirSync(path.join(dir, 'dev', 'kafka'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'dev', 'kafka', 'kafkatopic-kafka-removed.yaml'), 'kind: KafkaTopic\n');
      const written = renderGitops(dir);
      expect([...readGitopsFolder(dir).keys()]).toEqual(written);
      expect(fs.existsSync(path.join(dir, 'old-env'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
