/**
 * Every version this project pins, in one place, with the day it was checked and where.
 *
 * A pin that was never published (a Helm chart version, an image tag, a release) fails
 * only on the cluster, hours into a trading day: Argo CD cannot fetch the chart and every
 * later sync wave waits. So the charts, the toolchain and the environments take their
 * versions from here, and `__tests__/versions.test.ts` fails on any version that is
 * pinned anywhere else and missing from this list. Bump a pin only after checking the
 * source below; then update `checked`.
 *
 * Some pins are also written where a tool reads them, and the test checks they agree:
 * `scripts/toolchain.sh` (`*_VERSION=`: OpenTofu, providers, actionlint), `.go-version`
 * (the oldest Go that builds the toolchain; read by toolchain.sh and by setup-go in
 * `.github/workflows/ci.yml`, whose OpenTofu setup step names the `opentofu` pin).
 */

/** One pinned version and its provenance. */
export interface PinnedVersion {
  /** What is pinned, e.g. `helm:kube-prometheus-stack` or `k3s`. */
  readonly name: string;
  /** The exact version string as it appears where it is used. */
  readonly version: string;
  /** Day the version was checked against `source` (YYYY-MM-DD). */
  readonly checked: string;
  /** Where the version was seen published. */
  readonly source: string;
  /** Anything a maintainer must know before bumping it. */
  readonly note?: string;
}

/** The pins. Keep entries sorted by name. */
export const PINNED_VERSIONS: readonly PinnedVersion[] = [
  {
    name: 'actionlint',
    version: 'v1.7.12',
    checked: '2026-11-23',
    source:
      'Go module github.com/rhysd/actionlint@v1.7.12, newest on the Go module proxy (scripts/toolchain.sh)',
    note: 'Lints .github/workflows in the engine tier (__tests__/engine/actionlint.engine.test.ts).',
  },
  {
    name: 'go',
    version: '1.26.6',
    checked: '2026-11-23',
    source:
      'highest `go` line of the modules scripts/toolchain.sh builds: github.com/opentofu/opentofu@v1.12.6 (hcloud 1.68.0: 1.26.4, actionlint: 1.25.0)',
    note: 'A minimum, kept in .go-version (setup-go and toolchain.sh read that file); raise it when a bumped module needs a newer Go.',
  },
  {
    name: 'helm:argo-cd',
    version: '10.1.1',
    checked: '2026-11-23',
    source:
      'https://artifacthub.io/packages/helm/argo/argo-cd (repository https://argoproj.github.io/argo-helm)',
    note: 'Ships Argo CD v3.4.x; installed by the k3s HelmChart in cp-0 user data (charts/bootstrap.ts).',
  },
  {
    name: 'helm:kube-prometheus-stack',
    version: '81.4.3',
    checked: '2026-11-23',
    source:
      'https://artifacthub.io/packages/helm/prometheus-community/kube-prometheus-stack (repository https://prometheus-community.github.io/helm-charts)',
    note: 'The 81.4.x line ends at 81.4.3 (next: 81.5.0); 81.4.5 was never published.',
  },
  {
    name: 'helm:strimzi-kafka-operator',
    version: '0.50.1',
    checked: '2026-11-23',
    source:
      'oci://quay.io/strimzi-helm/strimzi-kafka-operator; CRDs of this release are in imports/ and schema/crds',
  },
  {
    name: 'k3s',
    version: 'v1.34.1+k3s1',
    checked: '2026-11-23',
    source: 'https://github.com/k3s-io/k3s/releases/tag/v1.34.1%2Bk3s1',
    note: 'Environments pin it (k3sVersion); the node bootstrap fetches install.sh from the same tag.',
  },
  {
    name: 'kafka',
    version: '4.0.1',
    checked: '2026-11-23',
    source: 'Strimzi 0.50.1 supported Kafka versions (kafka-versions.yaml of the release)',
  },
  {
    name: 'opentofu',
    version: 'v1.12.6',
    checked: '2026-11-23',
    source: 'Go module github.com/opentofu/opentofu@v1.12.6 (scripts/toolchain.sh builds it)',
  },
  {
    name: 'provider:hetznercloud/hcloud',
    version: '1.68.0',
    checked: '2026-11-23',
    source: 'Go module github.com/hetznercloud/terraform-provider-hcloud@v1.68.0 (scripts/toolchain.sh)',
  },
  {
    name: 'provider:hashicorp/null',
    version: '3.3.1',
    checked: '2026-11-23',
    source: 'Go module pseudo-version of github.com/hashicorp/terraform-provider-null (scripts/toolchain.sh)',
  },
];

/**
 * Kafka versions the pinned Strimzi operator (0.50.x) runs, from the release's
 * kafka-versions.yaml (checked 2026-11-23 on the Strimzi downloads page). The Kafka
 * resource's `spec.kafka.version` must be one of them, or the operator refuses it.
 */
export const STRIMZI_KAFKA_VERSIONS: readonly string[] = ['4.0.0', '4.0.1', '4.1.0', '4.1.1'];

/** The version pinned under `name`; throws when there is none, so a typo fails at synth. */
export function pinnedVersion(name: string): string {
  const pin = PINNED_VERSIONS.find((p) => p.name === name);
  if (!pin) {
    throw new Error(
      `no pinned version named '${name}' in lib/versions.ts; known: ${PINNED_VERSIONS.map((p) => p.name).join(', ')}`,
    );
  }
  return pin.version;
}

/** True when `version` is pinned under `name` (or under any name when `name` is omitted). */
export function isPinned(version: string, name?: string): boolean {
  return PINNED_VERSIONS.some((p) => p.version === version && (name === undefined || p.name === name));
}
