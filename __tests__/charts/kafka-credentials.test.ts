import { parse, parseAllDocuments } from 'yaml';
import { renderKafkaCredentials } from '../../charts/kafka-credentials';
import { renderGitopsFiles } from '../../charts/render';
import { resolved } from './helpers';

const passwords = { 'market-data-ingest': 'pw-ingest', 'momentum-strategy': 'pw-strategy' };

describe('Kafka credentials of the trading apps', () => {
  test('one Secret for the KafkaUser in kafka and one for the pods in the app namespace, per app', () => {
    const file = renderKafkaCredentials(resolved('dev'), passwords)!;
    expect(file.fileName).toBe('kafka-credentials.yaml');
    const docs = parseAllDocuments(file.content).map((d) => d.toJS());
    expect(docs.map((d) => `${d.kind} ${d.metadata.namespace}/${d.metadata.name}`)).toEqual([
      'Secret kafka/app-market-data-ingest-password',
      'Secret ingestion/market-data-ingest-kafka-credentials',
      'Secret kafka/app-momentum-strategy-password',
      'Secret strategies/momentum-strategy-kafka-credentials',
    ]);
    expect(docs[0].stringData).toEqual({ password: 'pw-ingest' });
    expect(docs[1].stringData).toEqual({
      username: 'app-market-data-ingest',
      password: 'pw-ingest',
      'sasl.jaas.config':
        'org.apache.kafka.common.security.scram.ScramLoginModule required username="app-market-data-ingest" password="pw-ingest";',
    });
  });

  test('keeps a Terraform reference on one line, whatever its length', () => {
    const reference = '${random_password.kafka-password-market-data-ingest.result}'.padEnd(300, 'x');
    const file = renderKafkaCredentials(resolved('dev'), { ...passwords, 'market-data-ingest': reference })!;
    expect(file.content.split('\n')).toContain(`  password: ${reference}`);
  });

  test('fails when an app has no password, and renders nothing without apps', () => {
    expect(() => renderKafkaCredentials(resolved('dev'), { 'market-data-ingest': 'x' })).toThrow(
      "no Kafka password given for trading app 'momentum-strategy'",
    );
    expect(renderKafkaCredentials(resolved('dev', { tradingApps: [] }), {})).toBeUndefined();
  });

  test('no Secret is ever rendered into the GitOps folder (secrets stay out of git)', () => {
    for (const [file, text] of renderGitopsFiles()) {
      for (const doc of parseAllDocuments(text))
        expect([file, doc.toJS()?.kind]).not.toEqual([file, 'Secret']);
    }
    expect(parse('kind: Secret').kind).toBe('Secret');
  });
});
