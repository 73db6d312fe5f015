import type { EnvironmentConfig } from './types';

/**
 * dev: the smallest useful cluster, up ~8 h on trading days. One control plane that also
 * runs the trading apps, one Kafka node, no app nodes.
 */
export const dev: EnvironmentConfig = {
  name: 'dev',
  clusterName: 'trading',
  location: 'fsn1',
  networkZone: 'eu-central',
  networkCidr: '10.0.0.0/16',
  subnetCidr: '10.0.1.0/24',
  image: 'ubuntu-24.04',
  k3sVersion: 'v1.34.1+k3s1',
  // cpx32 (same cores and memory, AMD) when cx33 is sold out in fsn1 on a morning.
  controlPlane: { count: 1, serverType: 'cx33', fallbackServerTypes: ['cpx32'] },
  kafka: { count: 1, serverType: 'cx33', fallbackServerTypes: ['cpx32'] },
  apps: { count: 0, serverType: 'cx33' },
  // Documentation ranges (RFC 5737): replace with your office / VPN egress addresses.
  sshAllowedCidrs: ['203.0.113.0/24'],
  apiAllowedCidrs: ['203.0.113.0/24'],
  kafkaAllowedCidrs: ['203.0.113.0/24', '198.51.100.0/24'],
  // Create these A records from the cluster stack's dns_records output.
  apiDnsName: 'k3s.dev.example.com',
  kafkaDnsName: 'kafka.dev.example.com',
  uptimeHoursPerDay: 8,
  gitopsRepoUrl: 'https://github.com/example-org/hetzner-trading-cluster.git',
  gitopsBranch: 'main',
  kafkaVersion: '4.0.1',
  kafkaStorageGb: 20,
  topics: [{ name: 'stock-stream', partitions: 6 }],
  tradingApps: [
    { name: 'market-data-ingest', kind: 'ingestion', image: 'ghcr.io/example-org/market-data-ingest:0.1.0' },
    { name: 'momentum-strategy', kind: 'strategies', image: 'ghcr.io/example-org/momentum-strategy:0.1.0' },
  ],
  monitoring: false,
};
