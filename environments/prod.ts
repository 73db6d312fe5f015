import type { EnvironmentConfig } from './types';

/**
 * prod: three Kafka nodes for a KRaft quorum with replication 3, dedicated app nodes,
 * up ~10 h on trading days. Set controlPlane.count to 3 for an HA control plane.
 */
export const prod: EnvironmentConfig = {
  name: 'prod',
  clusterName: 'trading',
  location: 'fsn1',
  networkZone: 'eu-central',
  networkCidr: '10.1.0.0/16',
  subnetCidr: '10.1.1.0/24',
  image: 'ubuntu-24.04',
  k3sVersion: 'v1.34.1+k3s1',
  // Tried in order when the preferred type is sold out in fsn1 on a morning.
  controlPlane: { count: 1, serverType: 'cpx32', fallbackServerTypes: ['cx33', 'ccx23'] },
  kafka: { count: 3, serverType: 'ccx23', fallbackServerTypes: ['ccx33'] },
  apps: { count: 2, serverType: 'cpx42', fallbackServerTypes: ['cx43', 'ccx33'] },
  // Documentation ranges (RFC 5737): replace with your office / VPN egress addresses.
  sshAllowedCidrs: ['203.0.113.0/24'],
  apiAllowedCidrs: ['203.0.113.0/24'],
  kafkaAllowedCidrs: ['203.0.113.0/24', '198.51.100.0/24'],
  apiDnsName: 'k3s.prod.example.com',
  kafkaDnsName: 'kafka.prod.example.com',
  uptimeHoursPerDay: 10,
  gitopsRepoUrl: 'https://github.com/example-org/hetzner-trading-cluster.git',
  gitopsBranch: 'production',
  kafkaVersion: '4.0.1',
  kafkaStorageGb: 100,
  topics: [
    { name: 'stock-stream', partitions: 6 },
    { name: 'signals', partitions: 3, retentionHours: 24 },
  ],
  tradingApps: [
    {
      name: 'market-data-ingest',
      kind: 'ingestion',
      image: 'ghcr.io/example-org/market-data-ingest:0.1.0',
      replicas: 2,
      cpuMillis: 1000,
      memoryMib: 1024,
    },
    {
      name: 'momentum-strategy',
      kind: 'strategies',
      image: 'ghcr.io/example-org/momentum-strategy:0.1.0',
      replicas: 2,
      cpuMillis: 500,
      memoryMib: 512,
    },
  ],
  monitoring: true,
};
